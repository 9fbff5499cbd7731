"""The learned attribution check (newsweave.cue_model) on invented sentences."""

from __future__ import annotations

from dataclasses import replace

import pytest

from newsweave import cue_model, nlp
from newsweave.model import Article
from newsweave.quotes import _article_statements, extract_quotes, extract_statements


def _article(*sentences: str) -> Article:
    paragraphs = list(range(len(sentences)))
    return Article(id="a", source="x", text=" ".join(sentences), sentences=list(sentences), paragraph_of=paragraphs)


def test_weights_load_as_plain_data() -> None:
    model = cue_model.load()
    assert model.keep.weights and model.new.weights
    assert 0 < model.keep.threshold < 1 and 0 < model.new.threshold < 1
    # a listed statement is dropped only where the model is surest it is wrong
    assert 0 <= model.keep_listed <= model.keep.threshold
    assert cue_model.load() is model  # read once per process


def test_a_stance_verb_becomes_an_unlisted_attribution() -> None:
    # PolNeAR counts a stance as an attribution; no rule-based frame takes this one
    art = _article("Most voters see the mayor as a strong leader.")
    [st] = extract_statements([art])
    said = (st.quote.speaker_name, st.quote.cue, st.quote.text)
    assert said == ("Most voters", "see", "the mayor as a strong leader")
    assert st.source_at == (0, 0, len("Most voters")) and st.quote.kind == "reported"
    assert not st.listed
    assert extract_quotes([art]) == []  # "who said what" stays with the rules


def test_an_event_is_not_an_attribution() -> None:
    art = _article("The train arrived at noon.")
    [(cand, features)] = cue_model.candidates([], nlp.parse([art])[art.id], art)
    assert cand.quote.cue == "arrived"  # a candidate, that the model turns down
    assert cue_model.load().new.probability(features) < cue_model.load().new.threshold
    assert extract_statements([art]) == []


def test_added_statements_are_never_listed() -> None:
    art = _article(
        "Senator Mary Holt supports a ban on assault weapons.",
        "Voters overwhelmingly oppose the new toll on the bridge.",
        '"The bridge will open in May," Mayor Lena Ortiz said on Tuesday.',
        "Officials called the plan a step forward.",
    )
    docs = nlp.parse([art])[art.id]
    given = [s for s in _article_statements(art, docs, None) if s.listed]  # the rules' own are the listed ones
    assert [s.quote.speaker_name for s in given] == ["Lena Ortiz"]
    always = replace(cue_model.load(), new=replace(cue_model.load().new, threshold=0.0))
    out = cue_model.revise(given, docs, art, always)
    assert out[: len(given)] == given
    extra = out[len(given) :]  # every candidate, added whatever its probability
    assert {s.quote.cue for s in extra} >= {"supports", "oppose", "called"}
    assert not any(s.listed for s in extra)


def test_keep_thresholds_decide_which_rule_statements_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    art = _article(
        "Senator Mary Holt touted her plan to cut property taxes.",  # a learned cue: reported, not listed
        "Mayor Lena Ortiz said the bridge would open in May.",  # listed
    )
    docs = nlp.parse([art])[art.id]
    model = cue_model.load()
    never_new = replace(model.new, threshold=1.01)
    strict = replace(model, keep=replace(model.keep, threshold=1.01), new=never_new, keep_listed=0.0)
    with monkeypatch.context() as m:  # the rules' statements as the model receives them
        m.setattr(cue_model, "revise", lambda statements, docs, article: statements)
        rules = [s for s in _article_statements(art, docs, None) if s.source_at is not None]
    assert [s.listed for s in rules] == [False, True]
    kept = cue_model.revise(rules, docs, art, strict)
    assert [s.quote.speaker_name for s in kept] == ["Lena Ortiz"]
    lenient = replace(strict, keep=replace(model.keep, threshold=0.0))
    assert cue_model.revise(rules, docs, art, lenient) == rules
