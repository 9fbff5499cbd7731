"""Extractive, cited summaries and key facts: every line is a sentence of a cited article.

Sentences are scored by how much of what the story's independent sources report they cover (copies
count once), by position and by how clean they read; they are picked greedily with maximal marginal
relevance over MiniLM embeddings so that no two say the same thing. A sentence asserting a disputed claim
only enters the summary together with a sentence of the dispute, placed right after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import embed
from .copies import independent_sources
from .model import Article, Citation, Claim, CopyRelation, KeyFact, SummarySentence

SAME_MEANING = 0.7  # MiniLM cosine above which two sentences report the same thing
REDUNDANT = SAME_MEANING  # never pick a sentence that says the same as one already picked
ASSERTS_CLAIM = 0.75  # a sentence this close to a claim's text asserts it
RESTATES = 0.85  # a sentence this close to one a claim cites restates it (copies, rewrites)
MMR_LAMBDA = 0.6
W_MEANING, W_COVER, W_WORDS = 0.25, 0.25, 0.5  # embedding centrality, cross-source cover, TF-IDF centrality
POSITION_DECAY = 0.5  # news puts the essentials first: sentence i weighs 1 / (1 + decay * i)

_WORD = re.compile(r"\w+")
_DANGLING_START = re.compile(r"^(he|she|it|they|this|these|those|that|but|and|however|also|meanwhile|"
                             r"still|yet|so|then|his|her|their|its)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(I|we|our|us)\b")


def words_of(text: str) -> int:
    return len(text.split())


@dataclass
class Candidate:
    article: Article
    index: int
    group: int
    quality: float
    vec: np.ndarray = field(repr=False)
    relevance: float = 0.0
    support: list[Citation] = field(default_factory=list)  # best sentence of each other article saying it

    @property
    def text(self) -> str:
        return self.article.sentences[self.index]

    @property
    def citation(self) -> Citation:
        return Citation(self.article.id, self.index)


def _balanced(text: str) -> bool:
    if text.count('"') % 2:
        return False
    return text.count("\u201c") == text.count("\u201d") and text.count("(") == text.count(")")


def sentence_quality(text: str, article: Article, is_copy: bool) -> float:
    """How safe a sentence is to show on its own, 0..1 (1 = clean, self-contained, from an original).

    Hand-written: no library scores "reads well out of context"; these are the failure modes seen in
    scraped and machine-translated news (fragments, cut quotes, dangling pronouns, first person).
    """
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
    if "machine-translation-signs" in article.flags or "garbled-names" in article.flags:
        q *= 0.7
    if is_copy:
        q *= 0.9
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


def _candidates(articles: list[Article], copies: list[CopyRelation]) -> list[Candidate]:
    """Every sentence of the story, with quality, relevance and the other articles that say the same."""
    groups = copy_groups(articles, copies)
    copied = {c.article for c in copies}
    cands = [Candidate(a, i, groups[a.id], sentence_quality(s, a, a.id in copied), np.zeros(0))
             for a in articles for i, s in enumerate(a.sentences)]
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
    group_rows = [np.flatnonzero(group_of == g) for g in range(n_groups)]
    art_of = [c.article.id for c in cands]
    art_rows = {a.id: np.flatnonzero(np.array(art_of) == a.id) for a in articles}
    for k, c in enumerate(cands):
        others = [float(sims[k, rows].max()) for g, rows in enumerate(group_rows) if g != c.group]
        cover = float(np.mean(others)) if others else float(sims[k, group_rows[c.group]].mean())
        position = 1.0 / (1.0 + POSITION_DECAY * c.index)
        c.relevance = (W_MEANING * float(vecs[k] @ centre) + W_COVER * cover + W_WORDS * lexical[k]) \
            * position * c.quality
        for aid, rows in art_rows.items():
            if aid == c.article.id or not len(rows):
                continue
            best = rows[int(np.argmax(sims[k, rows]))]
            if sims[k, best] >= SAME_MEANING:
                c.support.append(cands[best].citation)
    return cands


def _dispute_lines(claim: Claim, by_id: dict[str, Article]) -> list[Citation]:
    """The citable sentences that dispute `claim` (disputes pointing nowhere cannot be shown)."""
    return [Citation(d.article, d.sentence) for d in claim.disputes
            if d.article in by_id and 0 <= d.sentence < len(by_id[d.article].sentences)]


def _asserted_claims(cands: list[Candidate], claims: list[Claim]) -> dict[int, list[Claim]]:
    """Candidate position -> disputed claims it asserts (cited as the claim's source, or saying the same)."""
    disputed = [c for c in claims if c.disputes]
    if not disputed:
        return {}
    claim_vecs = embed.english().encode([c.text for c in disputed])
    by_key = {(c.article.id, c.index): c for c in cands}
    cited_vecs = [np.stack([by_key[(x.article, x.sentence)].vec for x in c.citations
                            if (x.article, x.sentence) in by_key] or [np.zeros(claim_vecs.shape[1])])
                  for c in disputed]
    cited = {(x.article, x.sentence): [c for c in disputed if any(
        (y.article, y.sentence) == (x.article, x.sentence) for y in c.citations)]
        for c in disputed for x in c.citations}
    out: dict[int, list[Claim]] = {}
    disputing = {(d.article, d.sentence) for c in disputed for d in c.disputes}
    for k, cand in enumerate(cands):
        key = (cand.article.id, cand.index)
        if key in disputing:  # a denial restates the claim it denies; it does not assert it
            continue
        hits = list(cited.get(key, []))
        close = claim_vecs @ cand.vec
        hits += [c for c, s, cv in zip(disputed, close, cited_vecs, strict=True)
                 if (s >= ASSERTS_CLAIM or float(np.max(cv @ cand.vec)) >= RESTATES) and c not in hits]
        if hits:
            out[k] = hits
    return out


def summarize(
    articles: list[Article],
    copies: list[CopyRelation],
    claims: list[Claim],
    sentences: int = 5,
    words: int | None = None,
) -> list[SummarySentence]:
    """A summary of `sentences` sentences (or at most `words` words) taken verbatim from the articles."""
    cands = _candidates(articles, copies)
    if not cands:
        return []
    by_id = {a.id: a for a in articles}
    index_of = {(c.article.id, c.index): k for k, c in enumerate(cands)}
    asserts = _asserted_claims(cands, claims)
    needs: dict[int, list[int]] = {}
    for k, hits in asserts.items():
        lines = [index_of[(x.article, x.sentence)] for c in hits for x in _dispute_lines(c, by_id)]
        needs[k] = list(dict.fromkeys(lines))
    # A disputed claim whose denials cannot be cited never enters the summary.
    blocked = {k for k, hits in asserts.items() if any(not _dispute_lines(c, by_id) for c in hits)}

    def cost(ks: list[int]) -> int:
        return sum(words_of(cands[k].text) for k in ks) if words else len(ks)

    budget = words if words else sentences
    vecs = np.stack([c.vec for c in cands])
    chosen: list[int] = []
    after: dict[int, list[int]] = {}  # chosen sentence -> dispute sentences shown right after it
    used = 0
    max_rel = max(c.relevance for c in cands) or 1.0
    while True:
        taken = chosen + [d for ds in after.values() for d in ds]
        best, best_score = None, -np.inf
        redundancy = (vecs @ vecs[taken].T).max(1) if taken else np.zeros(len(cands))
        for k, c in enumerate(cands):
            if k in taken or k in blocked or redundancy[k] >= REDUNDANT:
                continue
            extra = [d for d in needs.get(k, []) if d not in taken]
            if used + cost([k] + extra) > budget:
                continue
            score = MMR_LAMBDA * c.relevance / max_rel - (1 - MMR_LAMBDA) * redundancy[k]
            if score > best_score:
                best, best_score = k, score
        if best is None:
            break
        extra = [d for d in needs.get(best, []) if d not in taken]
        chosen.append(best)
        after[best] = extra
        used += cost([best] + extra)

    def order(k: int) -> tuple[float, str, int]:
        c = cands[k]
        return round(c.index / max(len(c.article.sentences), 1), 1), c.article.published or "", c.index

    out: list[SummarySentence] = []
    for k in sorted(chosen, key=order):
        flags = ["disputed"] if k in asserts else []
        out.append(SummarySentence(cands[k].text, [cands[k].citation], list(cands[k].support), flags=flags))
        for d in after[k]:
            out.append(SummarySentence(cands[d].text, [cands[d].citation], list(cands[d].support),
                                       flags=["dispute"]))
    return out


def key_facts(
    articles: list[Article],
    copies: list[CopyRelation],
    claims: list[Claim],
    summary: list[SummarySentence],
    limit: int = 5,
) -> list[KeyFact]:
    """The facts most independent sources report, each once, in its shortest clean wording.

    A fact is a sentence with the sentences of other articles that say the same; its number of
    independent sources counts copies once. Disputed claims and their denials are left to the Disputed
    section.
    """
    cands = _candidates(articles, copies)
    if not cands:
        return []
    asserts = _asserted_claims(cands, claims)
    disputing = {(d.article, d.sentence) for c in claims for d in c.disputes}
    in_summary = {(c.article, c.sentence) for s in summary for c in s.citations}
    scored = []
    for k, c in enumerate(cands):
        if k in asserts or (c.article.id, c.index) in disputing or c.quality < 0.5:
            continue
        ids = [c.article.id] + [x.article for x in c.support]
        n = independent_sources(ids, copies)
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
        wordings = [cands[j] for j in range(len(cands))
                    if (cands[j].article.id, cands[j].index) in by_cite and cands[j].quality >= 0.5]
        wordings.sort(key=lambda w: ((w.article.id, w.index) in in_summary, words_of(w.text)))
        shown = wordings[0] if wordings else c
        citations = [shown.citation] + [x for x in by_cite.values() if x != shown.citation]
        facts.append(KeyFact(shown.text, n, citations))
        picked.append(c.vec)
        if len(facts) >= limit:
            break
    return facts
