"""Extractive, cited summaries and key facts: every line is a sentence of a cited article.

Sentences are scored by how much of what the story's independent sources report they cover (copies
count once), by position and by how clean they read; they are picked greedily with maximal marginal
relevance over MiniLM embeddings so that no two say the same thing, with a bonus for carrying a claim not yet
covered, weighted by how many independent sources carry it (the story's central claim belongs in its
summary). A sentence of a copy or of a garbled text is shown in the words of the original, or of a clean
article saying the same. A sentence asserting a disputed claim only enters the summary together with a
sentence of the dispute (one denial per claim), placed right after it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import embed
from .clean import chrome_reason
from .copies import independent_sources
from .entities import readable
from .model import Article, Citation, Claim, CopyRelation, KeyFact, SummarySentence

SAME_MEANING = 0.7  # MiniLM cosine above which two sentences report the same thing
REDUNDANT = SAME_MEANING  # never pick a sentence that says the same as one already picked
ASSERTS_CLAIM = 0.75  # a sentence this close to a claim's text asserts it
RESTATES = 0.85  # a sentence this close to one a claim cites restates it (copies, rewrites)
W_CLAIMS = 0.5  # bonus (relative to the best sentence) for a claim every independent source carries


@dataclass(frozen=True)
class Weights:
    """How a sentence is scored; the defaults are chosen by cross-validation on MultiLing 2011 topics
    (bench/summaries.py: chosen on half of the topics, scored on the other half, and the reverse)."""

    meaning: float = 0.0  # embedding centrality
    cover: float = 0.25  # how many independent sources say the same
    words: float = 0.5  # TF-IDF centrality
    position_decay: float = 2.0  # news puts the essentials first: sentence i weighs 1 / (1 + decay * i)
    mmr_lambda: float = 0.6  # relevance against redundancy with what is already picked
    concepts: float = 0.5  # bonus for word pairs several independent sources repeat, not yet covered


DEFAULT_WEIGHTS = Weights()

_WORD = re.compile(r"\w+")
_DANGLING_START = re.compile(r"^(he|she|it|they|this|these|those|that|but|and|however|also|meanwhile|"
                             r"still|yet|so|then|his|her|their|its)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(I|we|our|us)\b")
_GARBLED = ("machine-translation-signs", "garbled-names")
_RELATION_RANK = {"denies": 0, "contradicts": 1, "questions": 2}  # the plainest denial is shown first


def words_of(text: str) -> int:
    return len(text.split())


@dataclass
class Candidate:
    article: Article
    index: int
    group: int
    quality: float
    vec: np.ndarray = field(repr=False)
    copied: bool = False
    misspelt: bool = False  # writes a name in a garbled form ("Jack Sullivan")
    relevance: float = 0.0
    support: list[Citation] = field(default_factory=list)  # best sentence of each other article saying it

    @property
    def text(self) -> str:
        return self.article.sentences[self.index]

    @property
    def citation(self) -> Citation:
        return Citation(self.article.id, self.index)

    @property
    def second_hand(self) -> bool:
        """From a copy, or from a text whose names or grammar are garbled."""
        return self.copied or any(f in self.article.flags for f in _GARBLED)


_COMPLETE = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")


def complete(text: str) -> bool:
    """Whether a sentence ends as one: a line cut mid-phrase ("Xi said he stood ready to work with") is
    never shown on its own."""
    return bool(_COMPLETE.search(text.rstrip()))


def _balanced(text: str) -> bool:
    if text.count('"') % 2:
        return False
    return text.count("\u201c") == text.count("\u201d") and text.count("(") == text.count(")")


def sentence_quality(text: str, article: Article, is_copy: bool) -> float:
    """How safe a sentence is to show on its own, 0..1 (1 = clean, self-contained, from an original).

    Hand-written: no library scores "reads well out of context"; these are the failure modes seen in
    scraped and machine-translated news (fragments, cut quotes, dangling pronouns, first person).
    """
    return _wording_quality(text) * _source_quality(article, is_copy)


def _source_quality(article: Article, is_copy: bool) -> float:
    """The part of `sentence_quality` that reads the article: garbled names and machine translation make
    each sentence worse (twice worse with both), and so does being a copy."""
    return 0.7 ** sum(f in article.flags for f in _GARBLED) * (0.9 if is_copy else 1.0)


def _wording_quality(text: str) -> float:
    """The part of `sentence_quality` that reads the sentence alone."""
    q = 1.0
    n = words_of(text)
    stripped = text.lstrip("\"'\u201c\u2018(")
    if n < 6:
        q *= 0.3
    elif n > 55:
        q *= 0.6
    if not stripped[:1].isupper() and not stripped[:1].isdigit():
        q *= 0.3
    if not _balanced(text):
        q *= 0.4
    if not text.rstrip("\"'\u201d\u2019)").endswith((".", "!", "?")):
        q *= 0.5
    if text.rstrip().endswith("?"):
        q *= 0.6
    if _DANGLING_START.match(stripped):
        q *= 0.75
    if _FIRST_PERSON.search(re.sub(r"[\"\u201c][^\"\u201d]*[\"\u201d]", "", text)):
        q *= 0.6
    return q


def copy_groups(articles: list[Article], copies: list[CopyRelation]) -> dict[str, int]:
    """Article id -> group number; articles joined by copy relations share a group."""
    ids = [a.id for a in articles]
    parent = {a: a for a in ids}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for rel in copies:
        if rel.article in parent and rel.of in parent:
            parent[root(rel.article)] = root(rel.of)
    roots: dict[str, int] = {}
    return {a: roots.setdefault(root(a), len(roots)) for a in ids}


def _lexical_centrality(texts: list[str], group_of: np.ndarray, n_groups: int) -> np.ndarray:
    """TF-IDF cosine of each sentence to the story's word centroid (each independent source once):
    names and numbers that many sources repeat, which sentence embeddings blur."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        m = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    except ValueError:  # only stop words
        return np.zeros(len(texts))
    centre = np.asarray(np.mean([m[group_of == g].mean(0) for g in range(n_groups)], axis=0)).ravel()
    centre /= max(float(np.linalg.norm(centre)), 1e-9)
    return np.asarray(m @ centre).ravel()


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - nltk PorterStemmer
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # nltk's Porter stemmer costs ~40 us a word, and a story's sentences repeat their words many times
    return _stemmer().stem(word)


@lru_cache(maxsize=65536)
def _bigrams(text: str) -> frozenset[tuple[str, str]]:
    """Stemmed word pairs of a sentence, but for pairs of two stop words (they carry no content)."""
    stop, stem = _stop_words(), _stem
    words = [w.lower() for w in _WORD.findall(text)]
    return frozenset((stem(a), stem(b)) for a, b in zip(words, words[1:], strict=False)
                     if not (a in stop and b in stop))


def _concept_weights(cands: list[Candidate]) -> dict[tuple[str, str], float]:
    """Concepts of the story (as in concept-coverage summarizers such as ICSISumm): word pairs that at least
    two independent sources write, weighted by how many do."""
    groups: dict[tuple[str, str], set[int]] = {}
    for c in cands:
        for b in _bigrams(c.text):
            groups.setdefault(b, set()).add(c.group)
    return {b: float(len(g)) for b, g in groups.items() if len(g) >= 2}


def candidates(articles: list[Article], copies: list[CopyRelation],
               garbled: Collection[tuple[str, int]] = (), weights: Weights = DEFAULT_WEIGHTS) -> list[Candidate]:
    """Every sentence of the story's English articles (the sentence model reads only English), with quality,
    relevance and the other articles that say the same. Page chrome left in stored text is never a candidate."""
    articles = [a for a in articles if readable(a)]
    groups = copy_groups(articles, copies)
    copied = {c.article for c in copies}
    # Chrome and wording read once per distinct sentence: the copies of a wire story repeat them.
    chrome = {s: chrome_reason(s) is not None for s in dict.fromkeys(s for a in articles for s in a.sentences)}
    wording = {s: _wording_quality(s) for s, is_chrome in chrome.items() if not is_chrome}
    cands = [Candidate(a, i, groups[a.id], wording[s] * _source_quality(a, a.id in copied), np.zeros(0),
                       a.id in copied, (a.id, i) in garbled)
             for a in articles for i, s in enumerate(a.sentences) if not chrome[s]]
    if not cands:
        return []
    vecs = embed.english().encode([c.text for c in cands])
    for c, v in zip(cands, vecs, strict=True):
        c.vec = v
    n_groups = max(groups.values()) + 1
    group_of = np.array([c.group for c in cands])
    # The story's centre weighs each independent source once, so ten copies of a wire story do not
    # pull the summary towards it.
    centre = np.mean([vecs[group_of == g].mean(0) for g in range(n_groups)], axis=0)
    centre /= max(float(np.linalg.norm(centre)), 1e-9)
    lexical = _lexical_centrality([c.text for c in cands], group_of, n_groups)
    sims = vecs @ vecs.T
    # Column by column (a story of 1,500 sentences in 100 articles is 150,000 row-by-row maxima otherwise):
    # each candidate's best match in each independent source, and in each article.
    present = [g for g in range(n_groups) if (group_of == g).any()]
    group_rows = [np.flatnonzero(group_of == g) for g in present]
    column = {g: j for j, g in enumerate(present)}
    group_best = np.stack([sims[:, rows].max(1) for rows in group_rows], axis=1).astype(np.float64)
    art_of = np.array([c.article.id for c in cands])
    art_ids = [a.id for a in articles if (art_of == a.id).any()]
    art_rows = [np.flatnonzero(art_of == aid) for aid in art_ids]
    best_in = np.stack([rows[np.argmax(sims[:, rows], axis=1)] for rows in art_rows], axis=1)
    same = np.take_along_axis(sims, best_in, axis=1) >= SAME_MEANING
    cites = [c.citation for c in cands]  # one each: a wire story's sentences support each other many times
    for k, c in enumerate(cands):
        if len(group_rows) > 1:
            cover = float((group_best[k].sum() - group_best[k, column[c.group]]) / (len(group_rows) - 1))
        else:
            cover = float(sims[k, group_rows[0]].mean())
        position = 1.0 / (1.0 + weights.position_decay * c.index)
        c.relevance = (weights.meaning * float(vecs[k] @ centre) + weights.cover * cover
                       + weights.words * lexical[k]) * position * c.quality
        for j in np.flatnonzero(same[k]):
            if art_ids[j] != c.article.id:
                c.support.append(cites[int(best_in[k, j])])
    return cands


def _stand_ins(cands: list[Candidate], copies: list[CopyRelation]) -> dict[int, int]:
    """Candidate position -> the position of the sentence shown in its place: for a sentence of a copy, the
    original's sentence it was taken from (the copy relation's aligned pairs); for any other second-hand
    sentence, the cleanest sentence that says the same, first-hand if one reads as well. Never a worse-reading one."""
    index_of = {(c.article.id, c.index): k for k, c in enumerate(cands)}
    out: dict[int, int] = {}
    for rel in copies:
        for here, there, sim in rel.evidence:
            k, j = index_of.get((rel.article, here)), index_of.get((rel.of, there))
            if k is not None and j is not None and sim >= SAME_MEANING and cands[j].quality >= cands[k].quality:
                out[k] = j
    for k, c in enumerate(cands):
        if k in out or not c.second_hand:
            continue
        clean = [index_of[(x.article, x.sentence)] for x in c.support if (x.article, x.sentence) in index_of]
        # A first-hand sentence reading as well, else any second-hand one reading better; for a sentence that
        # misspells a name, any reading as well that spells the names right.
        clean = [j for j in clean if cands[j].quality > c.quality
                 or (not cands[j].second_hand and cands[j].quality >= c.quality)
                 or (c.misspelt and not cands[j].misspelt and cands[j].quality >= c.quality)]
        if clean:
            out[k] = max(clean, key=lambda j: (not cands[j].second_hand, not cands[j].misspelt, cands[j].quality,
                                               cands[j].relevance))
    for k in list(out):  # a copy of a copy: follow to the first-hand sentence
        seen = {k}
        while out[k] in out and out[out[k]] not in seen:
            seen.add(out[k])
            out[k] = out[out[k]]
    return out


def _carried_claims(cands: list[Candidate], claims: list[Claim]) -> dict[int, list[Claim]]:
    """Candidate position -> the claims it asserts (cited as the claim's source, or saying the same). A
    sentence disputing a claim restates it without asserting it."""
    if not claims:
        return {}
    claim_vecs = embed.english().encode([c.text for c in claims])
    by_key = {(c.article.id, c.index): c for c in cands}
    cited_vecs = [np.stack([by_key[(x.article, x.sentence)].vec for x in c.citations
                            if (x.article, x.sentence) in by_key] or [np.zeros(claim_vecs.shape[1])])
                  for c in claims]
    cited: dict[tuple[str, int], list[Claim]] = {}
    for c in claims:
        for x in c.citations:
            here = cited.setdefault((x.article, x.sentence), [])
            if c not in here:
                here.append(c)
    disputing = {(d.article, d.sentence) for c in claims for d in c.disputes}
    # Every candidate against every claim at once: its wording, and the closest of the sentences it cites.
    vecs = np.stack([c.vec for c in cands])
    says = (vecs @ claim_vecs.T >= ASSERTS_CLAIM) | np.stack([(vecs @ cv.T).max(1) >= RESTATES
                                                               for cv in cited_vecs], axis=1)
    out: dict[int, list[Claim]] = {}
    for k, cand in enumerate(cands):
        key = (cand.article.id, cand.index)
        if key in disputing:
            continue
        hits = list(cited.get(key, []))
        hits += [claims[j] for j in np.flatnonzero(says[k]) if claims[j] not in hits]
        if hits:
            out[k] = hits
    return out


def _asserted_claims(cands: list[Candidate], claims: list[Claim]) -> dict[int, list[Claim]]:
    """Candidate position -> disputed claims it asserts."""
    return _carried_claims(cands, [c for c in claims if c.disputes])


def _denial(claim: Claim, cands: list[Candidate], index_of: dict[tuple[str, int], int], near: Candidate) -> int | None:
    """The one sentence that shows `claim`'s dispute: from a first-hand text, a plain, clean denial, the one
    most independent sources report (by the same party, or in the same words), from the article asserting the
    claim when it has one (it reads on), else the most relevant."""
    lines = {index_of[(d.article, d.sentence)]: d for d in claim.disputes if (d.article, d.sentence) in index_of}
    if not lines:
        return None
    group_of = {c.article.id: c.group for c in cands}

    def party(k: int) -> str:
        return lines[k].by or lines[k].by_name.lower()

    by_party: dict[str, set[int]] = {}
    for k in lines:
        by_party.setdefault(party(k), set()).add(cands[k].group)

    def sources(k: int) -> int:
        return len(by_party[party(k)] | {group_of[x.article] for x in cands[k].support if x.article in group_of})

    return min(lines, key=lambda k: (cands[k].second_hand,
                                     _RELATION_RANK.get(lines[k].relation, len(_RELATION_RANK)),
                                     -round(cands[k].quality, 1), -sources(k),
                                     cands[k].article.id != near.article.id, -cands[k].relevance))


def _claim_weights(claims: list[Claim], sources: int) -> dict[str, float]:
    """Claim id -> how central it is to the story: the share of its independent sources that carry it,
    squared so that the story's main claim outweighs the side claims a few sources repeat."""
    return {c.id: min(1.0, c.independent_sources / max(sources, 1)) ** 2 for c in claims}


def summarize(
    articles: list[Article],
    copies: list[CopyRelation],
    claims: list[Claim],
    sentences: int = 5,
    words: int | None = None,
    garbled: Collection[tuple[str, int]] = (),
    weights: Weights = DEFAULT_WEIGHTS,
    cands: list[Candidate] | None = None,
) -> list[SummarySentence]:
    """A summary of `sentences` sentences (or as many words as fit in `words`) taken verbatim from the
    articles; `garbled`: (article, sentence) pairs that misspell a name (`EntityIndex.garbled_sentences`);
    `cands`: the articles' `candidates` with these weights when the caller has them (key facts read the same)."""
    cands = candidates(articles, copies, garbled, weights) if cands is None else cands
    if not cands:
        return []
    index_of = {(c.article.id, c.index): k for k, c in enumerate(cands)}
    # What a second-hand sentence says counts; the words shown and cited are its stand-in's.
    stand_ins = _stand_ins(cands, copies)
    relevance = np.array([c.relevance for c in cands])
    for k, j in stand_ins.items():
        relevance[j] = max(relevance[j], relevance[k])
    carried = _carried_claims(cands, claims)
    asserts = {k: [c for c in hits if c.disputes] for k, hits in carried.items() if any(c.disputes for c in hits)}
    needs: dict[int, list[int]] = {}
    blocked = set(stand_ins) | {k for k, c in enumerate(cands) if not complete(c.text)}
    for k, hits in asserts.items():
        lines = [_denial(c, cands, index_of, cands[k]) for c in hits]
        if None in lines:  # a disputed claim whose denials cannot be cited never enters the summary
            blocked.add(k)
        needs[k] = list(dict.fromkeys(d for d in lines if d is not None and d != k))
    claim_weight = _claim_weights(claims, len({c.group for c in cands}))
    covered: set[str] = set()
    concept = _concept_weights(cands) if weights.concepts else {}
    concepts_of = [[b for b in _bigrams(c.text) if b in concept] for c in cands]
    got: set[tuple[str, str]] = set()
    max_concepts = max((sum(concept[b] for b in bs) for bs in concepts_of), default=0.0) or 1.0

    def cost(ks: list[int]) -> int:
        return sum(words_of(cands[k].text) for k in ks) if words else len(ks)

    budget = words if words else sentences
    vecs = np.stack([c.vec for c in cands])
    chosen: list[int] = []
    after: dict[int, list[int]] = {}  # chosen sentence -> dispute sentences shown right after it
    used = 0
    max_rel = float(relevance.max()) or 1.0
    while True:
        shown_after = {d for ds in after.values() for d in ds}
        taken = chosen + sorted(shown_after)
        best, best_score = None, -np.inf
        redundancy = (vecs @ vecs[taken].T).max(1) if taken else np.zeros(len(cands))
        for k in range(len(cands)):
            if k in taken or k in blocked or redundancy[k] >= REDUNDANT:
                continue
            # A disputed claim is told once, right before its denial; a denial already shown under another
            # claim, in these words or others, cannot follow this one too.
            if any(c.id in covered for c in asserts.get(k, [])) or \
                    any(d in shown_after or after.get(d) for d in needs.get(k, [])):
                continue
            if shown_after and needs.get(k) and \
                    float((vecs[needs[k]] @ vecs[sorted(shown_after)].T).max()) >= REDUNDANT:
                continue
            extra = [d for d in needs.get(k, []) if d not in chosen]
            if used + cost([k] + extra) > budget:
                continue
            gain = sum(claim_weight[c.id] for c in carried.get(k, []) if c.id not in covered)
            new = sum(concept[b] for b in concepts_of[k] if b not in got) / max_concepts
            score = weights.mmr_lambda * (relevance[k] / max_rel + W_CLAIMS * gain + weights.concepts * new) \
                - (1 - weights.mmr_lambda) * redundancy[k]
            if score > best_score:
                best, best_score = k, score
        if best is None:
            break
        extra = needs.get(best, [])
        used += cost([best] + [d for d in extra if d not in chosen])
        chosen = [k for k in chosen if k not in extra] + [best]  # a denial already picked moves under its claim
        after[best] = extra
        covered |= {c.id for c in carried.get(best, [])}
        got.update(concepts_of[best])

    def order(k: int) -> tuple[float, str, int]:
        c = cands[k]
        # lead material first, then the earlier report; an undated article is not "earlier" than a dated one
        return round(c.index / max(len(c.article.sentences), 1), 1), c.article.published or "\uffff", c.index

    def line(k: int, flags: list[str]) -> SummarySentence:
        # Other articles saying the same, including the second-hand sentences this one stands in for.
        also = [*cands[k].support, *(cands[j].citation for j, s in stand_ins.items() if s == k)]
        also = list({(x.article, x.sentence): x for x in also if x.article != cands[k].article.id}.values())
        return SummarySentence(cands[k].text, [cands[k].citation], also, flags=flags)

    out: list[SummarySentence] = []
    for k in sorted(chosen, key=order):
        out.append(line(k, ["disputed"] if k in asserts else []))
        out.extend(line(d, ["dispute"]) for d in after[k])
    return out


def key_facts(
    articles: list[Article],
    copies: list[CopyRelation],
    claims: list[Claim],
    summary: list[SummarySentence],
    limit: int = 5,
    garbled: Collection[tuple[str, int]] = (),
    cands: list[Candidate] | None = None,
) -> list[KeyFact]:
    """The facts most independent sources report, each once, in its shortest clean wording.

    A fact is a sentence with the sentences of other articles that say the same; its number of
    independent sources counts copies once. Disputed claims and their denials are left to the Disputed
    section. `cands`: the articles' `candidates` (default weights) when the summary made them already.
    """
    cands = candidates(articles, copies, garbled) if cands is None else cands
    if not cands:
        return []
    asserts = _asserted_claims(cands, claims)
    disputing = {(d.article, d.sentence) for c in claims for d in c.disputes}
    in_summary = {(c.article, c.sentence) for s in summary for c in s.citations}
    # Each fact's sources are counted over the copy relations of its own articles, not all of the story's.
    relations_of: dict[str, list[CopyRelation]] = {}
    for r in copies:
        relations_of.setdefault(r.article, []).append(r)
    scored = []
    for k, c in enumerate(cands):
        if k in asserts or c.quality < 0.5 or any(
                (x.article, x.sentence) in disputing for x in [c.citation, *c.support]):
            continue  # a denial told in other words by another article is still the Disputed section's
        ids = [c.article.id] + [x.article for x in c.support]
        n = independent_sources(ids, [r for a in dict.fromkeys(ids) for r in relations_of.get(a, ())])
        scored.append((n, c.relevance, k, ids))
    scored.sort(key=lambda t: (-t[0], -t[1]))
    facts: list[KeyFact] = []
    picked: list[np.ndarray] = []
    for n, _, k, _ids in scored:
        c = cands[k]
        if picked and float(np.max(np.stack(picked) @ c.vec)) >= SAME_MEANING:
            continue
        # Of the sentences saying this fact, show the shortest clean one not already in the summary.
        by_cite = {(x.article, x.sentence): x for x in [c.citation] + c.support}
        # A fact stands alone: a wording that opens on "He" or "But" needs the sentence before it.
        wordings = [cands[j] for j in range(len(cands))
                    if (cands[j].article.id, cands[j].index) in by_cite and cands[j].quality >= 0.5
                    and complete(cands[j].text)
                    and not _DANGLING_START.match(cands[j].text.lstrip("\"'\u201c\u2018("))]
        if not wordings:
            continue
        wordings.sort(key=lambda w: ((w.article.id, w.index) in in_summary, words_of(w.text)))
        shown = wordings[0]
        citations = [shown.citation] + [x for x in by_cite.values() if x != shown.citation]
        facts.append(KeyFact(shown.text, n, citations))
        picked.append(c.vec)
        if len(facts) >= limit:
            break
    return facts
