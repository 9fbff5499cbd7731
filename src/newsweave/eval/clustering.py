"""Clustering metrics against gold labels: B-cubed and pairwise precision/recall/F1.

B-cubed (Bagga & Baldwin 1998): per item, precision is the share of its predicted cluster that shares its
gold label, recall the share of its gold cluster that is in its predicted cluster; both are averaged over
items. Pairwise: precision and recall of the "same cluster" relation over all pairs of items. Both are
computed from the contingency table of (predicted, gold) labels, so large inputs cost O(n).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def labels_of(clusters: Iterable[Iterable[str]]) -> dict[str, int]:
    """Item -> cluster number, from a list of clusters of items."""
    return {item: i for i, members in enumerate(clusters) for item in members}


def _tables(pred: Mapping[str, object], gold: Mapping[str, object]) -> tuple[Counter, Counter, Counter]:
    if set(pred) != set(gold):
        missing = len(set(gold) ^ set(pred))
        raise ValueError(f"predicted and gold labels cover different items ({missing} differ)")
    joint = Counter((pred[k], gold[k]) for k in gold)
    return joint, Counter(pred.values()), Counter(gold.values())


def bcubed(pred: Mapping[str, object], gold: Mapping[str, object]) -> PRF:
    """B-cubed precision, recall and F1 of predicted labels against gold labels (same items)."""
    joint, psize, gsize = _tables(pred, gold)
    n = sum(psize.values())
    if not n:
        return PRF(0.0, 0.0, 0.0)
    # Each of the c items in cell (p, g) has precision c/|p| and recall c/|g|.
    p = sum(c * c / psize[pl] for (pl, _), c in joint.items()) / n
    r = sum(c * c / gsize[gl] for (_, gl), c in joint.items()) / n
    return PRF(p, r, _f1(p, r))


def pairwise(pred: Mapping[str, object], gold: Mapping[str, object]) -> PRF:
    """Precision, recall and F1 of the pairs of items put in one cluster (singletons add no pairs)."""
    joint, psize, gsize = _tables(pred, gold)

    def pairs(counts: Iterable[int]) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    both, in_pred, in_gold = pairs(joint.values()), pairs(psize.values()), pairs(gsize.values())
    p = both / in_pred if in_pred else 1.0
    r = both / in_gold if in_gold else 1.0
    return PRF(p, r, _f1(p, r))
