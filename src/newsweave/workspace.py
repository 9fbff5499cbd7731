"""The workspace: one SQLite file (WAL mode) that every stage reads from and writes to.

Writes are transactions (ingest groups a batch of articles and the inputs they finish into one), so a
run killed at any point leaves every committed article intact and the next run resumes where it stopped.
Stages keep their results in their own tables, created on first use with `ensure_schema`; the pipeline stores
each story's analysis in `story_analysis` (with a fingerprint of what it was computed from).

Several processes may use one workspace at once (two ingests, a web app reading while a run writes): reads
never wait (WAL), and every write takes the write lock with `BEGIN IMMEDIATE`, waiting for another process's
transaction up to `lock_wait` seconds (env NEWSWEAVE_LOCK_WAIT, default 600) before `WorkspaceBusy`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson

from . import search as search_mod
from .clean import normalize
from .model import Article


def _loads(text: str | bytes) -> Any:
    """JSON read back with orjson (several times faster on thousands of stored articles and analyses); the
    standard reader where orjson refuses what the standard writer allowed (NaN, lone surrogates)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


DEFAULT_DIR = ".newsweave"
DB_NAME = "workspace.sqlite"
LOCK_WAIT = 600.0  # seconds a write waits for another process's transaction (an ingest's story assignment)
_T = TypeVar("_T")


class WorkspaceBusy(RuntimeError):
    """Another process held the workspace's write lock for longer than the wait allowed."""


def _busy(e: sqlite3.OperationalError) -> bool:
    return "locked" in str(e) or "busy" in str(e)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    seq INTEGER UNIQUE,
    source TEXT NOT NULL,
    url TEXT,
    outlet TEXT,
    title TEXT,
    published TEXT,
    language TEXT,
    author TEXT,
    text_hash TEXT NOT NULL,
    raw_text TEXT,
    clean_text TEXT NOT NULL,
    sentences TEXT NOT NULL,
    paragraph_of TEXT NOT NULL,
    flags TEXT NOT NULL,
    removed TEXT NOT NULL,
    ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
CREATE TABLE IF NOT EXISTS article_sources (
    article_id TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (article_id, source)
);
CREATE TABLE IF NOT EXISTS raw_keys (
    raw_key TEXT PRIMARY KEY,
    article_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inputs (
    input_key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outlet_lines (
    outlet TEXT NOT NULL,
    line TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (outlet, line)
);
CREATE TABLE IF NOT EXISTS embeddings (
    key TEXT NOT NULL,
    model TEXT NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (key, model)
);
CREATE TABLE IF NOT EXISTS parses (
    key TEXT NOT NULL,
    model TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (key, model)
);
CREATE TABLE IF NOT EXISTS story_analysis (
    story_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, clean_text, content='articles',
    content_rowid='seq');
CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, clean_text) VALUES (new.seq, new.title, new.clean_text);
END;
"""

# Beside the word index: the trigram index finds a word inside a run of Chinese or Japanese characters,
# which the word index keeps as one token. Added (and filled) on open when missing, so older workspaces work.
_TRIGRAM = (
    "CREATE VIRTUAL TABLE articles_tri USING fts5(title, clean_text, content='articles', content_rowid='seq', "
    "tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS articles_tri_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_tri(rowid, title, clean_text) VALUES (new.seq, new.title, new.clean_text); END",
    "INSERT INTO articles_tri(articles_tri) VALUES ('rebuild')",
)


class Workspace:
    """A folder holding `workspace.sqlite`. Open with `Workspace(path)`; close with `.close()` or `with`."""

    def __init__(self, path: str | Path = DEFAULT_DIR, lock_wait: float | None = None) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.db_path = self.path / DB_NAME
        self.lock_wait = lock_wait if lock_wait is not None else float(os.environ.get("NEWSWEAVE_LOCK_WAIT",
                                                                                      LOCK_WAIT))
        # SQLite's own busy wait is kept short: the retries below bound the whole wait and can say so.
        self.conn = sqlite3.connect(self.db_path, timeout=min(5.0, self.lock_wait), isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self._retry(lambda: self.conn.execute("PRAGMA journal_mode=WAL"))
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.ensure_schema(_SCHEMA)
        self._ensure_trigram()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def content_key(self) -> str:
        """A key of what a brief is made from here: the articles, in the order they were stored, and where each
        was read. Rows of both tables are only ever added (an article's id is a hash of its outlet and
        wording), so the key changes exactly when an article or a source is added."""
        h = hashlib.blake2b(digest_size=16)
        for table in ("SELECT id, source FROM articles ORDER BY seq",
                      "SELECT article_id, source FROM article_sources ORDER BY rowid"):
            for a, b in self.conn.execute(table):
                h.update(f"{a}\x1f{b}\x1e".encode())
            h.update(b"\x1d")
        return h.hexdigest()

    def _retry(self, attempt: Callable[[], _T]) -> _T:
        """`attempt()` again while the database is locked by another process, up to `lock_wait` seconds."""
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as e:
                if not _busy(e):
                    raise
                if time.monotonic() >= deadline:
                    raise WorkspaceBusy(f"workspace {self.path} is busy: another newsweave process kept it "
                                        f"locked for over {self.lock_wait:g} s; try again when it ends") from None
            time.sleep(0.05 + random.random() * 0.2)  # jitter: two waiting processes do not retry in step

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all; nested uses become savepoints."""
        if self.conn.in_transaction:
            self.conn.execute("SAVEPOINT nested")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK TO nested")
                self.conn.execute("RELEASE nested")
                raise
            self.conn.execute("RELEASE nested")
            return
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def ensure_schema(self, sql: str) -> None:
        """Create a stage's own tables (idempotent SQL: CREATE ... IF NOT EXISTS, so a retry is safe)."""
        self._retry(lambda: self.conn.executescript(sql))

    # -- articles ---------------------------------------------------------------------------------

    def add_article(self, article: Article, text_hash: str, raw_key: str | None = None) -> bool:
        """Store an article; False when it is already there (the source is remembered as an alias).

        `raw_key` identifies the input the article was cleaned from, so re-reading that input can be
        skipped before any cleaning (see `article_for_raw`).
        """
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO article_sources VALUES (?, ?)", (article.id, article.source))
            if raw_key:
                c.execute("INSERT OR IGNORE INTO raw_keys VALUES (?, ?)", (raw_key, article.id))
            if c.execute("SELECT 1 FROM articles WHERE id=?", (article.id,)).fetchone():
                return False
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM articles").fetchone()[0]
            c.execute(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article.id, seq, article.source, article.url, article.outlet, article.title,
                    article.published, article.language, article.author, text_hash, article.raw_text,
                    article.text, json.dumps(article.sentences), json.dumps(article.paragraph_of),
                    json.dumps(article.flags), json.dumps([r.__dict__ for r in article.removed]), time.time(),
                ),
            )
            if article.outlet:
                c.executemany(
                    "INSERT INTO outlet_lines VALUES (?, ?, 1) ON CONFLICT(outlet, line) DO UPDATE SET n=n+1",
                    [(article.outlet, line) for line in short_lines(article.raw_text)],
                )
        return True

    def article_for_raw(self, raw_key: str) -> str | None:
        """Id of the article already made from this exact input, if any."""
        row = self.conn.execute("SELECT article_id FROM raw_keys WHERE raw_key=?", (raw_key,)).fetchone()
        return row[0] if row else None

    def add_source(self, article_id: str, source: str) -> None:
        """Remember another place the same article was read from."""
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO article_sources VALUES (?, ?)", (article_id, source))

    def has_article(self, article_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is not None

    def outlet_lines(self, outlet: str | None, min_count: int = 2) -> frozenset[str]:
        """Lines that at least `min_count` stored articles of this outlet share."""
        if not outlet:
            return frozenset()
        rows = self.conn.execute("SELECT line FROM outlet_lines WHERE outlet=? AND n>=?", (outlet, min_count))
        return frozenset(r[0] for r in rows)

    def outlet_line_counts(self, outlet: str) -> dict[str, int]:
        """How many stored articles of this outlet have each short line."""
        rows = self.conn.execute("SELECT line, n FROM outlet_lines WHERE outlet=?", (outlet,))
        return {r[0]: r[1] for r in rows}

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def articles(self, ids: Iterable[str] | None = None) -> list[Article]:
        """Articles in ingest order (all of them, or those with the given ids)."""
        if ids is None:
            rows = self.conn.execute("SELECT * FROM articles ORDER BY seq").fetchall()
        else:
            wanted = list(dict.fromkeys(ids))
            rows = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start: start + 500]
                q = f"SELECT * FROM articles WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY seq"
                rows.extend(self.conn.execute(q, chunk).fetchall())
            rows.sort(key=lambda r: r["seq"])
        return [_row_to_article(r) for r in rows]

    def article_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM articles ORDER BY seq")]

    def version(self) -> list[int]:
        """[number of articles, highest ingest sequence]: changes whenever an article is added or removed."""
        row = self.conn.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM articles").fetchone()
        return [row[0], row[1]]

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def text_hash(self, article_id: str) -> str | None:
        row = self.conn.execute("SELECT text_hash FROM articles WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else None

    def _ensure_trigram(self) -> None:
        """Add the trigram index (for words in scripts without spaces) to a workspace made before it existed."""
        if search_mod.has_trigram(self.conn):
            return
        try:
            with self.transaction() as c:
                if not search_mod.has_trigram(c):  # another process may have added it meanwhile
                    for statement in _TRIGRAM:
                        c.execute(statement)
        except sqlite3.OperationalError:  # an SQLite older than 3.34 has no trigram tokenizer
            return

    def search(self, query: str, limit: int = 20) -> search_mod.Results | None:
        """Search the articles with the reader's words (see `newsweave.search`); None for an empty query.

        Raises `newsweave.search.QueryError` with a message for the reader when the query cannot be searched.
        """
        return search_mod.search(self.conn, query, limit)

    # -- inputs (resume) -------------------------------------------------------------------------

    def input_done(self, key: str) -> bool:
        """Whether an input (path, size, mtime) was read to the end without errors."""
        row = self.conn.execute("SELECT status FROM inputs WHERE input_key=?", (key,)).fetchone()
        return row is not None and row[0] == "done"

    def mark_input(self, key: str, source: str, status: str, detail: str = "") -> None:
        """Record an input's status: only "done" inputs are skipped by the next run."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?)",
                      (key, source, status, detail, time.time()))

    # -- stored story analyses and small state -------------------------------------------------

    def get_story_analysis(self, story_id: str, fingerprint: str) -> Any | None:
        """A story's stored analysis, if it was computed from what `fingerprint` names."""
        row = self.conn.execute(
            "SELECT data FROM story_analysis WHERE story_id=? AND fingerprint=?", (story_id, fingerprint)
        ).fetchone()
        return _loads(row[0]) if row else None

    def put_story_analysis(self, story_id: str, fingerprint: str, data: Any) -> None:
        """Store a story's analysis (one per story: a newer one replaces it)."""
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO story_analysis VALUES (?, ?, ?)",
                      (story_id, fingerprint, json.dumps(data, ensure_ascii=False)))

    def vectors(self, keys: list[str], model: str) -> dict[str, Any]:
        """Stored sentence vectors (float32 arrays) of `model` for the text hashes `keys` that have one."""
        import numpy as np

        out = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start: start + 500]
            q = f"SELECT key, vec FROM embeddings WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            for k, blob in self.conn.execute(q, [model, *chunk]):
                out[k] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return out

    def count_vectors(self, keys: list[str], model: str) -> int:
        """How many of the text hashes `keys` have a stored vector of `model` (without reading them)."""
        n = 0
        for start in range(0, len(keys), 500):
            chunk = keys[start: start + 500]
            q = f"SELECT COUNT(*) FROM embeddings WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            n += self.conn.execute(q, [model, *chunk]).fetchone()[0]
        return n

    def put_vectors(self, items: dict[str, Any], model: str) -> None:
        """Keep sentence vectors across runs (float16: half the space, cosines equal to 3 decimals)."""
        import numpy as np

        with self.transaction() as c:
            c.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)",
                          [(k, model, np.asarray(v, dtype=np.float16).tobytes()) for k, v in items.items()])

    def parses(self, keys: list[str], model: str) -> dict[str, bytes]:
        """Stored sentence parses (serialized spaCy Docs) of `model` for the text hashes `keys` that have one."""
        out = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start: start + 500]
            q = f"SELECT key, doc FROM parses WHERE model=? AND key IN ({','.join('?' * len(chunk))})"
            out.update(self.conn.execute(q, [model, *chunk]))
        return out

    def put_parses(self, items: dict[str, bytes], model: str) -> None:
        """Keep sentence parses across runs: a later run reads a stored sentence's parse instead of parsing it
        (one the store held but could not read is replaced)."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO parses VALUES (?, ?, ?)", [(k, model, v) for k, v in items.items()])

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))


SHORT_LINE_CHARS = 120


def short_lines(raw: str) -> list[str]:
    """The distinct short lines of a text, normalised and lower-cased: candidates for site furniture.

    Long lines are prose; counting them would only grow the table.
    """
    return sorted({ln.lower() for ln in normalize(raw).split("\n") if 0 < len(ln) <= SHORT_LINE_CHARS})


def _row_to_article(r: sqlite3.Row) -> Article:
    from .model import Removal

    return Article(
        id=r["id"], source=r["source"], url=r["url"], outlet=r["outlet"], title=r["title"],
        published=r["published"], language=r["language"], author=r["author"], raw_text=r["raw_text"] or "",
        text=r["clean_text"], sentences=_loads(r["sentences"]),
        paragraph_of=_loads(r["paragraph_of"]),
        flags=_loads(r["flags"]), removed=[Removal(**d) for d in _loads(r["removed"])],
    )
