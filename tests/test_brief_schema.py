"""brief.json: the schema shipped with the package accepts what the pipeline writes and rejects broken refs."""

from __future__ import annotations

import copy

from newsweave import brief as brief_mod
from newsweave.model import Article, Brief, Citation, Story, StoryBrief, SummarySentence


def _brief() -> dict:
    a = Article(id="a1", source="x.txt", text="One. Two.", sentences=["One.", "Two."], paragraph_of=[0, 0])
    story = StoryBrief(Story("s-1", ["a1"], "One", independent_sources=1),
                       summary=[SummarySentence("One.", [Citation("a1", 0)])])
    return brief_mod.to_dict(Brief([a], [], [story], "2026-01-01T00:00:00+00:00"))


def test_valid_brief_passes() -> None:
    assert brief_mod.validate(_brief()) == []


def test_citation_to_missing_sentence_is_reported() -> None:
    doc = _brief()
    doc["stories"][0]["summary"][0]["citations"][0]["sentence"] = 7
    assert any("no sentence 7" in p for p in brief_mod.validate(doc))


def test_wrong_types_are_reported() -> None:
    doc = copy.deepcopy(_brief())
    doc["articles"][0]["language"] = "english"
    doc["stories"][0]["independent_sources"] = "one"
    problems = brief_mod.validate(doc)
    assert any("language" in p for p in problems) and any("independent_sources" in p for p in problems)
