"""Copies: which articles repeat others, so that a copy does not count as an independent source.

Three candidate generators, all MinHash LSH (datasketch's permutations and band layout, with the signatures
and the bands computed in bulk with numpy), so no step compares all pairs:

- verbatim: word-trigram MinHash of windows of a few sentences; finds exact, near-verbatim and partial
  copies (a window of the copier matches a window of the original even when only a block was reused);
- rewrite: MinHash of the set of content words (stop words dropped), which a round-trip translated
  copy mostly keeps, and MinHash of function-word 5-grams (content words blanked), which a synonym
  spinner keeps;
- translation (only when the articles are in more than one language): MinHash of anchors (capitalised
  words and numbers), which survive translation.

Candidates are then confirmed exactly: sentence by sentence trigram containment for verbatim reuse, and
sentence alignment with sentence embeddings (MiniLM, or multilingual-e5 across languages) for rewrites,
only for the candidate pairs, and in one language only for sentence pairs already worded alike. A copied
or reworded sentence keeps its names and numbers: sentence pairs that disagree on them never count. Text
inside quotation marks never counts as evidence: two reporters who heard the same press conference carry
the same quotes, and that is not copying. The share of an article covered by another is therefore
measured on its own words (outside quotation marks).
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
from rapidfuzz import process
from rapidfuzz.distance import Indel

from .clean import text_hash
from .model import Article, CopyRelation
from .workspace import Workspace

VERSION = "copies-5"  # bump when the pair analysis changes: cached pair verdicts are keyed by it

# Words; in Chinese and Japanese, which do not space their words, each character is a token, so
# that a Latin name inside such text ("伊尔丝·马罗(Ilse Marrow)") is a word of its own.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*")
_DIGIT = re.compile(r"\d").search
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
# Estimated Jaccard of names and numbers for a translation candidate: all 709 of MEANTIME's translation pairs
# that the banding finds are at 0.2 or more (700 at 0.3).
TRANSLATION_ANCHORS = 0.2
LEAD_SENTENCES = 6  # a translation candidate is embedded whole only when its lead meets the other's

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


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """np.isin against a sorted array, without sorting that array again on every call."""
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


_HASHES: dict[str, int] = {}


def _hash(token: str) -> int:
    h = _HASHES.get(token)
    if h is None:
        h = zlib.crc32(token.encode())  # stable across processes, unlike hash()
        if len(_HASHES) < 500_000:  # the frequent words; rare ones (names) are cheap to hash again
            _HASHES[token] = h
    return h


@dataclass
class _Doc:
    """Token hashes of one article with, per token, its sentence and whether it lies outside quotes."""

    tokens: np.ndarray  # uint32 hash per token (lower case)
    sent: np.ndarray  # int32 sentence index per token
    own: np.ndarray  # bool: outside quotation marks
    anchor: np.ndarray  # bool: part of a run of capitalised words inside a sentence (a name), or a number
    upper: np.ndarray  # bool: a capitalised word
    digit: np.ndarray  # bool: a number
    n_sent: int
    _tri: list[np.ndarray] | None = field(default=None, repr=False)

    def trigrams(self) -> list[np.ndarray]:
        """Per sentence, the hashes of its word trigrams that lie wholly outside quotation marks."""
        if self._tri is None:
            t = self.tokens.astype(np.uint64)
            out: list[np.ndarray] = [np.zeros(0, dtype=np.uint32)] * self.n_sent
            if len(t) >= 3:
                h = ((t[:-2] * np.uint64(1_000_003) + t[1:-1]) * np.uint64(1_000_003) + t[2:]) & np.uint64(
                    0xFFFFFFFF)
                ok = self.own[:-2] & self.own[1:-1] & self.own[2:] & (self.sent[:-2] == self.sent[2:])
                sid = self.sent[:-2][ok]
                h = h[ok].astype(np.uint32)
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
        keep = self.own & ~_member(self.tokens, _stop_hashes())
        return np.unique(self.tokens[keep])

    def skeleton(self) -> np.ndarray:
        """Function-word 5-grams (content words blanked): a synonym spinner swaps the words, not these.

        The idea of SpotSigs (Theobald et al., 2008): stop-word anchored signatures find near-duplicate
        news across changed wording and page furniture.
        """
        k = 5
        if len(self.tokens) < k:
            return np.zeros(0, dtype=np.uint32)
        is_stop = _member(self.tokens, _stop_hashes())
        t = np.where(is_stop, self.tokens, 0).astype(np.uint64)
        h = np.zeros(len(t) - k + 1, dtype=np.uint64)
        ok = self.sent[: len(h)] == self.sent[k - 1:]
        stops = np.zeros(len(h), dtype=np.int32)
        for d in range(k):
            h = h * np.uint64(1_000_003) + t[d: d + len(h)]
            ok &= self.own[d: d + len(h)]
            stops += is_stop[d: d + len(h)]
        return np.unique((h[ok & (stops >= 2)] & np.uint64(0xFFFFFFFF)).astype(np.uint32))

    def anchors(self) -> np.ndarray:
        return np.unique(self.tokens[self.anchor])

    def capitalised_names(self) -> np.ndarray:
        """Capitalised words that are not stop words, wherever they stand: a name opening a sentence counts,
        and the everyday word that opens one is a stock name (in many articles)."""
        return self.upper & ~_member(self.tokens, _stop_hashes())

    def names(self) -> np.ndarray:
        return np.unique(self.tokens[self.capitalised_names() | self.digit])

    def sentence_names(self, which: np.ndarray, stock: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sentence x value incidence (bool) over the tokens flagged in `which` (names or numbers), outside
        quotes and not `stock`, with those values."""
        keep = which & self.own & ~_member(self.tokens, stock)
        values, column = np.unique(self.tokens[keep], return_inverse=True)
        out = np.zeros((self.n_sent, len(values)), dtype=bool)
        out[self.sent[keep], column] = True
        return out, values


def _features(article: Article) -> _Doc:
    tokens: list[int] = []
    sents: list[int] = []
    own: list[bool] = []
    upper: list[bool] = []
    starts: list[int] = []  # the first token of each sentence
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
            found = _TOKEN.findall(segment)
            if not found:
                continue
            tokens.extend([_HASHES.get(low) or _hash(low) for low in map(str.lower, found)])
            sents.extend([s] * len(found))
            own.extend([not inside] * len(found))
            upper.extend([tok[0].isupper() for tok in found])
            if first:
                starts.append(len(tokens) - len(found))
                first = False
            digit.extend([_DIGIT(tok) is not None for tok in found])
    # Names survive translation; a lone capitalised word does not mark one (German capitalises every noun),
    # nor does the capital of a sentence's first word.
    is_upper = np.array(upper, dtype=bool)
    cap = is_upper.copy()
    cap[starts] = False
    run = np.zeros_like(cap)
    run[1:] |= cap[1:] & cap[:-1]
    run[:-1] |= cap[:-1] & cap[1:]
    is_digit = np.array(digit, dtype=bool)
    return _Doc(np.array(tokens, dtype=np.uint32), np.array(sents, dtype=np.int32), np.array(own, dtype=bool),
                run | is_digit, is_upper, is_digit, len(article.sentences))


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray:
    # datasketch (and the scipy it loads, most of a second) is imported on first use: a run with nothing new
    # never needs it.
    from datasketch import MinHash

    return MinHash(num_perm=_NUM_PERM, seed=7, scheme="affine32").permutations.astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, which datasketch's affine32 scheme applies before its permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(sets: list[np.ndarray]) -> np.ndarray:
    """MinHash signatures (one row each) of non-empty sets of 32-bit hashes, equal to datasketch's
    MinHash(num_perm=64, seed=7, scheme="affine32", hashfunc=int) but computed for many sets in one
    numpy pass: a MinHash object per 4-sentence window costs more time and memory than the text."""
    a, b = _permutations()
    out = np.empty((len(sets), _NUM_PERM), dtype=np.uint32)
    start = 0
    while start < len(sets):
        stop, size = start, 0
        while stop < len(sets) and size < 100_000:  # ~100k values x 64 permutations: 25 MB at a time
            size += len(sets[stop])
            stop += 1
        chunk = sets[start:stop]
        values = _fmix32(np.concatenate(chunk).astype(np.uint32))
        with np.errstate(over="ignore"):  # the permutations are affine maps modulo 2**32
            permuted = values[:, None] * a[None, :] + b[None, :]
        offsets = np.cumsum([0] + [len(c) for c in chunk[:-1]])
        out[start:stop] = np.minimum.reduceat(permuted, offsets, axis=0)
        start = stop
    return out


def _lsh_pairs(sig: np.ndarray, threshold: float, weights: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """Row pairs (k < l) of `sig` equal on all rows of at least one band: the candidates of a datasketch
    MinHashLSH with the band layout it picks for `threshold`, found by sorting each band's keys instead of
    filling its buckets (a dict of sets per band costs about 300 bytes per sketch and band)."""
    from datasketch import MinHashLSH

    layout = MinHashLSH(threshold=threshold, num_perm=_NUM_PERM, weights=weights)
    found = [np.zeros((0, 2), dtype=np.int64)]
    for band in range(layout.b):
        key = np.zeros(len(sig), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for col in range(band * layout.r, (band + 1) * layout.r):  # FNV-style hash of the band's values
                key = (key ^ sig[:, col].astype(np.uint64)) * np.uint64(0x100000001B3)
        order = np.argsort(key, kind="stable")
        key = key[order]
        same = np.flatnonzero(key[1:] == key[:-1])
        if not len(same):
            continue
        grouped = np.zeros(len(key), dtype=bool)
        grouped[same] = grouped[same + 1] = True
        keys, rows = key[grouped], order[grouped]
        for d in range(1, len(keys)):  # each member with the one d places further in its run of equal keys
            hit = keys[:-d] == keys[d:]
            if not hit.any():
                break
            found.append(np.stack([rows[:-d][hit], rows[d:][hit]], axis=1).astype(np.int64))
    pairs = np.sort(np.concatenate(found), axis=1)
    return _unique_pairs(pairs, len(sig))


def _unique_pairs(pairs: np.ndarray, n: int) -> np.ndarray:
    code = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([code // n, code % n], axis=1)


def _estimated_jaccard(sig: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    out = np.empty(len(pairs), dtype=np.float32)
    for start in range(0, len(pairs), 500_000):
        p = pairs[start: start + 500_000]
        out[start: start + 500_000] = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
    return out


# -- pair analysis ---------------------------------------------------------------------------------


@dataclass
class _Cover:
    """How much of `here` is covered by `there`: share of own words and the sentence pairs behind it."""

    share: float
    words: int
    pairs: list[tuple[int, int, float]]


def _verbatim(here: _Doc, there: _Doc, stock: frozenset[int] = frozenset(),
              agree: np.ndarray | None = None) -> _Cover:
    """Sentences of `here` reused in `there`. A sentence sharing only `stock` trigrams (phrases found in
    many articles) is a stock sentence, not a reused one; nor is one whose names and numbers all differ
    from those of its partner (`agree`, from _same_names): that is a shared frame."""
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
            j = Counter(hits).most_common(1)[0][0]
            if agree is not None and not agree[i, j]:
                continue
            pairs.append((i, j, round(len(hits) / len(values), 3)))
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


def _same_names(a: _Doc, b: _Doc, stock: np.ndarray) -> np.ndarray:
    """Sentence pairs that do not tell different facts. A copied or reworded sentence keeps the names and
    the numbers of its original, so two sentences that both carry names (not stock ones) and share none,
    or both carry numbers and share none, are not one sentence, however alike their frames (two reports
    that fill the same stock sentence with other names, or with another figure)."""
    agree = np.ones((a.n_sent, b.n_sent), dtype=bool)
    for which_a, which_b in ((a.capitalised_names(), b.capitalised_names()), (a.digit, b.digit)):
        in_a, values_a = a.sentence_names(which_a, stock)
        in_b, values_b = b.sentence_names(which_b, stock)
        _, ca, cb = np.intersect1d(values_a, values_b, assume_unique=True, return_indices=True)
        shared = (in_a[:, ca].astype(np.float32) @ in_b[:, cb].T.astype(np.float32)) > 0
        agree &= shared | ~in_a.any(axis=1)[:, None] | ~in_b.any(axis=1)[None, :]
    return agree


def _alike(a: _Doc, b: _Doc, agree: np.ndarray) -> np.ndarray:
    """Sentence pairs that may be one sentence reworded: both with words of their own, a word-level LCS
    similarity >= EN_LEXICAL and no disagreement on names (`agree`). Only these pairs are ever embedded."""
    alike = _lexical(a, b) >= EN_LEXICAL
    alike &= (a.own_words() > 0)[:, None] & (b.own_words() > 0)[None, :]
    return alike & agree


def _aligned(sims: np.ndarray, own_here: np.ndarray, own_there: np.ndarray,
             verbatim: list[tuple[int, int, float]], alike: np.ndarray | None) -> _Cover:
    """Sentences of `here` aligned to sentences of `there`. With `alike` (same language) only those
    sentence pairs count, at cosine >= EN_SIM; across languages, where words cannot be compared, any pair
    of sentences with words of their own at cosine >= ML_SIM."""
    sims = sims.copy()
    sims[own_here == 0, :] = -1.0
    sims[:, own_there == 0] = -1.0
    if alike is not None:
        sims[~alike] = -1.0
    pairs = {i: (i, j, s) for i, j, s in verbatim}
    if sims.size:
        best = sims.argmax(axis=1)
        for i, j in enumerate(best):
            if i not in pairs and sims[i, j] >= (ML_SIM if alike is None else EN_SIM):
                pairs[i] = (i, int(j), round(float(sims[i, j]), 3))
    chain = _chain(list(pairs.values()), own_here)
    words = int(sum(own_here[i] for i, _, _ in chain))
    total = int(own_here.sum())
    return _Cover(words / total if total else 0.0, words, chain)


_CJK_STOP = re.compile(r"(?<=[。！？])")


def _pieces(sentence: str) -> list[str]:
    """A "sentence" as the embedder sees it: Chinese and Japanese text that the sentence splitter kept as one
    paragraph is cut at its full stops, so that each piece can meet the one sentence it translates."""
    return [p for p in _CJK_STOP.split(sentence) if p.strip()] or [sentence]


def _embed(texts: list[str], multilingual: bool) -> np.ndarray | None:
    """Unit vectors of `texts`, or None when the model needed is not installed (each model embeds a text
    once per run: the leads `_leads_meet` read are not embedded again for the full alignment)."""
    from . import embed

    model = embed.multilingual() if multilingual else embed.english()
    if model is None:
        return None
    # In slices, so that the model's own text cache is pruned between them; float16 halves the vectors kept
    # for the alignment, far below the cosine thresholds' precision.
    return np.concatenate([model.encode(texts[k: k + 10_000]) for k in range(0, len(texts), 10_000)]
                          or [np.zeros((0, model.dim), dtype=np.float32)]).astype(np.float16)


def _leads_meet(pairs: Iterable[tuple[int, int]], articles: list[Article],
                docs: list[_Doc | None]) -> set[tuple[int, int]] | None:
    """The translation candidates whose leads meet: some sentence among the first LEAD_SENTENCES of one
    (with words of its own) has a counterpart at ML_SIM among the other's. A translation renders its
    original's lead, so the others are settled without embedding the rest of their sentences (on the AEB
    pages none of 46 candidate pairs was a translation, and embedding all their sentences with the
    multilingual model took 50 s). None without the model."""
    pairs = list(pairs)
    rows: dict[int, list[int]] = {}
    texts: dict[str, int] = {}
    for k in dict.fromkeys(k for p in pairs for k in p):
        doc = docs[k]
        lead = np.flatnonzero(doc.own_words() > 0)[:LEAD_SENTENCES] if doc is not None else []
        rows[k] = [texts.setdefault(p, len(texts)) for s in lead for p in _pieces(articles[k].sentences[s])]
    vecs = _embed(list(texts), True)
    if vecs is None:
        return None
    vecs32 = vecs.astype(np.float32)
    return {(i, j) for i, j in pairs
            if rows[i] and rows[j] and float((vecs32[rows[i]] @ vecs32[rows[j]].T).max()) >= ML_SIM}


def _verdict_verbatim(a: _Doc, b: _Doc, stock: frozenset[int], names: np.ndarray) -> dict[str, Any] | None:
    agree = _same_names(a, b, names)
    ab, ba = _verbatim(a, b, stock, agree), _verbatim(b, a, stock, agree.T)
    if min(ab.share, ba.share) >= NEAR_VERBATIM:
        kind = "near-verbatim"
    elif max(ab.share, ba.share) >= MIN_PARTIAL_SHARE and max(ab.words, ba.words) >= MIN_PARTIAL_WORDS and \
            max(len(ab.pairs), len(ba.pairs)) >= 2:
        kind = "partial"
    else:
        return None
    return {"kind": kind, "ab": ab.share, "ba": ba.share, "ab_pairs": ab.pairs, "ba_pairs": ba.pairs}


def _verdict_aligned(da: _Doc, db: _Doc, sims: np.ndarray, kind: str,
                     pre: _Prefiltered | None) -> dict[str, Any] | None:
    own_a, own_b = da.own_words(), db.own_words()
    if pre is not None:  # a rewrite: same language
        ab = _aligned(sims, own_a, own_b, pre.ab, pre.alike)
        ba = _aligned(sims.T, own_b, own_a, pre.ba, pre.alike.T)
    else:
        ab = _aligned(sims, own_a, own_b, [], None)
        ba = _aligned(sims.T, own_b, own_a, [], None)
    if max(ab.share, ba.share) < MIN_REWRITE_SHARE or max(len(ab.pairs), len(ba.pairs)) < 2:
        return None
    return {"kind": kind, "ab": ab.share, "ba": ba.share, "ab_pairs": ab.pairs, "ba_pairs": ba.pairs}


def _shares_names(a: _Doc, b: _Doc, stock: np.ndarray) -> bool:
    """A rewrite keeps the names and numbers of its original; text built from the same stock phrases
    around other names is another story. Names and numbers found in many articles do not count."""
    x, y = a.anchors(), b.anchors()
    x, y = x[~_member(x, stock)], y[~_member(y, stock)]
    if not len(x) or not len(y):
        return not len(x) and not len(y)
    return len(np.intersect1d(x, y)) / min(len(x), len(y)) >= MIN_SHARED_NAMES


@dataclass
class _Prefiltered:
    """A rewrite candidate that passed the cheap checks: its verbatim sentences, and the other sentence
    pairs worth embedding."""

    ab: list[tuple[int, int, float]]
    ba: list[tuple[int, int, float]]
    alike: np.ndarray


def _may_be_rewrite(a: _Doc, b: _Doc, stock_names: np.ndarray, stock_trigrams: frozenset[int]) -> _Prefiltered | None:
    """None when the cheap necessary conditions for a rewrite fail: shared names, and at least
    MIN_REWRITE_SHARE of one side's own words in sentences reused verbatim or worded alike."""
    if not _shares_names(a, b, stock_names):
        return None
    agree = _same_names(a, b, stock_names)
    alike = _alike(a, b, agree)
    ab, ba = _verbatim(a, b, stock_trigrams, agree).pairs, _verbatim(b, a, stock_trigrams, agree.T).pairs
    done_a, done_b = [i for i, _, _ in ab], [i for i, _, _ in ba]
    own_a, own_b = a.own_words(), b.own_words()
    covered_a, covered_b = alike.any(axis=1), alike.any(axis=0)
    covered_a[done_a] = covered_b[done_b] = True
    if max(own_a[covered_a].sum() / max(1, own_a.sum()), own_b[covered_b].sum() / max(1, own_b.sum())) < \
            MIN_REWRITE_SHARE:
        return None
    # Sentences reused verbatim are aligned already: embedding them would only confirm it.
    alike[done_a, :] = False
    alike[:, done_b] = False
    return _Prefiltered(ab, ba, alike)


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
    rare = values[~_member(values, common)]
    return rare if len(rare) >= least else values


def candidates(articles: list[Article], docs: list[_Doc | None], exact_of: list[int],
               rewrite_threshold: float = 0.3, per_article: int = 20) -> Candidates:
    """Candidate pairs from three MinHash LSH indexes; of exact duplicates only the first one enters (the
    others need no features: None).

    Trigrams and words found in many articles (more than 0.5%, at least 50) are left out of the sketches:
    stock phrases and everyday words say nothing about copying and would make every pair a candidate.
    A rewrite candidate must also reach the threshold on the estimated Jaccard, and each article keeps
    its `per_article` best among the articles before it, so that a story told by many outlets does not
    turn into all of its pairs.
    """
    out = Candidates()
    roots = [i for i in range(len(docs)) if exact_of[i] == i]
    cap = max(50, len(roots) // 200)
    out.stock_trigrams = frozenset(_common([np.unique(np.concatenate(docs[i].trigrams())) for i in roots
                                            if docs[i].n_sent], cap).tolist())
    common_tri = np.array(sorted(out.stock_trigrams), dtype=np.uint32)
    out.stock_names = _common([docs[i].names() for i in roots], cap)

    # Verbatim reuse: windows of _WINDOW sentences every _STRIDE sentences (a reused block of at least
    # _WINDOW + _STRIDE - 1 sentences fills a whole window), sketched in batches of articles.
    sigs, owners = [], []
    for start in range(0, len(roots), 2000):
        windows, owner = [], []
        for i in roots[start: start + 2000]:
            tri = docs[i].trigrams()
            if not tri:
                continue
            flat = np.concatenate(tri)
            rare_flat = ~_member(flat, common_tri)
            bounds = np.cumsum([0] + [len(t) for t in tri])
            # A window an article repeats is signed once: a text repeating a few sentences would otherwise put
            # thousands of its own windows in one bucket, and pairing them all is quadratic.
            seen: set[bytes] = set()
            for first in range(0, max(1, len(tri) - _WINDOW + _STRIDE), _STRIDE):
                lo, hi = bounds[first], bounds[min(first + _WINDOW, len(tri))]
                rare = np.unique(flat[lo:hi][rare_flat[lo:hi]])
                values = rare if len(rare) >= 3 else np.unique(flat[lo:hi])  # a much-copied text: keep all
                if len(values) >= 3 and values.tobytes() not in seen:
                    seen.add(values.tobytes())
                    windows.append(values)
                    owner.append(i)
        if windows:
            sigs.append(signatures(windows))
            owners.append(np.array(owner, dtype=np.int64))
    if sigs:
        owner = np.concatenate(owners)
        pairs = owner[_lsh_pairs(np.concatenate(sigs), 0.5)]
        del sigs
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        out.verbatim = set(map(tuple, _unique_pairs(pairs, len(docs)).tolist()))

    # Rewrites. No fall-back to common values here: an article with nothing rare left has no telling wording.
    for values_of in (_Doc.content, _Doc.skeleton):
        values = {i: values_of(docs[i]) for i in roots}
        common = _common(list(values.values()), cap)
        kept = {i: _rare(v, common, 0) for i, v in values.items()}
        del values
        rows = np.array([i for i in roots if len(kept[i]) >= 5], dtype=np.int64)
        if len(rows) < 2:
            continue
        sig = signatures([kept[i] for i in rows])
        del kept
        pairs = _lsh_pairs(sig, rewrite_threshold, (0.3, 0.7))
        est = _estimated_jaccard(sig, pairs)
        pairs, est = pairs[est >= rewrite_threshold], est[est >= rewrite_threshold]
        # Per later article, its `per_article` most similar earlier ones.
        order = np.lexsort((-est, pairs[:, 1]))
        later = pairs[order, 1]
        first = np.flatnonzero(np.r_[True, later[1:] != later[:-1]])
        rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        best = rows[pairs[order[rank < per_article]]]
        out.rewrite.update(map(tuple, best.tolist()))

    if len({a.language for a in articles}) > 1:
        rows = np.array([i for i in roots if len(docs[i].anchors()) >= 3], dtype=np.int64)
        if len(rows) >= 2:
            sig = signatures([docs[i].anchors() for i in rows])
            pairs = _lsh_pairs(sig, 0.3, (0.3, 0.7))
            pairs = pairs[[articles[rows[k]].language != articles[rows[m]].language for k, m in pairs.tolist()]]
            est = _estimated_jaccard(sig, pairs) if len(pairs) else np.zeros(0, dtype=np.float32)
            # The banding only finds likely pairs; the estimate keeps those that share a translation's names and
            # numbers. Among 2,543 real articles (ECB+, MEANTIME, PolNeAR, AEB) the banding alone paired 11,497
            # across languages (English reports naming "Obama" or "2008" with Spanish ones), whose leads the
            # multilingual model then read at ~35 sentences/s; 1,304 pairs are left.
            out.translation = set(map(tuple, rows[pairs[est >= TRANSLATION_ANCHORS]].tolist()))
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
    # The workspace keeps each article's wording hash: not normalising 10,000 texts again on every run.
    stored = dict(workspace.conn.execute("SELECT id, text_hash FROM articles")) if workspace is not None else {}
    for i, a in enumerate(articles):
        key = stored.get(a.id) or text_hash(a.text)
        exact_of.append(first.setdefault(key, i))
    for i, j in enumerate(exact_of):
        if i != j:
            v = {"kind": "exact", "ab": 1.0, "ba": 1.0,
                 "ab_pairs": [(k, k, 1.0) for k in range(len(articles[i].sentences))],
                 "ba_pairs": [(k, k, 1.0) for k in range(len(articles[i].sentences))]}
            relations.append(_relation(articles[j], articles[i], v, order))

    # An exact duplicate's relation is settled above; only the first of each wording needs features.
    docs: list[_Doc | None] = [_features(a) if exact_of[k] == k else None for k, a in enumerate(articles)]
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

    def keep_better(i: int, j: int, v: dict[str, Any] | None) -> None:
        """An aligned verdict replaces a verbatim one only when it covers clearly more (the same rule whether
        the aligned verdict is fresh or cached, so a second run gives the same relations as the first)."""
        old = verdicts.get((i, j))
        if v is not None and (old is None or max(v["ab"], v["ba"]) > max(old["ab"], old["ba"]) + 0.2):
            verdicts[(i, j)] = v

    for i, j in sorted(cands.verbatim):
        v = _verdict_verbatim(docs[i], docs[j], cands.stock_trigrams, cands.stock_names)
        if v is not None:
            verdicts[(i, j)] = v
    # Rewrites: embeddings only for candidate pairs not already settled as near-verbatim.
    todo: dict[str, dict[tuple[int, int], _Prefiltered | None]] = {"rewrite": {}, "translation": {}}
    rewrite_pairs = {p for p in cands.rewrite if verdicts.get(p, {}).get("kind") in (None, "partial")}
    for kind, pairs in (("rewrite", rewrite_pairs), ("translation", cands.translation)):
        for i, j in sorted(pairs):
            if articles[i].language != articles[j].language and kind == "rewrite":
                continue
            hit, v = cached(i, j)
            if hit:
                keep_better(i, j, v)
                continue
            pre = None
            if kind == "rewrite":
                pre = _may_be_rewrite(docs[i], docs[j], cands.stock_names, cands.stock_trigrams)
                if pre is None:
                    remember(i, j, None)  # settled without embeddings: too few sentences worded alike
                    continue
            todo[kind][(i, j)] = pre
    if todo["translation"]:
        meet = _leads_meet(todo["translation"], articles, docs)
        if meet is not None:
            for i, j in todo["translation"]:
                if (i, j) not in meet:
                    remember(i, j, None)
            todo["translation"] = {p: pre for p, pre in todo["translation"].items() if p in meet}
    # Rewrites are in one language: English pairs with the English model, other languages with the multilingual
    # one (an English pair's verdict never depends on whether the workspace holds other languages; with any,
    # every rewrite pair went through multilingual-e5 at ~35 sentences/s: 466 s for 2,543 real articles).
    foreign = {p: pre for p, pre in todo["rewrite"].items() if articles[p[0]].language != "en"}
    english = {p: pre for p, pre in todo["rewrite"].items() if p not in foreign}
    for kind, pairs, multilingual in (("rewrite", english, False), ("rewrite", foreign, True),
                                      ("translation", todo["translation"], True)):
        if not pairs:
            continue
        # Only the sentences that can take part in an alignment are embedded, each distinct text once.
        needed: dict[int, set[int]] = {}
        for (i, j), pre in pairs.items():
            for k, rows in ((i, pre.alike.any(axis=1) if pre is not None else docs[i].own_words() > 0),
                            (j, pre.alike.any(axis=0) if pre is not None else docs[j].own_words() > 0)):
                needed.setdefault(k, set()).update(np.flatnonzero(rows).tolist())
        row_of: dict[str, int] = {}
        sentence_rows: dict[int, tuple[list[int], list[int]]] = {}  # per article: sentence of each piece, row
        for k, sentences in needed.items():
            pieces = [(s, p) for s in sorted(sentences) for p in _pieces(articles[k].sentences[s])]
            sentence_rows[k] = ([s for s, _ in pieces], [row_of.setdefault(p, len(row_of)) for _, p in pieces])
        del needed
        vecs = _embed(list(row_of), multilingual) if row_of \
            else np.zeros((0, 1), dtype=np.float16)
        del row_of
        if vecs is None:  # no multilingual model installed: translations cannot be checked
            continue
        for (i, j), pre in pairs.items():
            (si, ri), (sj, rj) = sentence_rows[i], sentence_rows[j]
            sims = np.zeros((docs[i].n_sent, docs[j].n_sent), dtype=np.float32)
            piece_sims = vecs[ri].astype(np.float32) @ vecs[rj].astype(np.float32).T
            if len(set(si)) == len(si) and len(set(sj)) == len(sj):
                sims[np.ix_(si, sj)] = piece_sims  # one piece per sentence: the common case, direct
            else:  # a sentence's similarity is that of its best pair of pieces
                np.maximum.at(sims, (np.array(si, dtype=np.intp)[:, None], np.array(sj, dtype=np.intp)[None, :]),
                              piece_sims)
            v = _verdict_aligned(docs[i], docs[j], sims, kind, pre)
            remember(i, j, v)
            keep_better(i, j, v)
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


def aligned_sentences(copies: Iterable[CopyRelation]) -> dict[tuple[str, int], tuple[str, int]]:
    """(article, sentence) -> one representative of the sentences the copy relations align with it (a
    republished or spun sentence and its original are one statement)."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(x: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for rel in copies:
        for here, there, _ in rel.evidence:
            a, b = root((rel.article, here)), root((rel.of, there))
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {x: root(x) for x in parent}


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
