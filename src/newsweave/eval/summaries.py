"""Summary metrics: ROUGE against human summaries, and the faithfulness checks the brief promises."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..model import Article, Claim, SummarySentence


def truncate_words(text: str, words: int) -> str:
    """The first `words` whitespace-separated words of `text` (how DUC/TAC cut summaries before ROUGE)."""
    return " ".join(text.split()[:words])


@lru_cache(maxsize=1)
def _scorer():  # noqa: ANN202 - rouge_score.RougeScorer
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)


def rouge(summary: str, references: list[str], words: int = 250) -> dict[str, float]:
    """ROUGE-1/2 F-measure (rouge-score, Porter stemmer, no stopword removal) of `summary` cut to
    `words` words, averaged over the references (each reference also cut to `words` words)."""
    cut = truncate_words(summary, words)
    scores = [_scorer().score(truncate_words(ref, words), cut) for ref in references]
    return {m: sum(s[m].fmeasure for s in scores) / len(scores) for m in ("rouge1", "rouge2")}


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    t = re.sub(r"[\u2018\u2019\u201b`\u00b4]", "'", t)
    t = re.sub(r"[\u201c\u201d\u201e\u00ab\u00bb]", '"', t)
    return re.sub(r"\s+", " ", t).strip()


def faithfulness_problems(summary: list[SummarySentence], articles: list[Article],
                          claims: list[Claim] = ()) -> list[str]:
    """Why `summary` is not faithful, empty when it is: each sentence must be (a contiguous part of) a
    sentence of an article it cites, every citation must exist, and a sentence that asserts a disputed
    claim (it is one of the claim's cited sentences) must be followed right away by one of its disputes."""
    by_id = {a.id: a for a in articles}
    problems: list[str] = []
    for i, s in enumerate(summary):
        found = False
        for c in [*s.citations, *s.also]:
            a = by_id.get(c.article)
            if a is None or not 0 <= c.sentence < len(a.sentences):
                problems.append(f"summary {i}: citation {c.article}:{c.sentence} points nowhere")
        for c in s.citations:
            a = by_id.get(c.article)
            if a is not None and 0 <= c.sentence < len(a.sentences):
                found = found or _norm(s.text) in _norm(a.sentences[c.sentence])
        if not s.citations:
            problems.append(f"summary {i}: no citation")
        elif not found and not s.written:
            problems.append(f"summary {i}: text is not in the sentence it cites: {s.text[:60]!r}")
    for claim in claims:
        if not claim.disputes:
            continue
        asserting = {(c.article, c.sentence) for c in claim.citations}
        disputing = {(d.article, d.sentence) for d in claim.disputes}
        for i, s in enumerate(summary):
            if any((c.article, c.sentence) in asserting for c in s.citations):
                # The disputes shown right after it: the run of following lines marked as disputes
                # (a sentence may assert several disputed claims), or else the next line.
                run = list(summary[i + 1:i + 2])
                for s2 in summary[i + 1:]:
                    if "dispute" not in s2.flags:
                        break
                    run.append(s2)
                if not any((c.article, c.sentence) in disputing for s2 in run for c in s2.citations):
                    problems.append(f"summary {i}: asserts disputed claim {claim.id} without its dispute")
    return problems
