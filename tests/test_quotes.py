"""Attributed statements: each quote pattern on fictional articles, and the seed articles when present."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from newsweave.entities import resolve_entities
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc
from newsweave.quotes import extract_quotes, extract_statements, find_quote_spans

SEEDS = Path(__file__).parents[1].parent / "shared" / "seeds"

FIXTURE = """Valmora bridge delayed again

\u201cThe bridge will open in May, and not a day later,\u201d Mayor Lena Ortiz said on Tuesday.

Council member Tom Reyes said: \u201cWe have not seen a single page of the budget.\u201d

\u201cCosts are rising faster than anyone planned,\u201d said Priya Nair, an engineer at the firm Bolt Works.

Tom Reyes criticised the schedule in a long speech. "It is a waste of public money," he said.

"The first spans were poured in March and they passed every test we ran.

"The last ones will be finished by the end of April," Ortiz added.

Reyes told the Valmora Ledger that the council would vote on the contract next week.

The bridge has cost 40 million euros so far, according to city officials.

Bolt Works denied using cheaper steel in the main deck of the bridge.
"""


def _article(text: str, source: str = "fixture") -> Article:
    result = to_article(RawDoc(source=source, text=text))
    assert not isinstance(result, Exception)
    return result[0]


@pytest.fixture(scope="module")
def fixture_quotes():
    return extract_quotes([_article(FIXTURE)])


def _find(quotes, words: str):
    hits = [q for q in quotes if words in q.text]
    assert hits, f"no statement containing {words!r} in {[q.text for q in quotes]}"
    return hits[0]


def test_speaker_after_quote_with_curly_marks(fixture_quotes):
    q = _find(fixture_quotes, "The bridge will open in May")
    assert (q.speaker_name, q.kind, q.cue) == ("Lena Ortiz", "direct", "said")
    assert '"' not in q.text


def test_speaker_before_quote_with_colon(fixture_quotes):
    q = _find(fixture_quotes, "We have not seen a single page")
    assert q.speaker_name == "Tom Reyes" and q.kind == "direct"


def test_inverted_frame_takes_name_not_apposition(fixture_quotes):
    q = _find(fixture_quotes, "Costs are rising")
    assert q.speaker_name == "Priya Nair"


def test_he_said_resolves_to_most_recent_subject(fixture_quotes):
    q = _find(fixture_quotes, "waste of public money")
    assert q.speaker_name == "Tom Reyes" and q.cue == "said"


def test_quote_spanning_paragraphs_is_one_quote_of_the_closing_speaker(fixture_quotes):
    q = _find(fixture_quotes, "The first spans were poured")
    assert "The last ones will be finished" in q.text
    assert q.speaker_name == "Ortiz" and q.cue == "added"


def test_told_is_reported_speech(fixture_quotes):
    q = _find(fixture_quotes, "the council would vote")
    assert (q.speaker_name, q.kind, q.cue) == ("Reyes", "reported", "told")


def test_according_to_group(fixture_quotes):
    q = _find(fixture_quotes, "40 million euros")
    assert q.speaker_name == "city officials" and q.cue == "according to"


def test_denial_verb_with_gerund_content(fixture_quotes):
    q = _find(fixture_quotes, "using cheaper steel")
    assert q.speaker_name == "Bolt Works" and q.cue == "denied"


def test_every_statement_cites_a_real_sentence(fixture_quotes):
    art = _article(FIXTURE)
    for q in fixture_quotes:
        assert 0 <= q.sentence < len(art.sentences) and q.article == art.id


def test_he_said_resolves_to_a_surname_the_model_tags_as_an_organisation():
    # The small model tags the lone "Vandam" ORG; the titled full name in the first paragraph makes him a
    # person, so "he said" goes to him and not to the mayor named in between.
    art = _article(
        "Harbour cranes to be replaced\n\n"
        "Pieter Vandam, a senior fellow at the Harbour Institute, said the port would reopen in May.\n\n"
        "Mayor Ines Alvarez visited the docks on Monday with two engineers.\n\n"
        '"The cranes are older than the harbour wall," Vandam said.\n\n'
        '"Nobody has paid for new ones in twenty years," he said.\n'
    )
    q = _find(extract_quotes([art]), "Nobody has paid")
    assert q.speaker_name == "Vandam" and q.kind == "direct"


def test_he_added_continues_the_previous_speaker():
    # "added" presupposes that he has just spoken: the council member named in between did not.
    art = _article(
        "Harbour cranes to be replaced\n\n"
        '"The cranes are older than the harbour wall," port director Omar Haddad said.\n\n'
        "Council member David Chen toured the docks on Monday. "
        '"Nobody has paid for new ones in twenty years," he added.\n'
    )
    q = _find(extract_quotes([art]), "Nobody has paid")
    assert (q.speaker_name, q.cue) == ("Omar Haddad", "added")


def test_he_said_resolves_to_a_person_named_by_role():
    art = _article(
        "Harbour cranes to be replaced\n\n"
        "Mayor Ines Alvarez opened the new terminal on Monday.\n\n"
        "The port authority's spokesman said the cranes were unsafe. "
        '"Nobody has paid for new ones in twenty years," he said.\n'
    )
    q = _find(extract_quotes([art]), "Nobody has paid")
    assert q.speaker_name == "The port authority's spokesman"


def test_stray_marks_do_not_make_quotes():
    art = _article(
        'The minister called the plan " ambitious " and left.\n\nA " stray mark opens nothing here.'
    )
    spans = find_quote_spans(art)
    assert all(
        len(" ".join(art.sentences[g.sentence][g.start : g.end] for g in s.segments).split()) <= 2
        for s in spans
    )
    assert [q for q in extract_quotes([art]) if q.kind == "direct"] == []


def test_spun_copy_keeps_the_speaker():
    original = _article('"We will rebuild the harbour by winter," said Omar Haddad, the port director.', "a")
    spun = _article('"We will rebuild the harbour by winter," port director Omar Haddad told reporters.', "b")
    got = {q.article: q.speaker_name for q in extract_quotes([original, spun]) if q.kind == "direct"}
    assert got == {original.id: "Omar Haddad", spun.id: "Omar Haddad"}


@pytest.mark.skipif(
    importlib.util.find_spec("newsweave.entities") is None, reason="entities stage not built yet"
)
def test_speakers_resolve_to_entities_when_an_index_is_given():
    art = _article(FIXTURE)
    index = resolve_entities([art])
    statements = extract_statements([art], index)
    ortiz = [s.quote for s in statements if s.quote.speaker_name in ("Lena Ortiz", "Ortiz")]
    assert len(ortiz) >= 2
    assert ortiz[0].speaker is not None and len({q.speaker for q in ortiz}) == 1


# -- the seed articles -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> list[Article]:
    files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not files:
        pytest.skip("../shared/seeds not present")
    return [_article(p.read_text(encoding="utf-8"), str(p)) for p in files]


@pytest.mark.parametrize(
    "person,forms,words",
    [
        ("Sullivan", ("Sullivan",), "allow any country"),
        ("Liu Pengyu", ("Liu", "Pengyu"), "never heard"),
        ("Zhao Lijian", ("Zhao", "Chao"), "spreading misinformation aimed at China"),
        ("Ryan Hass", ("Hass",), "Sino-US relations are heading"),
        ("Einar Tangen", ("Tangen",), "hypocritical"),
    ],
)
def test_seed_quotes_are_attributed(seeds, person, forms, words):
    quotes = extract_quotes(seeds)
    said = [q for q in quotes if words in q.text]
    assert said, f"no statement with {words!r}"
    assert all(any(f in q.speaker_name for f in forms) for q in said), [
        (q.speaker_name, q.text) for q in said
    ]
    mine = [q for q in quotes if any(f in q.speaker_name for f in forms)]
    assert len(mine) >= 2  # each says more than one thing across the five articles


def _statements(text: str):
    return extract_statements([_article("Harbour strike enters second week\n\n" + text)])


def test_a_medium_is_never_the_speaker_a_pronoun_refers_to():
    # The small model tags "Twitter" PERSON; "said on Twitter" names where, not who.
    qs = extract_quotes([_article(
        "Harbour strike enters second week\n\n"
        '"We will not sign," the union said on Twitter.\n\n'
        '"The offer is an insult to every worker on the docks," he said.\n'
    )])
    assert all(q.speaker_name != "Twitter" for q in qs), [(q.speaker_name, q.text) for q in qs]


def test_the_object_of_told_is_the_hearer_not_the_content():
    q = _find(extract_quotes([_article(
        "Harbour strike enters second week\n\n"
        "Mayor Lena Ortiz told reporters on Monday that the harbour would reopen in May.\n"
    )]), "harbour would reopen")
    assert q.text == "the harbour would reopen in May" and q.speaker_name == "Lena Ortiz"


def test_the_subject_of_a_passive_cue_is_not_a_speaker():
    sts = _statements("The talks are expected to last two days, and the port is expected to reopen on Friday.\n")
    assert not sts, [(s.quote.speaker_name, s.quote.text) for s in sts]


def test_sources_polls_and_reports_are_cited_as_written_but_rumors_are_not():
    art = _article(
        "Harbour strike enters second week\n\n"
        "The port lost 40 million euros in a week, according to rumors reported by the Valmora Ledger.\n\n"
        "The strike will end on Friday, sources said.\n\n"
        "A new poll shows that most residents support the dockworkers.\n\n"
        "Rumors say that the harbour master will resign.\n"
    )
    listed = extract_quotes([art])
    assert [(q.speaker_name, q.speaker) for q in listed] == [
        ("the Valmora Ledger", None), ("sources", None), ("A new poll", None)
    ], [(q.speaker_name, q.text) for q in listed]
    assert len(extract_statements([art])) == 4  # rumors are still an attribution, as PolNeAR counts them


def test_content_that_is_only_a_thing_or_a_topic_is_not_listed():
    art = _article(
        "Harbour strike enters second week\n\n"
        "The council condemned the closure of the harbour.\n\n"
        "The mayor would not comment about the contract with the union.\n\n"
        "The council denied the reports.\n"
    )
    assert [q.text for q in extract_quotes([art])] == ["the reports"]  # a denial's object is what it denies


def test_a_quoted_noun_phrase_is_not_listed_but_a_quoted_predicate_is():
    art = _article(
        "Harbour strike enters second week\n\n"
        '"A cheap trick dressed up as an offer," said Marta Kell, the union leader.\n\n'
        'Mayor Lena Ortiz said the offer was "fair to every worker on the docks".\n'
    )
    # the quoted predicate travels inside the reported clause that says what it is said of
    assert [q.text for q in extract_quotes([art])] == ['the offer was "fair to every worker on the docks"']


def test_a_group_named_by_a_nationality_is_not_that_nationality():
    arts = [_article(
        "Harbour strike enters second week\n\n"
        "Valmoran officials said the port would reopen on Friday. The Valmoran government has not commented.\n"
    )]
    q = _find(extract_quotes(arts, resolve_entities(arts)), "port would reopen")
    assert (q.speaker, q.speaker_name) == (None, "Valmoran officials")


def test_a_name_inside_the_reported_content_is_not_the_pronoun_speaker():
    q = _find(extract_quotes([_article(
        "Harbour strike enters second week\n\n"
        "Harbour minister Ana Ruiz met the union on Monday. "
        "A visit by Pope Leo to the harbour would go ahead in May, she said.\n"
    )]), "would go ahead")
    assert q.speaker_name == "Ana Ruiz"


def test_a_relative_pronoun_speaks_for_its_noun():
    q = _find(extract_quotes([_article(
        "Harbour strike enters second week\n\n"
        "The mayor faces pressure from lawmakers who say the city is too soft on the union.\n"
    )]), "too soft")
    assert q.speaker_name == "lawmakers"


def test_a_place_is_not_who_they_refers_to():
    qs = extract_quotes([_article(
        "Harbour strike enters second week\n\n"
        "The port and the union first met in Valmora in January, when they agreed to set up a joint committee.\n"
    )])
    assert all(q.speaker_name != "Valmora" for q in qs), [(q.speaker_name, q.text) for q in qs]


def test_a_pronoun_far_from_any_name_is_not_listed():
    art = _article(
        "Harbour strike enters second week\n\n"
        'Union leader Marta Kell said the strike would go on. "We will stay out as long as it takes," she said.\n\n'
        "Ships have been waiting outside the harbour since Monday.\n\n"
        "Fruit is rotting in the warehouses.\n\n"
        '"Nobody in this city wants the port closed for another week," she said.\n'
    )
    assert not any("Nobody in this city" in q.text for q in extract_quotes([art]))
    assert any("Nobody in this city" in s.quote.text for s in extract_statements([art]))


def test_reported_content_keeps_the_closing_mark_of_a_quoted_phrase():
    art = _article(
        "Lenz talks tough\n\n"
        'Dario Lenz said before leaving for Tirsa that he preferred to deliver hard messages "face to face".\n'
    )
    q = _find(extract_quotes([art]), "hard messages")
    assert q.kind == "reported" and q.text == 'he preferred to deliver hard messages "face to face"', q.text


def test_reported_content_follows_its_cue_when_the_parser_hangs_a_word_before_it():
    # en_core_web_sm attaches "where" to "keep", so the content's subtree spans the cue "pledged" itself
    art = _article("The two officials last met in Lisvana in January, where they pledged to keep open lines of "
                   "communication despite deep disagreements over trade.")
    (q,) = [q for q in extract_quotes([art]) if q.cue == "pledged"]
    assert q.text == "to keep open lines of communication despite deep disagreements over trade"


# -- patterns learned from PolNeAR train (each sentence below is invented) ---------------------------


def _one(text: str, words: str):
    return _find(extract_quotes([_article("Harbour strike enters second week\n\n" + text)]), words)


def test_two_single_marks_are_a_quotation_mark():
    # some papers typeset quotation marks as two apostrophes
    q = _one("''We will rebuild the harbour by winter,'' said Omar Haddad, the port director.\n", "rebuild")
    assert (q.kind, q.speaker_name) == ("direct", "Omar Haddad")


def test_a_quote_split_by_its_frame_is_one_statement():
    sts = _statements(
        '"The cranes are older than the harbour wall," port director Omar Haddad said. '
        '"Nobody has paid for new ones in twenty years."\n'
    )
    direct = [s for s in sts if s.quote.kind == "direct"]
    assert len(direct) == 1, [s.quote.text for s in direct]
    assert "older than the harbour wall" in direct[0].quote.text and "twenty years" in direct[0].quote.text
    assert len(direct[0].content_at) == 2


def test_a_frame_inside_the_clause_it_reports():
    q = _one("The new cranes, port director Omar Haddad said, will arrive in May.\n", "will arrive")
    assert (q.speaker_name, q.kind, q.text) == ("Omar Haddad", "reported", "The new cranes will arrive in May")


def test_a_relative_pronoun_is_the_source_as_written():
    art = _article(
        "Harbour strike enters second week\n\n"
        "The mayor faces pressure from lawmakers who say the city is too soft on the union.\n"
    )
    (st,) = [s for s in extract_statements([art]) if "too soft" in s.quote.text]
    s, a, b = st.source_at
    assert art.sentences[s][a:b] == "who" and st.quote.speaker_name == "lawmakers"


def test_a_transcript_line_with_a_name_and_a_colon():
    art = _article(
        "Harbour strike enters second week\n\n"
        "Port director Omar Haddad took questions from the council on Monday.\n\n"
        "HADDAD: The harbour will reopen in May, and the cranes will be ready by then.\n\n"
        "UPDATE: The meeting has moved to the town hall on Harbour Street.\n"
    )
    qs = extract_quotes([art])
    got = [(q.speaker_name, q.text) for q in qs if "reopen" in q.text]
    assert got == [("HADDAD", "The harbour will reopen in May, and the cranes will be ready by then")]
    assert not any("town hall" in q.text for q in qs)  # "UPDATE" is named nowhere else: no one speaks


def test_a_quote_signed_with_a_dash_and_a_name():
    q = _one('"The strike has cost every family on the docks a month of wages." \u2015 Marta Kell, Valmora\n', "cost")
    assert (q.kind, q.speaker_name) == ("direct", "Marta Kell")


def test_a_pronoun_with_no_one_to_refer_to_is_an_attribution_but_not_listed():
    art = _article("Harbour strike enters second week\n\nShe said the strike would go on until the vote.\n")
    assert [s.quote.text for s in extract_statements([art])] == ["the strike would go on until the vote"]
    assert extract_quotes([art]) == []


def test_quoted_words_with_their_object_outside_the_marks_keep_the_object():
    # never cut mid-phrase: the reported clause carries the quoted words and what they need
    q = _one('"We are ready to work with" the dockworkers, Mayor Lena Ortiz said.\n', "ready to work")
    assert q.text.endswith("the dockworkers") and q.speaker_name == "Lena Ortiz"


def test_a_quote_that_stops_mid_phrase_is_not_listed():
    art = _article(
        "Harbour strike enters second week\n\n"
        '"We will work with the," Mayor Lena Ortiz said, before her microphone failed.\n'
    )
    assert any("work with the" in s.quote.text for s in extract_statements([art]))
    assert not any("work with the" in q.text for q in extract_quotes([art]))


def test_a_quoted_title_is_not_speech():
    art = _article(
        "Harbour strike enters second week\n\n"
        'Mayor Lena Ortiz said on "Morning Harbour Report," that the port would reopen in May.\n'
    )
    qs = extract_quotes([art])
    assert not any(q.kind == "direct" for q in qs), [(q.kind, q.text) for q in qs]
    assert any("port would reopen" in q.text and q.speaker_name == "Lena Ortiz" for q in qs)


def test_a_short_quote_before_its_frame_is_speech():
    q = _one('"We\'re ready," said Marta Kell, the union leader.\n', "ready")
    assert (q.kind, q.speaker_name) == ("direct", "Marta Kell")


def test_a_learned_cue_frames_a_quote():
    # "boasted" is not a hand-listed speech verb; PolNeAR train marks it a cue
    q = _one('Omar Haddad boasted, "Nobody builds cranes faster than we do."\n', "Nobody builds")
    assert (q.kind, q.speaker_name, q.cue) == ("direct", "Omar Haddad", "boasted")


@pytest.mark.parametrize(
    "text",
    [
        "VALMORA \u2014 Former port director Omar Haddad told reporters that the cranes would arrive in May.",
        "VALMORA (AP) \u2014 Port director Omar Haddad said on Monday that the cranes would arrive in May.",
    ],
)
def test_a_dateline_is_not_the_speaker(text):
    # neither the place nor the agency that filed the story said it
    assert _one(text + "\n", "cranes").speaker_name == "Omar Haddad"


def test_criticism_keeps_its_reason_and_a_call_is_an_attribution():
    art = _article(
        "Harbour strike enters second week\n\n"
        "The union leader blasted the council for ignoring the dockworkers. "
        "The union also called for a new vote on the contract.\n"
    )
    texts = [s.quote.text for s in extract_statements([art])]
    assert "the council for ignoring the dockworkers" in texts and "for a new vote on the contract" in texts


def test_a_frame_after_a_quote_that_reports_something_else_does_not_take_it():
    sts = _statements(
        "Valmora's readout of the meeting, published by its press office late on Monday, stated Ortiz had "
        "\u201cset out Valmora's principled position on the harbour\u201d and urged the union to "
        "\u201cstop spreading false rumours\u201d.\n"
    )
    said = [(s.quote.cue, s.quote.text) for s in sts]
    assert not any(cue == "urged" and "set out" in text for cue, text in said), said
    assert any("stop spreading false rumours" in text for _, text in said), said


def _listed(text: str) -> list[tuple[str, str]]:
    art = _article(text)
    return [(q.speaker_name, q.text) for q in extract_quotes([art], resolve_entities([art]))]


def test_a_frame_the_splitter_left_alone_after_a_question_takes_the_quote():
    got = _listed(
        "Harbour strike enters second week\n\n"
        "Mayor Lena Ortiz spoke to dockworkers on Monday.\n\n"
        '"How many weeks must this go on?" Ortiz said. "The harbour is our city."\n'
    )
    assert got and all(name == "Ortiz" for name, _ in got), got
    assert any("How many weeks" in text and "our city" in text for _, text in got), got


def test_a_frame_ending_on_a_colon_introduces_the_quote_in_the_next_paragraph():
    got = _listed(
        "Harbour strike enters second week\n\n"
        "The dockworkers of Valmora stayed off the job for an eighth day on Monday.\n\n"
        "The Valmora Ledger reports:\n\n"
        '"The port has lost 40 million euros since the strike began, and the losses are growing."\n'
    )
    assert got == [("The Valmora Ledger", "The port has lost 40 million euros since the strike began, "
                    "and the losses are growing.")], got


def test_a_claim_noun_with_its_clause_is_its_owners_statement():
    art = _article(
        "Harbour strike enters second week\n\n"
        "Reporters checked the union's claim that the port lost 40 million euros in a week.\n"
    )
    sts = extract_statements([art])
    assert [(s.quote.speaker_name, s.quote.text) for s in sts] == [
        ("the union", "the port lost 40 million euros in a week")
    ], [(s.quote.speaker_name, s.quote.text) for s in sts]


def test_a_description_and_a_claim_of_responsibility_are_listed():
    got = _listed(
        "Harbour fire\n\n"
        "Investigators described the fire as suspicious.\n\n"
        "A group calling itself the Harbour Front claimed responsibility for the fire.\n\n"
        "The mayor touted her record.\n"
    )
    texts = [t for _, t in got]
    assert any("the fire as suspicious" in t for t in texts), got
    assert any(t.startswith("responsibility for the fire") for t in texts), got
    assert not any("her record" in t for t in texts), got  # a thing, not a statement


def test_let_them_know_is_not_their_statement_and_an_adjective_is_no_referent():
    got = _listed(
        "Harbour strike enters second week\n\n"
        "The Democratic mayor said she wanted to let them know that the port would reopen.\n"
    )
    assert all(name != "Democratic" and "them" not in name for name, _ in got), got


def test_a_surname_subject_is_the_person_named_in_full_and_he_is_the_one_who_just_spoke():
    got = _listed(
        "Harbour strike enters second week\n\n"
        "Retired Gen. Tomas Ham spoke on Monday about the strike.\n\n"
        "According to Ham, the council replaced three directors because they disagreed with Petrov's plans.\n\n"
        '"We are on our fourth director," he said.\n'
    )
    assert ("Ham", "We are on our fourth director,") in got or any(
        name.endswith("Ham") and "fourth director" in text for name, text in got
    ), got


def test_an_unnamed_source_is_shown_with_what_says_whose_voice_it_is() -> None:
    art = _article(
        "The Lunford ferry company is expected to cut 400 jobs this week, according to two people familiar "
        "with the matter.\n\n"
        "Fares on the island route rose 12% in the past month, according to data from Harbourline.\n\n"
        "The cuts will start on Monday, according to a group of employees.\n\n"
        "Chairman Tomas Velde said the company would present a five-year plan on Friday.")
    names = {q.speaker_name for q in extract_quotes([art], resolve_entities([art]))}
    assert {"two people familiar with the matter", "data from Harbourline", "a group of employees"} <= names
    assert "Tomas Velde" in names


def test_a_source_that_names_no_one_is_not_shown_as_a_speaker() -> None:
    art = _article(
        "Some travellers who called the ferry line on Monday reported waits of two hours.\n\n"
        "Others reported being cut off before they reached anyone.\n\n"
        "At first the captain was treated for a cold. But his health continued to decline over the winter.\n\n"
        "Harbour master Ines Dahl said the line would add staff.")
    names = {q.speaker_name.lower() for q in extract_quotes([art], resolve_entities([art]))}
    assert "ines dahl" in names and not names & {"others", "his", "some"}


def _said(art: Article, listed_only: bool = False) -> set[tuple[str, str, str]]:
    """(speaker, text, kind) of each statement of one article."""
    return {(st.quote.speaker_name, st.quote.text, st.quote.kind) for st in extract_statements([art])
            if st.listed or not listed_only}


def test_a_naming_verb_reports_its_object_with_what_it_is_called() -> None:
    art = _article(
        "Harbour toll plan\n\n"
        "Councillor Tom Reyes called the toll plan a fantasy.\n\n"
        'Mayor Lena Ortiz called the new deck "a triumph of engineering" at the opening.\n')
    got = _said(art, listed_only=True)
    assert ("Tom Reyes", "the toll plan a fantasy", "reported") in got, got
    assert any(n == "Lena Ortiz" and t.startswith('the new deck "a triumph') for n, t, _ in got), got


def test_a_frame_after_a_quote_does_not_report_the_scene_around_it() -> None:
    art = _article(
        "Harbour strike enters second week\n\n"
        '"The harbour will live on," Dahl said, as a few young fighters worked out inside the hall. '
        '"We have a deal."\n')
    got = [(st.quote.speaker_name, st.quote.text, st.quote.kind) for st in extract_statements([art])]
    # the parser reads "as ... worked out" as what was said (a ccomp): the subordinator says it is not
    assert got == [("Dahl", "The harbour will live on \u2026 We have a deal.", "direct")], got


def test_first_person_frames_are_attributions_that_name_no_one() -> None:
    art = _article(
        "Letter from the harbour\n\n"
        "I said that the port would reopen within a month.\n\n"
        "Harbour master Ines Dahl said the line would add staff.\n")
    got = [(st.quote.speaker_name, st.quote.text, st.listed) for st in extract_statements([art])]
    assert ("I", "the port would reopen within a month", False) in got, got
    assert ("Ines Dahl", "the line would add staff", True) in got, got


def test_as_the_paper_reported_reports_the_clause_it_opens() -> None:
    art = _article(
        "Harbour strike enters second week\n\n"
        "As the Valmora Ledger reported, the council will vote on the contract next week.\n\n"
        '"It is her vote to lose at this point," added another harbour councillor.\n')
    got = [(st.quote.text, st.quote.kind) for st in extract_statements([art])]
    assert ("the council will vote on the contract next week", "reported") in got, got
    sources = {st.quote.text: art.sentences[st.source_at[0]][st.source_at[1]:st.source_at[2]]
               for st in extract_statements([art]) if st.source_at}
    assert sources.get("It is her vote to lose at this point", "").endswith("councillor"), sources


def test_a_frame_that_closes_the_sentence_reports_all_of_it() -> None:
    art = _article(
        "Harbour contract\n\n"
        "Velde acknowledged that the work could be termed influence peddling, the Valmora Ledger reported in 1991.\n\n"
        "The witness said the order was meant to avoid affecting the vote, according to the report.\n\n"
        "Dahl said the line would add staff and that fares would stay the same.\n")
    got = {(st.quote.speaker_name, st.quote.text) for st in extract_statements([art])}
    assert ("the Valmora Ledger", "Velde acknowledged that the work could be termed influence peddling") in got, got
    assert ("the report", "The witness said the order was meant to avoid affecting the vote") in got, got
    assert ("Dahl", "the line would add staff and that fares would stay the same") in got, got


def test_an_adverbial_before_a_quote_leads_into_it_and_but_goes_on_with_what_was_said() -> None:
    art = _article(
        "Harbour toll\n\n"
        'As for the new toll plan, "I kind of write it off," Pike said. "He is more of a moderate than his words."\n\n'
        "Dahl said the plan looked fair, but the council would still have to vote on it.\n")
    got = _said(art)
    assert ("Pike", "I kind of write it off \u2026 He is more of a moderate than his words.", "direct") in got, got
    assert any(n == "Dahl" and t.endswith("would still have to vote on it") for n, t, _ in got), got


def test_a_quote_split_by_a_relative_clause_or_a_paragraph_is_one_statement() -> None:
    art = _article(
        "Harbour inquiry\n\n"
        '"He did try to intimidate me," said Dahl, who wrote about the visit in her book. '
        '"Thank goodness, both of those things were not true."\n\n'
        '"There are pockets of hurt," Mr. Velde said, "and we are seeing the consequences of that."\n\n'
        '"The toll is the best plan since the bridge," Reyes tells the Ledger in an interview.\n\n'
        '"It is what we have waited for. It checks all our boxes."\n\n'
        '"The port says what people want to hear," Ortiz said. "But a port cannot promise anything it wants.\n\n'
        '"I am not interested in being popular," she continued.\n')
    got = [(st.quote.speaker_name, st.quote.text) for st in extract_statements([art]) if st.quote.kind == "direct"]
    assert ("Dahl", "He did try to intimidate me \u2026 Thank goodness, both of those things were not true.") in got
    assert ("Velde", "There are pockets of hurt \u2026 and we are seeing the consequences of that.") in got, got
    assert any(n == "Reyes" and t.endswith("It checks all our boxes.") for n, t in got), got
    assert any(n == "Ortiz" and t.endswith("cannot promise anything it wants.") for n, t in got), got
    assert any(t.startswith("I am not interested") for n, t in got), got


def test_what_qualifies_a_statement_stays_with_it_but_not_where_it_was_said() -> None:
    art = _article(
        "Harbour results\n\n"
        "The ferry company reported its smallest quarterly profit in 17 years because of the weak tourist season.\n\n"
        "The port authority reported a small loss, in a statement to investors.\n")
    got = {(st.quote.speaker_name, st.quote.text) for st in extract_statements([art])}
    assert any(t.endswith("because of the weak tourist season") for _, t in got), got
    assert ("The port authority", "a small loss") in got, got


def test_a_dateline_is_not_part_of_the_speaker_name() -> None:
    art = _article(
        "Harbour moon\n\n"
        "MARISPORT, Valdoria (HarbourNews) - NASA scientists using a telescope atop Mount Vel have confirmed the "
        "presence of oil on the surface of the bay.\n")
    names = [st.quote.speaker_name for st in extract_statements([art])]
    assert names and all(not n.startswith("MARISPORT") for n in names), names
