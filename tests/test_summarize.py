"""Extractive summary and key facts: faithful by construction, disputes never left out."""

from __future__ import annotations

import pytest
from brief_fixtures import SHARED, fish_claim, make_articles, make_copies, seed_articles

from newsweave.copies import find_copies
from newsweave.eval.summaries import faithfulness_problems
from newsweave.model import Citation, Claim, Dispute
from newsweave.summarize import key_facts, sentence_quality, summarize


@pytest.fixture(scope="module")
def arts():
    return make_articles()


def test_summary_is_faithful_and_cites_existing_sentences(arts):
    articles = list(arts.values())
    for n in (1, 3, 5, 8):
        summary = summarize(articles, make_copies(arts), [], sentences=n)
        assert 1 <= len(summary) <= n
        assert faithfulness_problems(summary, articles) == []


def test_word_budget_is_respected(arts):
    summary = summarize(list(arts.values()), make_copies(arts), [], words=40)
    assert summary and sum(len(s.text.split()) for s in summary) <= 40


def test_no_two_sentences_say_the_same(arts):
    summary = summarize(list(arts.values()), make_copies(arts), [], sentences=6)
    texts = [s.text.lower() for s in summary]
    # Four articles report the closure; the summary says it once.
    assert sum("closed" in t or "closing" in t for t in texts) == 1


def test_prefers_clean_original_over_garbled_copy(arts):
    summary = summarize(list(arts.values()), make_copies(arts), [], sentences=6)
    cited = {c.article for s in summary for c in s.citations}
    assert arts["mirror"].id not in cited
    assert all(s.text[0].isupper() for s in summary)
    closure = next(s for s in summary if "closed" in s.text or "closing" in s.text)
    assert closure.also, "other articles saying the same are listed"


def test_quality_penalises_fragments_and_broken_quotes(arts):
    a = arts["harbour"]
    clean = sentence_quality("The port will reopen on Friday if tests come back clean.", a, False)
    assert sentence_quality("the port will reopen on Friday if tests come back clean.", a, False) < clean
    assert sentence_quality('The port "will reopen on Friday if tests come back clean.', a, False) < clean
    assert sentence_quality("Reopen Friday.", a, False) < clean


def test_disputed_claim_never_without_its_dispute(arts):
    articles = list(arts.values())
    claim = fish_claim(arts)
    for n in range(1, 9):
        summary = summarize(articles, make_copies(arts), [claim], sentences=n)
        assert len(summary) <= n
        assert faithfulness_problems(summary, articles, [claim]) == [], n
        for i, s in enumerate(summary):
            if "disputed" in s.flags:
                assert "dispute" in summary[i + 1].flags
    # With room enough, the minister's claim is in the summary, followed by the company's denial.
    summary = summarize(articles, make_copies(arts), [claim], sentences=8)
    flagged = [i for i, s in enumerate(summary) if "disputed" in s.flags]
    assert flagged
    assert "Norda Lines" in summary[flagged[0] + 1].text


def test_claim_whose_dispute_cannot_be_cited_is_left_out(arts):
    articles = list(arts.values())
    h = arts["harbour"]
    claim = Claim("c2", "The spill killed thousands of fish.", [h.id], 1,
                  citations=[Citation(h.id, 3)], disputes=[Dispute(None, "X", "denies", "no", "nowhere", 0)])
    summary = summarize(articles, make_copies(arts), [claim], sentences=8)
    assert not any("thousands of fish" in s.text for s in summary)


def test_key_facts_count_independent_sources(arts):
    articles = list(arts.values())
    claim = fish_claim(arts)
    summary = summarize(articles, make_copies(arts), [claim])
    facts = key_facts(articles, make_copies(arts), [claim], summary)
    assert facts
    top = facts[0]
    # The closure is reported by harbour, courier, wire and the mirror copy: three independent sources.
    assert top.independent_sources == 3
    assert "300 tonnes" in top.text
    by_id = {a.id: a for a in articles}
    assert top.text == by_id[top.citations[0].article].sentences[top.citations[0].sentence]
    # The disputed claim is not presented as a key fact.
    assert not any("killed thousands" in f.text or "fish had died" in f.text for f in facts)


def test_empty_input():
    assert summarize([], [], []) == []


def test_faithful_on_seeds():
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared/seeds not present")
    articles = seed_articles()
    copies = find_copies(articles)
    # A fictional dispute over a real seed sentence: the summary must carry both or neither.
    a = articles[0]
    b = articles[-1]
    claim = Claim("s1", a.sentences[0], [a.id], 1, citations=[Citation(a.id, 0)],
                  disputes=[Dispute(None, "someone", "denies", b.sentences[2], b.id, 2)])
    for n in (3, 5):
        summary = summarize(articles, copies, [claim], sentences=n)
        assert len(summary) <= n
        assert faithfulness_problems(summary, articles, [claim]) == []
    summary = summarize(articles, copies, [], words=120)
    assert sum(len(s.text.split()) for s in summary) <= 120
    assert faithfulness_problems(summary, articles) == []
