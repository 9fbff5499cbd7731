"""Search for people, not SQL: a query is the reader's words, never FTS5 syntax.

Every word is a term (`U.S.`, `COVID-19`, `Xi's`, `9:03` are searched as written, as phrases of their
letters and digits). Three operators are understood and nothing else: `"an exact phrase"`, `a OR b` and
`-word` (leave out articles with it). Words in scripts written without spaces (Chinese, Japanese, Thai)
are found inside longer runs through the trigram index beside the word index. Queries are capped in
length and every statement is bounded in time with SQLite's progress handler, so no query can hold a
core; a query that cannot be searched raises `QueryError` with one sentence for the reader.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

MAX_CHARS = 200
TIME_LIMIT = 2.0  # seconds per search, all statements together
LIMIT = 50
SNIPPET_CHARS = 260

# Letters and digits, as FTS5's unicode61 tokenizer splits them (it treats "_" as a separator too).
_TOKEN = re.compile(r"[^\W_]+")
# A quoted phrase (closed or running to the end) or a run of non-space, each maybe after a minus sign.
_PIECE = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
# Scripts written without spaces between words: unicode61 keeps a whole run as one token.
_UNSPACED = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


class QueryError(ValueError):
    """A query that cannot be searched; the message is meant for the reader."""


@dataclass(frozen=True)
class Term:
    """One word or phrase: the words index looks for `words` in a row, the trigram index for `runs`."""

    words: tuple[str, ...]
    runs: tuple[str, ...]
    quoted: bool = field(default=False, compare=False)  # how it was written, for showing it back

    @property
    def phrase(self) -> str | None:
        """The FTS5 phrase for the words index (letters and digits only, so always valid), or None."""
        return '"' + " ".join(self.words) + '"' if self.words else None

    def shown(self, replace: dict[str, str] | None = None) -> str:
        parts = [(replace or {}).get(w, w) for w in self.words] + list(self.runs)
        text = " ".join(parts)
        return f'"{text}"' if self.quoted or len(parts) > 1 else text


@dataclass(frozen=True)
class Query:
    """All of `groups` (each one of its terms), none of `exclude`."""

    groups: tuple[tuple[Term, ...], ...]
    exclude: tuple[Term, ...] = ()
    ignored: tuple[str, ...] = ()  # pieces with no letter or digit, e.g. "*"

    def terms(self) -> Iterator[Term]:
        for group in self.groups:
            yield from group

    def shown(self, replace: dict[str, str] | None = None) -> str:
        parts = [" OR ".join(t.shown(replace) for t in g) for g in self.groups]
        return " ".join(parts + ["-" + t.shown(replace) for t in self.exclude])


# Direction overrides and marks: echoed back they would turn the rest of the line around.
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean(text: str) -> str:
    """The query with control characters (NUL included) and direction overrides turned into spaces."""
    return "".join(" " if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text).strip()


def _term(text: str, quoted: bool) -> Term | None:
    words: list[str] = []
    runs: list[str] = []
    for tok in _TOKEN.findall(text.lower()):
        (runs if _UNSPACED.search(tok) else words).append(tok)
    return Term(tuple(words), tuple(runs), quoted) if words or runs else None


def parse(text: str) -> Query | None:
    """The reader's query as terms; None when it is empty. Raises QueryError for one that cannot be searched."""
    if len(text) > MAX_CHARS:
        raise QueryError(f"A search can be at most {MAX_CHARS} characters long; this one has {len(text):,}. "
                         "Use a few distinctive words.")
    text = clean(text)
    groups: list[list[Term]] = []
    exclude: list[Term] = []
    ignored: list[str] = []
    join_next = False
    pieces = list(_PIECE.finditer(text))
    for i, m in enumerate(pieces):
        minus, body, quoted = (m.group(1), m.group(2), True) if m.group(2) is not None else (
            m.group(3), m.group(4), False)
        if m.group(0) == "-":
            ignored.append("-")
            continue
        # OR joins the terms on either side; anywhere else it is just the word "or".
        if (not quoted and not minus and body == "OR" and groups and not join_next and i + 1 < len(pieces)
                and not pieces[i + 1].group(0).startswith("-")):
            join_next = True
            continue
        term = _term(body, quoted)
        if term is None:
            ignored.append(m.group(0))
            continue
        if minus:
            exclude.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    if not groups:
        if exclude:
            raise QueryError("Add a word to look for: a word after a minus sign only leaves articles out.")
        if ignored:
            shown = " ".join(ignored)
            shown = shown if len(shown) <= 40 else shown[:40] + "…"
            raise QueryError(f"“{shown}” has no letters or digits to search for.")
        return None
    return Query(tuple(tuple(g) for g in groups), tuple(exclude), tuple(ignored))


@dataclass
class Hit:
    id: str
    title: str | None
    outlet: str | None
    published: str | None
    sentence: int | None  # the sentence that matches best (None: only the title matched)
    snippet: list[tuple[str, bool]]  # (text, is a hit)


@dataclass
class Results:
    query: Query
    hits: list[Hit]
    more: bool  # there are more hits than were asked for
    suggestion: str | None = None  # "did you mean", from the workspace's own words


@contextmanager
def time_bound(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Interrupt any statement on `conn` once `seconds` have passed (sqlite3.OperationalError 'interrupted')."""
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: time.monotonic() > deadline, 100)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


def has_trigram(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name='articles_tri'").fetchone() is not None


def _predicate(term: Term, trigram: bool, params: list[str]) -> str:
    parts = []
    if term.phrase:
        parts.append("a.seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        params.append(term.phrase)
    for run in term.runs:
        if trigram and len(run) >= 3:  # the trigram index answers substrings of three characters or more
            parts.append("a.seq IN (SELECT rowid FROM articles_tri WHERE articles_tri MATCH ?)")
            params.append('"' + run + '"')
        else:
            parts.append("(instr(lower(a.clean_text), ?) OR instr(lower(COALESCE(a.title, '')), ?))")
            params += [run, run]
    return "(" + " AND ".join(parts) + ")"


def _sql(query: Query, trigram: bool, limit: int) -> tuple[str, list[str]]:
    params: list[str] = []
    rank_phrases = [t.phrase for t in query.terms() if t.phrase]
    join = ""
    if rank_phrases:  # rank by BM25 over the words, when there are any
        join = ("LEFT JOIN (SELECT rowid AS r, rank FROM articles_fts WHERE articles_fts MATCH ?) k "
                "ON k.r = a.seq ")
        params.append(" OR ".join(rank_phrases))
    where = " AND ".join("(" + " OR ".join(_predicate(t, trigram, params) for t in g) + ")"
                         for g in query.groups)
    if query.exclude:
        where += " AND NOT (" + " OR ".join(_predicate(t, trigram, params) for t in query.exclude) + ")"
    order = "k.rank IS NULL, k.rank, a.seq DESC" if rank_phrases else "a.seq DESC"
    sql = (f"SELECT a.id, a.title, a.outlet, a.published, a.sentences FROM articles a {join}"
           f"WHERE {where} ORDER BY {order} LIMIT {int(limit) + 1}")
    return sql, params


def _pattern(term: Term) -> re.Pattern[str]:
    alts = []
    if term.words:
        alts.append(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, term.words)) + r"(?![^\W_])")
    alts += [re.escape(r) for r in term.runs]
    return re.compile("|".join(alts), re.IGNORECASE)


def _marked(text: str, patterns: list[re.Pattern[str]]) -> list[tuple[str, bool]]:
    spans = sorted((m.start(), m.end()) for p in patterns for m in p.finditer(text) if m.end() > m.start())
    if spans and len(text) > SNIPPET_CHARS:  # keep the first hit in view
        start = max(0, spans[0][0] - SNIPPET_CHARS // 3)
        end = start + SNIPPET_CHARS
        prefix, suffix = ("…" if start else ""), ("…" if end < len(text) else "")
        text = prefix + text[start:end] + suffix
        shift = start - len(prefix)
        spans = [(max(s - shift, len(prefix)), min(e - shift, len(text) - len(suffix))) for s, e in spans]
        spans = [(s, e) for s, e in spans if s < e]
    elif len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS] + "…"
    parts: list[tuple[str, bool]] = []
    at = 0
    for s, e in spans:
        s = max(s, at)
        if s >= e:
            continue
        if s > at:
            parts.append((text[at:s], False))
        parts.append((text[s:e], True))
        at = e
    if at < len(text):
        parts.append((text[at:], False))
    return parts


def _best_sentence(sentences: list[str], patterns: list[re.Pattern[str]]) -> int | None:
    best, best_n = None, 0
    for i, sent in enumerate(sentences):
        n = sum(1 for p in patterns if p.search(sent))
        if n > best_n:
            best, best_n = i, n
            if n == len(patterns):
                break
    return best


_VOCAB: dict[str, tuple[int, dict[str, int]]] = {}


def vocabulary(conn: sqlite3.Connection) -> dict[str, int]:
    """Every word of the words index with the number of articles holding it (cached per database and size)."""
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    size = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0]
    cached = _VOCAB.get(db)
    if cached is None or cached[0] != size:
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.articles_vocab USING fts5vocab(main, articles_fts, row)")
        words = {r[0]: r[1] for r in conn.execute("SELECT term, doc FROM temp.articles_vocab")}
        cached = _VOCAB[db] = (size, words)
    return cached[1]


def suggest(conn: sqlite3.Connection, query: Query) -> str | None:
    """The query with each word the workspace never uses replaced by the closest one it does, if any."""
    from rapidfuzz import fuzz, process

    vocab = vocabulary(conn)
    replace: dict[str, str] = {}
    for term in query.terms():
        for w in term.words:
            if w in vocab or len(w) < 3 or w.isdigit():
                continue
            near = [t for t in vocab if abs(len(t) - len(w)) <= 2 and not t.isdigit()]
            found = process.extract(w, near, scorer=fuzz.ratio, score_cutoff=75, limit=5)
            if found:  # the closest spelling; among equally close ones the most common word
                replace[w] = max(found, key=lambda f: (f[1], vocab[f[0]]))[0]
    return query.shown(replace) if replace else None


_ATTEMPTS = 5  # tries of a search that met another process's write to the full-text index


def search(conn: sqlite3.Connection, text: str | Query, limit: int = LIMIT,
           time_limit: float = TIME_LIMIT) -> Results | None:
    """Search the workspace on `conn`; None for an empty query, QueryError for one that cannot be searched."""
    query = parse(text) if isinstance(text, str) else text
    if query is None:
        return None
    sql, params = _sql(query, has_trigram(conn), limit)
    for attempt in range(_ATTEMPTS):
        try:
            with time_bound(conn, time_limit):
                rows = conn.execute(sql, params).fetchall()
                suggestion = suggest(conn, query) if len(rows) < 3 else None
            break
        except sqlite3.OperationalError as e:
            if "interrupted" in str(e):
                raise QueryError("This search took too long; try fewer or more distinctive words.") from None
            # An ingest in another process writing the index as the FTS5 table is opened (seen in CI as
            # "vtable constructor failed: articles_fts"): the next try reads the committed state.
            if "vtable constructor failed" not in str(e) or attempt == _ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    patterns = [_pattern(t) for t in query.terms()]
    hits = []
    for r in rows[:limit]:
        sentences = json.loads(r[4])
        n = _best_sentence(sentences, patterns)
        shown = sentences[n] if n is not None else (r[1] or (sentences[0] if sentences else ""))
        hits.append(Hit(r[0], r[1], r[2], r[3], n, _marked(shown, patterns)))
    return Results(query, hits, len(rows) > limit, suggestion)
