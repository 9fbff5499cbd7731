"""Copies: which articles repeat others, so that a copy does not count as an independent source.

Three candidate generators, all MinHash LSH (datasketch), so no step compares all pairs:

- verbatim: word-trigram MinHash of windows of a few sentences; finds exact, near-verbatim and partial
  copies (a window of the copier matches a window of the original even when only a block was reused);
- rewrite: MinHash of the set of content words (stop words dropped), which a round-trip translated
  copy mostly keeps, and MinHash of function-word 5-grams (content words blanked), which a synonym
  spinner keeps;
- translation (only when the articles are in more than one language): MinHash of anchors (capitalised
  words and numbers), which survive translation.

Candidates are then confirmed exactly: sentence by sentence trigram containment for verbatim reuse, and
sentence alignment with sentence embeddings (MiniLM, or multilingual-e5 across languages) for rewrites,
only for the candidate pairs. Text inside quotation marks never counts as evidence: two reporters who
heard the same press conference carry the same quotes, and that is not copying. The share of an article
covered by another is therefore measured on its own words (outside quotation marks).
"""

from __future__ import annotations

import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from datasketch import MinHash, MinHashLSH
from rapidfuzz import process
from rapidfuzz.distance import Indel

from .clean import text_key
from .model import Article, CopyRelation
from .workspace import Workspace

VERSION = "copies-1"  # bump when the pair analysis changes: cached pair verdicts are keyed by it

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_NUM_PERM = 64
_WINDOW, _STRIDE = 4, 2  # sentences per verbatim MinHash window, and the step between windows

# Decision thresholds, set on the fixtures, the seeds and bench/copies.py (docs/benchmarks/copies.md).
SENTENCE_CONTAINMENT = 0.5  # a sentence is reused verbatim when half of its own trigrams occur in the other
NEAR_VERBATIM = 0.8  # both articles this much covered by each other: near-verbatim, else partial
MIN_PARTIAL_SHARE = 0.15
MIN_PARTIAL_WORDS = 30
MIN_REWRITE_SHARE = 0.5  # share of own words aligned, in order, for a rewrite or translation
# A reworded sentence keeps its meaning (embedding cosine) AND much of its word skeleton in order (word-level
# LCS similarity): two reporters writing up the same fact reach the cosine but rarely the skeleton
# (fixtures: spun/round-trip copies 0.43-0.71, independent reports and the seeds <= 0.32).
EN_SIM = 0.55
EN_LEXICAL = 0.38
MIN_SHARED_NAMES = 0.3  # share of the names and numbers (of the article with fewer) found in the other
ML_SIM = 0.86  # multilingual-e5 cosine across languages, where words cannot be compared

_SCHEMA = """
CREATE TABLE IF NOT EXISTS copy_pairs (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    version TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (a, b, version)
);
CREATE TABLE IF NOT EXISTS copy_relations (
    article TEXT NOT NULL,
    of TEXT NOT NULL,
    kind TEXT NOT NULL,
    share REAL NOT NULL,
    evidence TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (article, of)
);
"""


# -- features --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _stop_hashes() -> np.ndarray:
    from spacy.lang.en.stop_words import STOP_WORDS

    return np.array(sorted({_hash(w) for w in STOP_WORDS} | {_hash(w) for w in ("said", "says", "told")}),
                    dtype=np.uint32)


_HASHES: dict[str, int] = {}


def _hash(token: str) -> int:
    h = _HASHES.get(token)
    if h is None:
        h = zlib.crc32(token.encode())  # stable across processes, unlike hash()
        if len(_HASHES) < 2_000_000:
            _HASHES[token] = h
    return h


@dataclass
class _Doc:
    """Token hashes of one article with, per token, its sentence and whether it lies outside quotes."""

    tokens: np.ndarray  # uint32 hash per token (lower case)
    sent: np.ndarray  # int32 sentence index per token
    own: np.ndarray  # bool: outside quotation marks
    anchor: np.ndarray  # bool: part of a run of capitalised words inside a sentence (a name), or a number
    n_sent: int
    _tri: list[np.ndarray] | None = field(default=None, repr=False)

    def trigrams(self) -> list[np.ndarray]:
        """Per sentence, the hashes of its word trigrams that lie wholly outside quotation marks."""
        if self._tri is None:
            t = self.tokens.astype(np.uint64)
            out: list[np.ndarray] = [np.zeros(0, dtype=np.uint64)] * self.n_sent
            if len(t) >= 3:
                h = ((t[:-2] * np.uint64(1_000_003) + t[1:-1]) * np.uint64(1_000_003) + t[2:]) & np.uint64(
                    0xFFFFFFFF)
                ok = self.own[:-2] & self.own[1:-1] & self.own[2:] & (self.sent[:-2] == self.sent[2:])
                sid = self.sent[:-2][ok]
                h = h[ok]
                bounds = np.searchsorted(sid, np.arange(self.n_sent + 1))
                out = [h[bounds[s]: bounds[s + 1]] for s in range(self.n_sent)]
            self._tri = out
        return self._tri

    def own_words(self) -> np.ndarray:
        """Per sentence, its own words (outside quotes); zero for sentences too quoted to carry evidence."""
        counts = np.bincount(self.sent[self.own], minlength=self.n_sent)
        # One trigram outside quotes is an attribution ("Jane Doe said"), not text of one's own.
        has_tri = np.array([len(t) > 1 for t in self.trigrams()], dtype=bool)
        return np.where(has_tri, counts, 0)

    def words(self) -> list[list[int]]:
        """Per sentence, its word hashes in order (for word-level sequence similarity)."""
        bounds = np.searchsorted(self.sent, np.arange(self.n_sent + 1))
        return [self.tokens[bounds[s]: bounds[s + 1]].tolist() for s in range(self.n_sent)]

    def content(self) -> np.ndarray:
        keep = self.own & ~np.isin(self.tokens, _stop_hashes())
        return np.unique(self.tokens[keep])

    def skeleton(self) -> np.ndarray:
        """Function-word 5-grams (content words blanked): a synonym spinner swaps the words, not these.

        The idea of SpotSigs (Theobald et al., 2008): stop-word anchored signatures find near-duplicate
        news across changed wording and page furniture.
        """
        k = 5
        if len(self.tokens) < k:
            return np.zeros(0, dtype=np.uint64)
        is_stop = np.isin(self.tokens, _stop_hashes())
        t = np.where(is_stop, self.tokens, 0).astype(np.uint64)
        h = np.zeros(len(t) - k + 1, dtype=np.uint64)
        ok = self.sent[: len(h)] == self.sent[k - 1:]
        stops = np.zeros(len(h), dtype=np.int32)
        for d in range(k):
            h = h * np.uint64(1_000_003) + t[d: d + len(h)]
            ok &= self.own[d: d + len(h)]
            stops += is_stop[d: d + len(h)]
        return np.unique(h[ok & (stops >= 2)] & np.uint64(0xFFFFFFFF))

    def anchors(self) -> np.ndarray:
        return np.unique(self.tokens[self.anchor])


def _features(article: Article) -> _Doc:
    tokens: list[int] = []
    sents: list[int] = []
    own: list[bool] = []
    caps: list[bool] = []
    digit: list[bool] = []
    paras = article.paragraph_of if len(article.paragraph_of) == len(article.sentences) else [0] * len(
        article.sentences)
    inside = False
    for s, sentence in enumerate(article.sentences):
        if s == 0 or paras[s] != paras[s - 1]:
            inside = False  # a quote left open runs to the end of its paragraph, no further
        first = True
        # Splitting on '"' alternates outside/inside a quote (text is normalised to straight quotes).
        for k, segment in enumerate(sentence.split('"')):
            if k:
                inside = not inside
            for tok in _TOKEN.findall(segment):
                low = tok.lower()
                tokens.append(_hash(low))
                sents.append(s)
                own.append(not inside)
                caps.append(tok[0].isupper() and not first)
                digit.append(any(c.isdigit() for c in tok))
                first = False
    # Names survive translation; a lone capitalised word does not mark one (German capitalises every noun).
    cap = np.array(caps, dtype=bool)
    run = np.zeros_like(cap)
    run[1:] |= cap[1:] & cap[:-1]
    run[:-1] |= cap[:-1] & cap[1:]
    anchor = run | np.array(digit, dtype=bool)
    return _Doc(np.array(tokens, dtype=np.uint32), np.array(sents, dtype=np.int32), np.array(own, dtype=bool),
                anchor, len(article.sentences))


class _Hasher:
    """MinHash of sets of 32-bit hashes with shared permutations (building them per sketch is slow)."""

    def __init__(self) -> None:
        self._perm = MinHash(num_perm=_NUM_PERM, seed=7).permutations

    def __call__(self, values: np.ndarray) -> MinHash:
        m = MinHash(num_perm=_NUM_PERM, permutations=self._perm, scheme="affine32", hashfunc=int)
        m.update_batch(values.tolist())
        return m


# -- pair analysis ---------------------------------------------------------------------------------


@dataclass
class _Cover:
    """How much of `here` is covered by `there`: share of own words and the sentence pairs behind it."""

    share: float
    words: int
    pairs: list[tuple[int, int, float]]


def _verbatim(here: _Doc, there: _Doc, stock: frozenset[int] = frozenset()) -> _Cover:
    """Sentences of `here` reused in `there`. A sentence sharing only `stock` trigrams (phrases found in
    many articles) is a stock sentence, not a reused one."""
    where: dict[int, int] = {}
    for j, tri in enumerate(there.trigrams()):
        for h in tri.tolist():
            where.setdefault(h, j)
    own = here.own_words()
    total = int(own.sum())
    pairs: list[tuple[int, int, float]] = []
    words = 0
    for i, tri in enumerate(here.trigrams()):
        if not len(tri):
            continue
        values = set(tri.tolist())
        telling = values - stock
        values = telling if len(telling) >= 2 else values  # judge on its own phrasing, not stock phrases
        hits = [where[h] for h in values if h in where]
        if len(hits) / len(values) >= SENTENCE_CONTAINMENT:
            cont = len(hits) / len(values)
            pairs.append((i, Counter(hits).most_common(1)[0][0], round(cont, 3)))
            words += int(own[i])
    return _Cover(words / total if total else 0.0, words, pairs)


def _chain(pairs: list[tuple[int, int, float]], weight: np.ndarray) -> list[tuple[int, int, float]]:
    """The heaviest one-to-one run of pairs in the same order in both articles (a rewrite keeps the order)."""
    if not pairs:
        return []
    pairs = sorted(pairs)
    best = [float(weight[i]) for i, _, _ in pairs]
    prev = [-1] * len(pairs)
    for k, (i, j, _) in enumerate(pairs):
        for m in range(k):
            i2, j2, _ = pairs[m]
            if i2 < i and j2 < j and best[m] + weight[i] > best[k]:
                best[k], prev[k] = best[m] + float(weight[i]), m
    k = int(np.argmax(best))
    out = []
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


def _lexical(here: _Doc, there: _Doc) -> np.ndarray:
    """Word-level LCS similarity of every sentence pair (rapidfuzz Indel over word hashes)."""
    return process.cdist(here.words(), there.words(), scorer=Indel.normalized_similarity, workers=1)


def _lexical_share(lex: np.ndarray, own_here: np.ndarray, own_there: np.ndarray) -> float:
    """Share of own words in sentences with a partner worded alike: an upper bound of a rewrite's share."""
    total = own_here.sum()
    if not total or not lex.size:
        return 0.0
    partner = (np.where(own_there > 0, lex, 0.0).max(axis=1) >= EN_LEXICAL) & (own_here > 0)
    return float(own_here[partner].sum() / total)


def _aligned(sims: np.ndarray, own_here: np.ndarray, own_there: np.ndarray,
             verbatim: list[tuple[int, int, float]], lex: np.ndarray | None) -> _Cover:
    """Sentences of `here` aligned to sentences of `there`; `lex` given: same language, check the wording."""
    sims = sims.copy()
    sims[own_here == 0, :] = -1.0
    sims[:, own_there == 0] = -1.0
    pairs = {i: (i, j, s) for i, j, s in verbatim}
    if sims.size:
        best = sims.argmax(axis=1)
        for i, j in enumerate(best):
            if i in pairs:
                continue
            if lex is None:
                ok = sims[i, j] >= ML_SIM
            else:
                ok = sims[i, j] >= EN_SIM and lex[i, j] >= EN_LEXICAL
            if ok:
                pairs[i] = (i, int(j), round(float(sims[i, j]), 3))
    chain = _chain(list(pairs.values()), own_here)
    words = int(sum(own_here[i] for i, _, _ in chain))
    total = int(own_here.sum())
    return _Cover(words / total if total else 0.0, words, chain)


def _embed(articles: list[Article], multilingual: bool) -> dict[str, np.ndarray] | None:
    from . import embed

    model = embed.multilingual() if multilingual else embed.english()
    if model is None:
        return None
    texts = [s for a in articles for s in a.sentences]
    vecs = model.encode(texts)
    out, start = {}, 0
    for a in articles:
        out[a.id] = vecs[start: start + len(a.sentences)]
        start += len(a.sentences)
    return out


def _verdict_verbatim(a: _Doc, b: _Doc, stock: frozenset[int]) -> dict[str, Any] | None:
    ab, ba = _verbatim(a, b, stock), _verbatim(b, a, stock)
    if min(ab.share, ba.share) >= NEAR_VERBATIM:
        kind = "near-verbatim"
    elif max(ab.share, ba.share) >= MIN_PARTIAL_SHARE and max(ab.words, ba.words) >= MIN_PARTIAL_WORDS and \
            max(len(ab.pairs), len(ba.pairs)) >= 2:
        kind = "partial"
    else:
        return None
    return {"kind": kind, "ab": ab.share, "ba": ba.share, "ab_pairs": ab.pairs, "ba_pairs": ba.pairs}


def _verdict_aligned(da: _Doc, db: _Doc, va: np.ndarray, vb: np.ndarray, kind: str,
                     stock: frozenset[int]) -> dict[str, Any] | None:
    sims = va @ vb.T
    own_a, own_b = da.own_words(), db.own_words()
    if kind == "rewrite":
        lex = _lexical(da, db)
        ab = _aligned(sims, own_a, own_b, _verbatim(da, db, stock).pairs, lex)
        ba = _aligned(sims.T, own_b, own_a, _verbatim(db, da, stock).pairs, lex.T)
    else:
        ab = _aligned(sims, own_a, own_b, [], None)
        ba = _aligned(sims.T, own_b, own_a, [], None)
    if max(ab.share, ba.share) < MIN_REWRITE_SHARE or max(len(ab.pairs), len(ba.pairs)) < 2:
        return None
    return {"kind": kind, "ab": ab.share, "ba": ba.share, "ab_pairs": ab.pairs, "ba_pairs": ba.pairs}


def _shares_names(a: _Doc, b: _Doc, stock: np.ndarray) -> bool:
    """A rewrite keeps the names and numbers of its original; text built from the same stock phrases
    around other names is another story. Names and numbers found in many articles do not count."""
    x, y = np.setdiff1d(a.anchors(), stock), np.setdiff1d(b.anchors(), stock)
    if not len(x) or not len(y):
        return not len(x) and not len(y)
    return len(np.intersect1d(x, y)) / min(len(x), len(y)) >= MIN_SHARED_NAMES


def _may_be_rewrite(a: _Doc, b: _Doc, stock_names: np.ndarray) -> bool:
    """Cheap necessary conditions for a rewrite, checked before paying for embeddings."""
    if not _shares_names(a, b, stock_names):
        return False
    lex = _lexical(a, b)
    own_a, own_b = a.own_words(), b.own_words()
    return max(_lexical_share(lex, own_a, own_b), _lexical_share(lex.T, own_b, own_a)) >= MIN_REWRITE_SHARE


# -- direction -------------------------------------------------------------------------------------


def _direction(a: Article, b: Article, v: dict[str, Any],
               order: dict[str, int]) -> tuple[Article, Article, str]:
    """(copier, original, why the original is the original)."""
    if a.published and b.published and a.published != b.published:
        copier, original = (a, b) if a.published > b.published else (b, a)
        return copier, original, f"published earlier ({original.published}, copy {copier.published})"
    covered_a, covered_b = v["ab"], v["ba"]
    if abs(covered_a - covered_b) >= 0.05:
        copier, original = (a, b) if covered_a > covered_b else (b, a)
        return copier, original, (f"more complete: the copy is {max(covered_a, covered_b):.0%} covered by "
                                  f"it, it only {min(covered_a, covered_b):.0%} by the copy")
    if len(a.text) != len(b.text):
        copier, original = (a, b) if len(a.text) < len(b.text) else (b, a)
        return copier, original, "longer text, same date"
    copier, original = (a, b) if order[a.id] > order[b.id] else (b, a)
    return copier, original, "same date and content; came first in the input"


def _relation(a: Article, b: Article, v: dict[str, Any], order: dict[str, int]) -> CopyRelation:
    copier, original, why = _direction(a, b, v, order)
    forward = copier.id == a.id
    share = v["ab"] if forward else v["ba"]
    pairs = v["ab_pairs"] if forward else v["ba_pairs"]
    if v["kind"] == "exact":
        share = 1.0
    return CopyRelation(copier.id, original.id, v["kind"], round(float(share), 3),
                        [(int(i), int(j), float(s)) for i, j, s in pairs], why)


# -- the stage -------------------------------------------------------------------------------------


@dataclass
class Candidates:
    """Candidate pairs (indices into the article list, i < j) by the generator that proposed them."""

    verbatim: set[tuple[int, int]] = field(default_factory=set)
    rewrite: set[tuple[int, int]] = field(default_factory=set)
    translation: set[tuple[int, int]] = field(default_factory=set)
    stock_trigrams: frozenset[int] = frozenset()  # in more articles than the cap: stock phrases
    stock_names: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))


def _common(sets: list[np.ndarray], cap: int) -> np.ndarray:
    """Hashes found in more than `cap` of the sets (stock phrases, everyday words)."""
    if not sets:
        return np.zeros(0, dtype=np.uint64)
    values, counts = np.unique(np.concatenate(sets), return_counts=True)
    return values[counts > cap]


def _rare(values: np.ndarray, common: np.ndarray, least: int) -> np.ndarray:
    """`values` without the common ones, unless that leaves too little to go on (a much-copied text)."""
    rare = values[~np.isin(values, common, assume_unique=True)]
    return rare if len(rare) >= least else values


def candidates(articles: list[Article], docs: list[_Doc], exact_of: list[int],
               rewrite_threshold: float = 0.3, per_article: int = 20) -> Candidates:
    """Candidate pairs from the three MinHash LSH indexes; of exact duplicates only the first one enters.

    Trigrams and words found in many articles (more than 0.5%, at least 50) are left out of the sketches:
    stock phrases and everyday words say nothing about copying and would make every pair a candidate.
    A rewrite candidate must also reach the threshold on the estimated Jaccard, and each article keeps
    its `per_article` best, so that a story told by many outlets does not turn into all of its pairs.
    """
    hasher = _Hasher()
    out = Candidates()
    roots = [i for i in range(len(docs)) if exact_of[i] == i]
    cap = max(50, len(roots) // 200)
    tri_of = {i: docs[i].trigrams() for i in roots}
    common_tri = _common([np.unique(np.concatenate(t)) for t in tri_of.values() if t], cap)
    out.stock_trigrams = frozenset(common_tri.tolist())
    out.stock_names = _common([docs[i].anchors() for i in roots], cap)
    content_of = {i: docs[i].content() for i in roots}
    common_words = _common(list(content_of.values()), cap)
    skeleton_of = {i: docs[i].skeleton() for i in roots}
    common_skeleton = _common(list(skeleton_of.values()), cap)
    windows = MinHashLSH(threshold=0.5, num_perm=_NUM_PERM)
    topics = MinHashLSH(threshold=rewrite_threshold, num_perm=_NUM_PERM, weights=(0.3, 0.7))
    styles = MinHashLSH(threshold=rewrite_threshold, num_perm=_NUM_PERM, weights=(0.3, 0.7))
    sketches: dict[tuple[str, int], MinHash] = {}

    def similar(index: MinHashLSH, name: str, i: int, values: np.ndarray) -> None:
        m = hasher(values)
        near = sorted(((m.jaccard(sketches[(name, j)]), j) for j in index.query(m)), reverse=True)
        out.rewrite.update((j, i) for est, j in near[:per_article] if est >= rewrite_threshold)
        index.insert(i, m, check_duplication=False)
        sketches[(name, i)] = m

    languages = {a.language for a in articles}
    anchors = None
    if len(languages) > 1:
        anchors = MinHashLSH(threshold=0.3, num_perm=_NUM_PERM, weights=(0.3, 0.7))
    for i in roots:
        tri = tri_of.pop(i)
        if not tri:
            continue
        flat = np.concatenate(tri)
        rare_flat = ~np.isin(flat, common_tri)
        bounds = np.cumsum([0] + [len(t) for t in tri])
        for w, start in enumerate(range(0, max(1, len(tri) - _WINDOW + _STRIDE), _STRIDE)):
            lo, hi = bounds[start], bounds[min(start + _WINDOW, len(tri))]
            rare = np.unique(flat[lo:hi][rare_flat[lo:hi]])
            values = rare if len(rare) >= 3 else np.unique(flat[lo:hi])  # a much-copied text: keep all
            if len(values) < 3:
                continue
            m = hasher(values)
            out.verbatim.update((j, i) for j, _ in windows.query(m) if j != i)
            windows.insert((i, w), m, check_duplication=False)
        # No fall-back to common values here: an article with nothing rare left has no telling wording.
        content = _rare(content_of.pop(i), common_words, 0)
        if len(content) >= 5:
            similar(topics, "topic", i, content)
        skeleton = _rare(skeleton_of.pop(i), common_skeleton, 0)
        if len(skeleton) >= 5:
            similar(styles, "style", i, skeleton)
        if anchors is not None:
            values = docs[i].anchors()
            if len(values) >= 3:
                m = hasher(values)
                out.translation.update((j, i) for j in anchors.query(m)
                                       if articles[j].language != articles[i].language)
                anchors.insert(i, m, check_duplication=False)
    return out


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def find_copies(articles: list[Article], workspace: Workspace | None = None) -> list[CopyRelation]:
    """Copy relations among `articles`: who copies whom, how (kind), how much of the copy, and the evidence.

    With a workspace, pair verdicts are cached (article ids change when the wording does) and the
    relations are stored in the `copy_relations` table.
    """
    order = {a.id: k for k, a in enumerate(articles)}
    cache: dict[tuple[str, str], dict[str, Any] | None] = {}
    if workspace is not None:
        workspace.ensure_schema(_SCHEMA)
        for row in workspace.conn.execute("SELECT a, b, data FROM copy_pairs WHERE version=?", (VERSION,)):
            cache[(row[0], row[1])] = json.loads(row[2])
    fresh: dict[tuple[str, str], dict[str, Any] | None] = {}

    relations: list[CopyRelation] = []
    first: dict[str, int] = {}
    exact_of: list[int] = []
    for i, a in enumerate(articles):
        key = text_key(a.text)
        exact_of.append(first.setdefault(key, i))
    for i, j in enumerate(exact_of):
        if i != j:
            v = {"kind": "exact", "ab": 1.0, "ba": 1.0,
                 "ab_pairs": [(k, k, 1.0) for k in range(len(articles[i].sentences))],
                 "ba_pairs": [(k, k, 1.0) for k in range(len(articles[i].sentences))]}
            relations.append(_relation(articles[j], articles[i], v, order))

    docs = [_features(a) for a in articles]
    cands = candidates(articles, docs, exact_of)
    involved = {k for pairs in (cands.verbatim, cands.rewrite, cands.translation) for p in pairs for k in p}
    # Articles in no candidate pair are settled: free their features (about 2 KB each).
    docs = [d if k in involved else None for k, d in enumerate(docs)]

    def cached(i: int, j: int) -> tuple[bool, dict[str, Any] | None]:
        key = _pair_key(articles[i].id, articles[j].id)
        if key not in cache:
            return False, None
        v = cache[key]
        if v is not None and key[0] != articles[i].id:  # stored for the id-sorted orientation
            v = {**v, "ab": v["ba"], "ba": v["ab"], "ab_pairs": v["ba_pairs"], "ba_pairs": v["ab_pairs"]}
        return True, v

    def remember(i: int, j: int, v: dict[str, Any] | None) -> None:
        key = _pair_key(articles[i].id, articles[j].id)
        if v is not None and key[0] != articles[i].id:
            v = {**v, "ab": v["ba"], "ba": v["ab"], "ab_pairs": v["ba_pairs"], "ba_pairs": v["ab_pairs"]}
        fresh[key] = v

    verdicts: dict[tuple[int, int], dict[str, Any]] = {}
    for i, j in sorted(cands.verbatim):
        v = _verdict_verbatim(docs[i], docs[j], cands.stock_trigrams)
        if v is not None:
            verdicts[(i, j)] = v
    # Rewrites: embeddings only for candidate pairs not already settled as near-verbatim.
    todo: dict[str, list[tuple[int, int]]] = {"rewrite": [], "translation": []}
    rewrite_pairs = {p for p in cands.rewrite if verdicts.get(p, {}).get("kind") in (None, "partial")}
    for kind, pairs in (("rewrite", rewrite_pairs), ("translation", cands.translation)):
        for i, j in sorted(pairs):
            if articles[i].language != articles[j].language and kind == "rewrite":
                continue
            hit, v = cached(i, j)
            if hit:
                if v is not None:
                    verdicts[(i, j)] = v
                continue
            if kind == "rewrite" and not _may_be_rewrite(docs[i], docs[j], cands.stock_names):
                remember(i, j, None)  # settled without embeddings: too few sentences worded alike
                continue
            todo[kind].append((i, j))
    for kind, pairs in todo.items():
        if not pairs:
            continue
        involved = sorted({k for p in pairs for k in p})
        multilingual = kind == "translation" or any(articles[k].language != "en" for k in involved)
        vecs = _embed([articles[k] for k in involved], multilingual)
        if vecs is None:  # no multilingual model installed: translations cannot be checked
            continue
        for i, j in pairs:
            v = _verdict_aligned(docs[i], docs[j], vecs[articles[i].id], vecs[articles[j].id], kind,
                                 cands.stock_trigrams)
            remember(i, j, v)
            old = verdicts.get((i, j))
            if v is not None and (old is None or max(v["ab"], v["ba"]) > max(old["ab"], old["ba"]) + 0.2):
                verdicts[(i, j)] = v
    for (i, j), v in sorted(verdicts.items()):
        relations.append(_relation(articles[i], articles[j], v, order))
    relations.sort(key=lambda r: (order[r.of], order[r.article]))
    if workspace is not None:
        _store(workspace, fresh, relations)
    return relations


def _store(workspace: Workspace, fresh: dict[tuple[str, str], dict[str, Any] | None],
           relations: list[CopyRelation]) -> None:
    with workspace.transaction() as c:
        c.executemany("INSERT OR REPLACE INTO copy_pairs VALUES (?, ?, ?, ?)",
                      [(a, b, VERSION, json.dumps(v)) for (a, b), v in fresh.items()])
        c.execute("DELETE FROM copy_relations")
        c.executemany("INSERT OR REPLACE INTO copy_relations VALUES (?, ?, ?, ?, ?, ?)",
                      [(r.article, r.of, r.kind, r.share, json.dumps(r.evidence), r.reason)
                       for r in relations])


def stored_copies(workspace: Workspace) -> list[CopyRelation]:
    """The relations of the last `find_copies` run on this workspace."""
    workspace.ensure_schema(_SCHEMA)
    rows = workspace.conn.execute("SELECT article, of, kind, share, evidence, reason FROM copy_relations")
    return [CopyRelation(r[0], r[1], r[2], r[3], [tuple(e) for e in json.loads(r[4])], r[5]) for r in rows]


def copy_table(articles: list[Article], copies: Iterable[CopyRelation]) -> list[dict[str, Any]]:
    """One row per relation, originals first, for the `newsweave copies` table."""
    by_id = {a.id: a for a in articles}

    def label(article_id: str) -> str:
        a = by_id.get(article_id)
        if a is None:
            return article_id
        where = a.outlet or urlsplit(a.url or "").hostname or Path(a.source.split("#")[0]).name
        return f"{where} ({a.published or 'undated'})"

    def title(article_id: str) -> str:
        a = by_id.get(article_id)
        return (a.title or a.sentences[0])[:60] if a else ""

    rows = []
    for r in sorted(copies, key=lambda r: (r.of, -r.share, r.article)):
        rows.append({"copy": r.article, "copy_source": label(r.article), "copy_title": title(r.article),
                     "original": r.of, "original_source": label(r.of), "kind": r.kind,
                     "share": f"{r.share:.0%}", "sentences": len(r.evidence), "reason": r.reason})
    return rows


def independent_sources(article_ids: Iterable[str], copies: Iterable[CopyRelation]) -> int:
    """Number of groups of the given articles once articles joined by copy relations count once."""
    ids = list(dict.fromkeys(article_ids))
    parent = {a: a for a in ids}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for rel in copies:
        if rel.article in parent and rel.of in parent:
            parent[root(rel.article)] = root(rel.of)
    return len({root(a) for a in ids})
