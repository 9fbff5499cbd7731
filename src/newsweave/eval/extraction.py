"""Main-text extraction scores, as the ScrapingHub article-extraction benchmark defines them.

Definition (from the benchmark's evaluate.py, re-implemented here): texts are tokenised into `\\w+` runs;
each text becomes a bag (multiset) of shingles of 4 consecutive tokens (a text shorter than 4 tokens is
one shorter shingle). Per page, TP = shingles in both bags (min of counts), FP = predicted-only, FN =
gold-only, and the three are divided by their sum so long pages weigh no more than short ones.
Precision is the mean over pages with TP+FP > 0 of TP/(TP+FP), recall the mean over pages with
TP+FN > 0 of TP/(TP+FN) (a page where FP = FN = 0 scores 1 for both), and F1 is the harmonic mean of
those two means. This is what the published figures (trafilatura 2.0: F1 0.958) were computed with.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4


@dataclass
class ExtractionScore:
    precision: float
    recall: float
    f1: float
    pages: int


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    """The bag of n-token shingles of a text."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i: i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i: i + n])


def page_counts(gold: str, predicted: str) -> tuple[float, float, float]:
    """Normalised (TP, FP, FN) of one page."""
    g, p = shingles(gold), shingles(predicted)
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def score(pairs: Iterable[tuple[str, str]]) -> ExtractionScore:
    """Benchmark precision, recall and F1 over (gold, predicted) text pairs, one pair per page."""
    counts = [page_counts(g, p) for g, p in pairs]
    precision = statistics.mean([_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ExtractionScore(precision, recall, f1, len(counts))
