"""Claims and their disputes: a fictional story, and the seed articles when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsweave import nlp
from newsweave.claims import _owner, _pointer, denial_relation, find_claims, strip_negation
from newsweave.copies import find_copies, independent_sources
from newsweave.entities import resolve_entities
from newsweave.ingest import to_article
from newsweave.model import Article, Quote, RawDoc
from newsweave.quotes import extract_quotes

SEEDS = Path(__file__).parents[1].parent / "shared" / "seeds"

STORY = [
    (
        "ledger",
        "The mayor of Valmora ordered the builder to use cheaper steel in the new harbour bridge, "
        "according to city engineers. The bridge is due to open in May. Traffic on the old bridge "
        "has doubled since January.",
    ),
    (
        "post",
        "City engineers say the mayor pushed the construction company to switch to low-grade steel for "
        "the harbour bridge. The council will debate the contract next week. Fishermen fear the works "
        "will close the harbour for a month.",
    ),
    (
        "courier",
        "Valmora's mayor told the builder to buy cheaper steel for the harbour bridge, engineers said. "
        'Mayor Lena Ortiz rejected the accusation on Wednesday. "I never asked anyone to change the '
        'metal," Ortiz said. The council will debate the contract next week.',
    ),
    (
        "copy",
        "The mayor of Valmora ordered the builder to use cheaper steel in the new harbour bridge, "
        "according to city engineers. The bridge is due to open in May. Traffic on the old bridge "
        "has doubled since January.",
    ),
]


def _article(text: str, outlet: str) -> Article:
    result = to_article(RawDoc(source=outlet, text=text, outlet=outlet))
    assert not isinstance(result, Exception)
    return result[0]


def _story_claims(story: list[tuple[str, str]]):
    """The claims of a story of (outlet, text) articles, through the stages a story's analysis runs."""
    arts = [_article(t, o) for o, t in story]
    index = resolve_entities(arts)
    return find_claims(arts, extract_quotes(arts, index), index, find_copies(arts))


@pytest.fixture(scope="module")
def story():
    arts = [_article(t, o) for o, t in STORY]
    copies = find_copies(arts)
    quotes = extract_quotes(arts)
    return arts, copies, find_claims(arts, quotes, None, copies)


def test_claim_gathered_across_articles_and_copies_count_once(story):
    arts, copies, claims = story
    assert copies, "the fixture has an exact copy"
    steel = [c for c in claims if "steel" in c.text]
    assert steel, [c.text for c in claims]
    c = steel[0]
    assert claims[0] is c  # the most independent sources, first
    assert len(c.articles) == 4
    assert c.independent_sources == independent_sources(c.articles, copies) < 4
    assert any("engineers" in a for a in c.attributed_to)
    assert {x.article for x in c.citations} == set(c.articles)


def test_denial_phrased_differently_attaches_to_the_claim(story):
    arts, _, claims = story
    steel = next(c for c in claims if "steel" in c.text)
    by = {d.by_name for d in steel.disputes}
    assert by & {"Ortiz", "Lena Ortiz"}, steel.disputes
    assert all(d.relation in ("denies", "contradicts", "questions") for d in steel.disputes)
    courier = next(a for a in arts if a.outlet == "courier")
    assert all(d.article == courier.id for d in steel.disputes)
    # the disputing sentence is not counted as asserting the claim
    assert all(
        (d.article, d.sentence) not in {(x.article, x.sentence) for x in steel.citations}
        for d in steel.disputes
    )


def test_unrelated_sentences_do_not_become_salient_claims(story):
    _, _, claims = story
    assert not any("Fishermen" in c.text or "Traffic" in c.text and c.independent_sources > 1 for c in claims)


def test_denial_signals():
    def q(text: str, cue: str | None = "said") -> Quote:
        return Quote(None, "X", text, "reported", cue, "a", 0)

    assert denial_relation(q("seeking help", "denied")) == ("denies", True)
    assert denial_relation(q("he had never heard of it")) == ("denies", True)
    assert denial_relation(q("the US is spreading misinformation")) == ("contradicts", True)
    assert denial_relation(q("talks will continue on Monday")) is None
    assert denial_relation(q("the army did not move"))[1] is False
    assert strip_negation("Russia had not asked China for help") == "Russia had asked China for help"


def test_denial_signals_read_their_polarity():
    def rel(sentence: str, text: str, cue: str | None = "said"):
        return denial_relation(Quote(None, "X", text, "reported", cue, "a", 0), nlp.english()(sentence))

    # a negated doubt or denial affirms
    assert rel("Ines Alvarez said she had no doubt that the army was buying drones.",
               "she had no doubt that the army was buying drones") is None
    assert rel("Alvarez said she never doubted that the army was buying drones.",
               "she never doubted that the army was buying drones") is None
    assert rel("The ministry did not deny that the army was buying drones.",
               "the army was buying drones", "deny") is None
    assert rel("The ministry denied that the army was buying drones.",
               "the army was buying drones", "denied") == ("denies", True)
    # "misinformation" contradicts when the statement asserts it, not inside a noun phrase
    assert rel("She said the reports were misinformation.", "the reports were misinformation") == (
        "contradicts", True)
    assert rel("He said the media were promoting foreign disinformation campaigns in the region.",
               "the media were promoting foreign disinformation campaigns in the region") == ("contradicts", True)
    assert rel("Officials criticised the coverage by state media promoting foreign disinformation campaigns.",
               "the coverage by state media promoting foreign disinformation campaigns", "criticised") is None
    # a negation counts against the statement's main predicate, not a side clause
    assert rel("He said Russia had not asked for weapons.", "Russia had not asked for weapons") == ("denies", True)
    assert rel("The minister said the strike was costing the port a fortune and that the government cannot "
               "wait much longer.", "the strike was costing the port a fortune and that the government cannot "
               "wait much longer") is None
    assert rel("She said the ships had not left the port.", "the ships had not left the port") == ("denies", False)
    # "not only" adds, it does not negate
    assert rel("He said the costs would not only fall on the port.",
               "the costs would not only fall on the port") is None


def test_a_supporter_named_differently_never_disputes_the_claim():
    story = [
        ("ledger", "City engineers said the mayor of Valmora ordered the builder to use cheaper steel in the "
                   "harbour bridge. The bridge is due to open in May."),
        ("post", "Engineer Pieter Vandam said the mayor of Valmora had ordered cheaper steel for the harbour "
                 "bridge. Vandam doubted that the mayor would ever admit ordering cheaper steel for the bridge. "
                 "The council meets next week."),
        ("courier", "The mayor of Valmora told the builder to buy cheaper steel for the harbour bridge, engineers "
                    "said. Mayor Lena Ortiz denied on Wednesday that the mayor of Valmora had ordered cheaper steel "
                    "for the harbour bridge."),
    ]
    claims = _story_claims(story)
    steel = next(c for c in claims if "steel" in c.text)
    by = [d.by_name for d in steel.disputes]
    assert "Pieter Vandam" in steel.attributed_to
    assert "Lena Ortiz" in by and not any("Vandam" in b for b in by), by


@pytest.fixture(scope="module")
def seed_claims():
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip("../shared/seeds not present")
    arts = [_article(p.read_text(encoding="utf-8"), None) for p in files]
    quotes = extract_quotes(arts)
    return arts, find_claims(arts, quotes, None, find_copies(arts))


def test_seed_request_claim_in_all_five_with_chinese_and_kremlin_denials(seed_claims):
    arts, claims = seed_claims
    assert 1 <= len(claims) <= 12
    request = [
        c
        for c in claims
        if len(c.articles) == 5
        and any(w in c.text.lower() for w in ("asked", "seeking", "request", "demanded", "sought"))
    ]
    assert request, [(c.text, len(c.articles)) for c in claims]
    c = request[0]
    assert c.independent_sources == 5
    names = " ".join(d.by_name for d in c.disputes)
    assert "Pengyu" in names
    assert "Zhao" in names or "Beijing" in names
    assert "Kremlin" in names or "Peskov" in names
    assert any("misinformation" in d.text for d in c.disputes)
    assert any("never heard" in d.text for d in c.disputes)
    assert all(d.by_name not in c.attributed_to for d in c.disputes)


BRIDGE = [
    (
        "ledger",
        "The builder of the Valmora bridge asked the city for another 20 million euros to finish it, council "
        "members said. The mayor said the bridge would open in May. Fishermen fear the harbour will close for a month.",
    ),
    (
        "post",
        "Council members say the bridge builder has asked the city for 20 million euros more to complete the work. "
        "The bridge will open in May, the mayor said. Traffic on the old bridge has doubled since January.",
    ),
    (
        "courier",
        "The mayor said on Tuesday that the new bridge would open in May. Spokeswoman Ana Ruiz did not directly "
        "address the reports that the builder had asked for more money. Bolt Works, the builder, has denied making "
        "any such request.",
    ),
    (
        "herald",
        "The new bridge in Valmora will open in May, the mayor said. Spokeswoman Ana Ruiz did not directly address "
        "the reports that the builder had asked for more money. The council will vote on the budget next week.",
    ),
]


def _bridge_claims(story: list[tuple[str, str]]):
    arts = [_article(t, o) for o, t in story]
    return find_claims(arts, extract_quotes(arts), None, find_copies(arts))


def test_an_anaphoric_denial_answers_the_claim_it_matches_not_the_first_in_reach():
    # "any such request" refers to the request for money, though the article's first claim is the opening date
    claims = _bridge_claims(BRIDGE)
    disputed = [c.text for c in claims if any(d.by_name == "Bolt Works" for d in c.disputes)]
    assert len(disputed) == 1 and ("money" in disputed[0] or "euros" in disputed[0]), disputed


def test_a_sentence_that_only_reports_a_non_answer_is_no_claim():
    texts = [c.text for c in _bridge_claims(BRIDGE)]
    assert not any("did not directly address" in t for t in texts), texts


def test_a_participle_describing_the_reports_is_not_what_they_report():
    story = [
        (o, t.replace("the reports that", "the reports, published by the Valmora Ledger on Sunday, that"))
        for o, t in BRIDGE
    ]
    texts = [c.text for c in _bridge_claims(story)]
    assert not any(t.startswith("published by") for t in texts), texts


def test_a_denied_request_answers_the_claim_of_asking_not_the_closest_words():
    # "never heard of a request" shares more words with Vandam's account of the inspection, but it answers
    # the claim that Bolt Works asked for money
    story = [
        ("ledger", "Valmoran officials said Bolt Works had asked the city of Valmora for 40 million euros more for "
                   "the harbour bridge. Engineer Pieter Vandam said his inspection of the harbour bridge with the "
                   "ministry in Valmora had been tense and that he had made clear what the city would risk. Ivo "
                   "Marsh, a spokesman for Bolt Works in Valmora, said he had never heard of a request, while the "
                   "ministry in Valmora called the reports about the bridge lies."),
        ("post", "Bolt Works has asked the city of Valmora for 40 million euros more for the harbour bridge, "
                 "Valmoran officials said on Sunday. Vandam said his inspection of the harbour bridge had been tense "
                 "and that he had made clear what Valmora would risk."),
    ]
    claims = _story_claims(story)
    disputed = [c.text for c in claims if any(d.by_name == "Ivo Marsh" for d in c.disputes)]
    assert len(disputed) == 1 and "asked" in disputed[0], disputed


def _raw_article(aid: str, sentences: list[str]) -> Article:
    """An article as stored by an older ingest, before the cleaner knew the page chrome below."""
    return Article(id=aid, source=aid, text=" ".join(sentences), sentences=sentences, outlet=aid,
                   paragraph_of=list(range(len(sentences))))


def test_no_dispute_is_drawn_from_a_video_title_or_from_nobody():
    claim = "Drevania announced plans for reunification with Lisvana by 2030, officials said."
    arts = [
        _raw_article("herald", [claim, "The plan was presented in the capital on Monday by the premier."]),
        _raw_article("post", ["Drevania has unveiled a plan to reunify with Lisvana by 2030, officials said.",
                              "Markets in the region were calm on Tuesday."]),
        _raw_article("wire", ["Drevania announced reunification plans with Lisvana for 2030, officials said.",
                              "Lisvana rejects Drevania's reunification plans 01:48 But Brandt fired back, saying "
                              "Drevania would act if provoked.",
                              "Some denied that Drevania had any reunification plans for Lisvana."]),
    ]
    claims = find_claims(arts, extract_quotes(arts), None, find_copies(arts))
    disputes = [d for c in claims for d in c.disputes]
    assert claims and not any("01:48" in d.text or d.by_name in ("Lisvana", "Some") for d in disputes), disputes


def test_a_refusal_a_legal_dismissal_or_a_question_is_no_dispute():
    def rel(sentence: str, text: str, cue: str | None = "said"):
        return denial_relation(Quote(None, "X", text, "reported", cue, "a", 0), nlp.english()(sentence))

    # rejecting a call or an offer, refusing someone something, a judge dismissing charges: nothing said is denied
    assert rel("The minister rejected calls for a ceasefire.", "calls for a ceasefire", "rejected") is None
    assert rel("The court denied him bail.", "bail", "denied") is None
    assert rel("The mayor denied the request for more money.", "the request for more money", "denied") is None
    assert rel("A judge dismissed the charges against the builder.", "the charges against the builder",
               "dismissed") is None
    # a doubt withdrawn, a doubt no one casts, a question about why
    assert rel("She initially dismissed the report that the bridge was unsafe.",
               "the report that the bridge was unsafe", "dismissed") is None
    assert rel("He said the builder was guilty beyond a reasonable doubt.",
               "the builder was guilty beyond a reasonable doubt") is None
    assert rel("The senator questioned why the port stopped inspecting ships.",
               "why the port stopped inspecting ships", "questioned") is None
    # "false" calls a claim false only when it is the claim's word
    assert rel("She said it was a false dawn for the harbour.", "it was a false dawn for the harbour") is None
    assert rel("She said the reports were false.", "the reports were false") == ("contradicts", True)
    # the same verbs against something said are denials
    assert rel("The minister rejected claims that the port had closed.", "claims that the port had closed",
               "rejected") == ("denies", True)
    assert rel("The builder denied that the steel was cheap.", "the steel was cheap", "denied") == ("denies", True)
    assert rel("He was not asked about the bridge.", "he was not asked about the bridge") != ("denies", True)


def test_a_denial_disputes_the_claim_and_a_bare_negation_disputes_nothing():
    story = [
        ("ledger", "Harbour officials said the port of Valmora will reopen on Monday after the strike. "
                   "Ships are waiting outside the harbour."),
        ("post", "The port of Valmora will reopen on Monday after the strike, harbour officials said. "
                 "Union leader Tomas Ruiz denied that the port of Valmora will reopen on Monday after the strike. "
                 "Harbour master Ines Alvarez said the port of Valmora will not reopen on Monday. "
                 "Ruiz said no one was hurt during the strike."),
    ]
    claims = _story_claims(story)
    port = next(c for c in claims if "reopen" in c.text)
    assert [d.by_name for d in port.disputes] == ["Tomas Ruiz"], [(d.by_name, d.text) for d in port.disputes]
    assert not any("hurt" in d.text or d.by_name == "Ines Alvarez" for c in claims for d in c.disputes)


def test_an_accusation_of_falsehood_answers_what_the_accused_side_claims_only():
    story = [
        ("ledger", "Valmoran officials said Norvessa had asked Valmora for 40 drones for its border guard. "
                   "Norvessa's foreign ministry accused Valmora of spreading false information."),
        ("post", "Norvessa asked Valmora for 40 drones for its border guard, Valmoran officials said. "
                 "The port of Tirsa will reopen on Monday, harbour officials said. "
                 "Union leader Tomas Ruiz said he would call out the harbour master for his lies at the meeting."),
    ]
    claims = _story_claims(story)
    drones = next(c for c in claims if "drones" in c.text)
    assert any("false information" in d.text for d in drones.disputes), [(c.text, c.disputes) for c in claims]
    assert not any("lies" in d.text for c in claims for d in c.disputes)


def test_an_owned_or_accusing_pointer_answers_only_what_fits_it():
    # "the Norvessan claims are false" answers what Norvessa is cited for, not the article's own neighbouring
    # sentence; "denies the accusation" answers an accusation against the one who denies it, not a statement of
    # the article's own about the case; the analysts are nobody in particular
    story = [
        ("ledger", "Norvessa's defence ministry said Valmoran troops had blocked the road to the Ostrava camp. "
                   "Valmora's army rejected these accusations as baseless, and independent analysts told the Ledger "
                   "the Norvessan claims are false. The camp has held 4,000 refugees since the flood of 2021. "
                   "Valmoran troops have guarded the Ostrava road since the flood of 2021."),
        ("post", "Aid trucks reached the Ostrava camp on Friday after a week of rain. Valmoran troops have guarded the "
                 "road to the Ostrava camp since the 2021 flood. The camp has sheltered about 4,000 refugees since "
                 "the flood of 2021. Doctors at the camp said cases of fever were rising. A new school opened in "
                 "the camp in March."),
        ("wire", "Investigators in Drevania dropped the inquiry into the fraud allegation against banker Ivo Marsh. "
                 "Marsh, who denies the accusation, has lived in Lisvana since 2019. "
                 "The inquiry into Marsh had been closed in 2017 but reopened this spring."),
        ("daily", "Ivo Marsh ran the Drevanian savings bank for a decade before he left for Lisvana. The Drevanian "
                  "inquiry into banker Ivo Marsh had been closed in 2017 but was reopened this spring. His lawyer "
                  "Tomas Ruiz said the case had cost his client his career. Lisvana has no extradition treaty with "
                  "Drevania."),
    ]
    claims = _story_claims(story)
    shown = [(c.text, d.by_name) for c in claims for d in c.disputes]
    assert not any("guarded" in t or "refugees" in t or "closed in 2017" in t for t, _ in shown), shown
    assert not any(by == "independent analysts" for _, by in shown), shown


def test_a_pronoun_inside_what_is_denied_points_at_no_claim():
    def pointer(sentence: str, text: str, cue: str):
        return _pointer(Quote(None, "X", text, "reported", cue, "a", 0), nlp.english()(sentence))

    # "it" is the company that denies, not a claim said before
    assert pointer("The studio denied that it had settled with the label.", "it had settled with the label",
                   "denied") is None
    assert pointer("The studio denied making any such deal.", "making any such deal", "denied").text == "deal"
    assert pointer("The studio rejected the reports.", "the reports", "rejected").text == "reports"
    assert pointer("She faces the accusation of fraud, which she denies.", "which", "denies").text == "accusation"
    assert pointer("The studio denied any wrongdoing.", "any wrongdoing", "denied") is None
    # "this" before a noun that names nothing said ("on this issue") does not point back
    assert pointer("He said Valmora is spreading misinformation on this issue.",
                   "Valmora is spreading misinformation on this issue", "said") is None
    owned = pointer("She said the Norvessan claims are false.", "the Norvessan claims are false", "said")
    assert owned is not None and _owner(owned) == "Norvessan"


def test_questioning_an_approach_disputes_no_claim():
    sentence = "He questioned the agency's approach that, in his view, limits the rocket to crew launches."
    q = Quote(None, "X", "the agency's approach that, in his view, limits the rocket to crew launches", "reported",
              "questioned", "a", 0)
    assert denial_relation(q, nlp.english()(sentence)) is None


def test_a_bare_denial_answers_only_a_claim_that_names_or_accuses() -> None:
    from newsweave.claims import _answers

    fire = "The fire destroyed a large section of the warehouse and crews are still on the scene."
    assert not _answers("arson", fire)  # "A man has denied arson following a fire at a warehouse"
    assert _answers("arson", "Police have charged a man with starting the warehouse fire.")
    assert _answers("arson", "The warehouse fire was arson, the fire service said.")
    assert _answers("that the company used cheaper steel in the deck", fire)  # long enough to compare alone
