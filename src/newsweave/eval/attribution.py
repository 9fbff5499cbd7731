"""Attribution scoring against brat standoff annotations (PolNeAR).

A predicted attribution matches a gold one when
  * its content span covers at least half of the gold content's word tokens, and
  * its source span overlaps the gold source span by at least one character.
Matching is one-to-one (greedy, largest content overlap first). Precision = matched predictions /
predictions, recall = matched gold / gold.

The rule is lenient one way: a prediction whose content runs far past the gold content still matches.
`min_inside` adds the reverse condition (that share of the predicted content's words lie inside the gold
content), which makes the match symmetric; the bench prints both. The attribution literature (PARC,
Pareti 2016; PolNeAR, Newell et al. 2018) reports exact and overlap ("partial") matches per span; the
50% word-coverage rule sits between the two. Gold attributions without a source are left out, since every
prediction names one. A gold attribution is *direct* when its content, trimmed of spaces and
punctuation, starts with a quotation mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

Spans = list[tuple[int, int]]
_WORD = re.compile(r"\w+")
_OPEN_QUOTES = "\"\u201c\u201d'\u2018"


@dataclass
class Attribution:
    source: Spans
    content: Spans
    direct: bool = False
    cue: Spans = field(default_factory=list)


def _spans(field: str) -> Spans:
    return [(int(a), int(b)) for a, b in (part.split() for part in field.split(";"))]


def read_brat(ann: Path, text: str) -> list[Attribution]:
    """Gold attributions (with a source) of one .ann file."""
    spans: dict[str, tuple[str, Spans]] = {}
    relations: list[dict[str, str]] = []
    for line in ann.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            kind, _, where = parts[1].partition(" ")
            spans[parts[0]] = (kind, _spans(where))
        elif line.startswith("E") and len(parts) >= 2:
            relations.append(dict(arg.split(":", 1) for arg in parts[1].split()))
    out = []
    for rel in relations:
        if "Source" not in rel or "Content" not in rel:
            continue
        content = spans[rel["Content"]][1]
        first = text[content[0][0] : content[-1][1]].strip(" \n.,;:-\u2014")
        cue = spans[rel["Cue"]][1] if "Cue" in rel else []
        out.append(Attribution(spans[rel["Source"]][1], content, first[:1] in _OPEN_QUOTES, cue))
    return out


def _words(text: str, spans: Spans) -> set[tuple[int, int]]:
    return {(a + m.start(), a + m.end()) for a, b in spans for m in _WORD.finditer(text[a:b])}


def _overlap(x: Spans, y: Spans) -> bool:
    return any(a < d and c < b for a, b in x for c, d in y)


@dataclass
class Score:
    predicted: int = 0
    gold: int = 0
    matched_pred: int = 0
    matched_gold: int = 0

    def add(self, other: Score) -> None:
        self.predicted += other.predicted
        self.gold += other.gold
        self.matched_pred += other.matched_pred
        self.matched_gold += other.matched_gold

    @property
    def precision(self) -> float:
        return self.matched_pred / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched_gold / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(
    text: str,
    predicted: list[Attribution],
    gold: list[Attribution],
    need_source: bool = True,
    min_cover: float = 0.5,
    min_inside: float = 0.0,
) -> Score:
    """Match predictions to gold attributions of one document under the rule in the module docstring."""
    gold_words = [_words(text, g.content) for g in gold]
    pred_words = [_words(text, p.content) for p in predicted]
    pairs = []
    for i, p in enumerate(predicted):
        for j, g in enumerate(gold):
            if not gold_words[j]:
                continue
            common = len(pred_words[i] & gold_words[j])
            cover = common / len(gold_words[j])
            inside = common / len(pred_words[i]) if pred_words[i] else 0.0
            if cover >= min_cover and inside >= min_inside and (not need_source or _overlap(p.source, g.source)):
                pairs.append((cover, i, j))
    used_p: set[int] = set()
    used_g: set[int] = set()
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return Score(len(predicted), len(gold), len(used_p), len(used_g))
