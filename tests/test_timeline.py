"""Timeline: relative dates resolved against the publication date, undated when it is unknown."""

from __future__ import annotations

import pytest
from brief_fixtures import make_articles

from newsweave import nlp
from newsweave.ingest import to_article
from newsweave.model import RawDoc
from newsweave.timeline import build_timeline, resolve, speaks_of_future


@pytest.mark.parametrize(("expr", "published", "future", "expected"), [
    ("on Monday", "2022-03-15", False, ("2022-03-14", "day")),  # published on a Tuesday
    ("Tuesday", "2022-03-15", False, ("2022-03-15", "day")),  # the day itself
    ("Sunday", "2022-03-15", False, ("2022-03-13", "day")),
    ("next Monday", "2022-03-15", True, ("2022-03-21", "day")),
    ("Friday", "2022-03-15", True, ("2022-03-18", "day")),
    ("yesterday", "2022-03-15", False, ("2022-03-14", "day")),
    ("last October", "2022-03-15", False, ("2021-10-01", "month")),
    ("last February", "2022-03-15", False, ("2022-02-01", "month")),
    ("five months ago", "2022-03-15", False, ("2021-10-01", "month")),
    ("14 March 2022", None, False, ("2022-03-14", "day")),
    ("March 14", "2022-03-20", False, ("2022-03-14", "day")),
    ("December 26", "2022-03-15", False, ("2021-12-26", "day")),
    ("January 2005", None, False, ("2005-01-01", "month")),
    ("on Monday", None, False, (None, "day")),  # relative, no publication date: undated
    ("March 14", None, False, (None, "day")),  # no year to be had
    ("five months", "2022-03-15", False, None),  # a duration, not a date
    ("the 18 days", "2022-03-15", False, None),
    ("recent days", "2022-03-15", False, None),
])
def test_resolve(expr, published, future, expected):
    assert resolve(expr, published, future) == expected


def test_timeline_sorted_deduplicated_and_undated_last():
    arts = make_articles()
    undated = to_article(RawDoc(source="u.txt", text="Divers went down on Monday to inspect the wreck. "
                                "The inquiry opened on 2 May 2023 in the capital."))[0]
    entries = build_timeline([*arts.values(), undated])
    dates = [e.date for e in entries]
    assert dates[-1] is None and None not in dates[:-1]
    assert [d for d in dates if d] == sorted(d for d in dates if d)
    by_id = {a.id: a for a in [*arts.values(), undated]}
    for e in entries:
        assert by_id[e.article].sentences[e.sentence] == e.text
    # The closure on Monday 15 May 2023 is reported by several articles and listed once.
    closures = [e for e in entries if e.date == "2023-05-15" and "300 tonnes" in e.text]
    assert len(closures) == 1 and closures[0].also
    assert any(e.date == "2022-10-01" and e.precision == "month" and "Tallinn" in e.text for e in entries)
    assert any(e.date == "2023-05-19" and "reopen" in e.text for e in entries)  # "will reopen on Friday"
    assert any(e.date == "2023-05-15" and "Divers" in e.text for e in entries)  # "yesterday" on 16 May
    assert any(e.date == "2023-05-02" and e.article == undated.id for e in entries)
    assert any(e.date is None and "Divers went down" in e.text for e in entries)


@pytest.mark.parametrize(("sentence", "expected"), [
    # The reporting verb governs the date; the future clause after it does not.
    ("Harbour officials said on Sunday that the ferry had sunk, a day before the minister is due to visit.",
     {"Sunday": False}),
    ("The minister will visit the harbour on Sunday.", {"Sunday": True}),
    ("The minister is due to visit the harbour on Sunday, her office said.", {"Sunday": True}),
    ("The inquiry is expected to report on Thursday.", {"Thursday": True}),
    ("The talks are to resume on Wednesday, officials said.", {"Wednesday": True}),
    ("The union won't vote until Thursday.", {"Thursday": True}),
    ("Divers wanted to go down on Monday.", {"Monday": False}),
    ("The ferry, which sank on Monday, was carrying forty cars.", {"Monday": False}),
    ("Crews accepted the plan late on Thursday and will go back to sea on Friday.",
     {"Thursday": False, "Friday": True}),
])
def test_future_is_decided_by_the_governing_verb(sentence, expected):
    doc = nlp.english()(sentence)
    assert {e.text: speaks_of_future(e) for e in doc.ents if e.label_ == "DATE"} == expected


def test_weekdays_follow_the_tense_of_their_verb():
    # Published on Monday 4 March 2024.
    text = ("Harbour officials said on Sunday that the ferry Selka had sunk off Varn, a day before the transport "
            "minister is due to visit the port.\n\n"
            "The minister will meet the families of the crew on Friday.\n\n"
            "Divers reached the wreck on Saturday morning, the coast guard said.")
    art = to_article(RawDoc(source="ferry.txt", text=text, title="Ferry sinks off Varn", outlet="Varn Post",
                            published="2024-03-04"))[0]
    by_text = {e.text[:12]: e.date for e in build_timeline([art])}
    assert by_text == {"Harbour offi": "2024-03-03", "The minister": "2024-03-08", "Divers reach": "2024-03-02"}


def test_today_closing_an_outlet_name_is_not_a_date():
    text = ("Mayor Dusek told Alborea Today that the ferry would keep its timetable.\n\n"
            "Today the ferry Selka returned to service.")
    art = to_article(RawDoc(source="ferry.txt", text=text, title="Ferry returns", outlet="Varn Post",
                            published="2024-03-04"))[0]
    entries = build_timeline([art])
    assert [(e.sentence, e.date) for e in entries] == [(1, "2024-03-04")]


def test_a_possessive_weekday_is_the_day_the_article_speaks_of():
    # Published on Sunday 3 March 2024: the meeting is the coming Monday, though "had been planned" is past.
    ahead = ("The minister will meet the families of the crew on Monday.\n\n"
             "Officials said Monday's meeting had been planned for weeks.")
    # Published on Wednesday 6 March 2024, with no future Monday: the Monday just past.
    behind = "Officials said Monday's meeting had been tense."
    dates = {}
    for key, text, published in (("ahead", ahead, "2024-03-03"), ("behind", behind, "2024-03-06")):
        art = to_article(RawDoc(source=f"{key}.txt", text=text, title="Ferry families", outlet="Varn Post",
                                published=published))[0]
        dates[key] = sorted({e.date for e in build_timeline([art])})
    assert dates == {"ahead": ["2024-03-04"], "behind": ["2024-03-04"]}


@pytest.mark.parametrize("sentence", ["Last Tuesday in Rome", "Photo: Monday, March 14, 2022", "Zurich, October 6"])
def test_a_date_in_a_verbless_sentence_ends(sentence):
    """A caption or headline fragment has no verb above its date: the walk up the parse stops at the root
    (a regression: comparing Token objects with `is` never found the root, and the run hung for good)."""
    import signal

    def hang(*_):
        raise TimeoutError("speaks_of_future did not end")

    doc = nlp.english()(sentence)
    dates = [e for e in doc.ents if e.label_ == "DATE"]
    assert dates
    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(5)
    try:
        assert speaks_of_future(dates[0]) is False
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_a_year_dateparser_makes_of_odd_words_is_no_date() -> None:
    # found by the property test: dateparser read these words as the year 27
    assert resolve("two days 1999 year of", None, False) is None
