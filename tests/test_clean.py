"""Cleaning: boilerplate removal (with reasons) on the seeds and fictional texts, normalisation, sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsweave.clean import clean_text, normalize, split_sentences
from newsweave.ingest import to_article
from newsweave.model import RawDoc

SEEDS = Path(__file__).parents[1].parent / "shared" / "seeds"
FIX = Path(__file__).parent / "fixtures" / "ingest"

# Every line of page furniture in the seed files, by file (prefix of the line, as written). Chosen by
# reading the files: lines that are not the article's own reporting — site navigation, comment forms,
# a PHP error, widget headings, the title repeated at the foot of the page, the author's byline and bio.
SEED_BOILERPLATE: dict[str, list[str]] = {
    "000": ["Previous articleVaccinations, semiconductors and energy", "Next articleNutrition and flu"],
    "001": ["Latest post", "About the author", "Leave a Comment"],
    "002": ["Please enter your comment!", "Please enter your name here"],
    "003": [
        "By Joseph Fitsanakis:",
        "Joseph Fitsanakis – is Professor of Intelligence",
        "Prior to that, he built the Security and Intelligence Studies program",
    ],
    "004": [
        "Click to comment",
        "Warning: Undefined variable $user_ID",
        "You must be logged in to post a comment",
        "Leave a Reply",
        "Most Popular",
        "To Top",
    ],
}
SEED_TITLES = {
    "001": "The United States tries to convince China not to supply Russia with weapons at a major Roman "
    "conference",
    "003": "Russia Needs Chinese Support to Win Ukraine War",
    "004": "Russia seeking military Help from China, US official Said",
}


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalize(text).lower())


def _seed_articles() -> dict[str, tuple[str, object]]:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} not found")
    out = {}
    for f in sorted(SEEDS.glob("*.txt")):
        raw = f.read_text(encoding="utf-8")
        result = to_article(RawDoc(source=str(f), text=raw))
        assert isinstance(result, tuple), result
        out[f.name[:3]] = (raw, result[0])
    return out


def test_seeds_lose_all_boilerplate_and_keep_all_news() -> None:
    seeds = _seed_articles()
    assert sorted(seeds) == sorted(SEED_BOILERPLATE)
    for key, (raw, article) in seeds.items():
        body = " ".join(article.sentences)
        # 1. every boilerplate line is gone from the sentences, and its removal has a reason
        for line in SEED_BOILERPLATE[key]:
            assert normalize(line) not in body, (key, line)
            assert any(normalize(line) in r.line or r.line in normalize(line) for r in article.removed), (
                key,
                line,
            )
        assert all(r.reason for r in article.removed)
        # 2. every other line keeps all its words, in order (the title may move to .title)
        kept = _words(body)
        kept_text = " " + " ".join(kept) + " "
        for line in normalize(raw).split("\n"):
            if not line.strip() or any(line.startswith(normalize(b)) for b in SEED_BOILERPLATE[key]):
                continue
            if key == "003" and line.startswith("By Joseph Fitsanakis:"):
                line = line.removeprefix("By Joseph Fitsanakis:")
            if article.title and normalize(line).rstrip(" .").startswith(article.title):
                continue
            assert " " + " ".join(_words(line)) + " " in kept_text, (key, line[:80])
        # 3. titles where the file has one
        assert article.title == SEED_TITLES.get(key), key
    assert seeds["003"][1].author == "Joseph Fitsanakis"
    reasons = {r.reason for _, a in seeds.values() for r in a.removed}
    assert {"navigation", "comment-prompt", "code-error", "repeats-title", "author-bio", "byline"} <= reasons


def test_real_sentences_with_cue_words_and_subheadings_are_kept() -> None:
    text = (FIX / "bridge.txt").read_text()
    cleaned = clean_text(text)
    paragraphs = cleaned.paragraphs
    assert "Readers were asked to subscribe to the council's alerts, the mayor said." in paragraphs
    assert "Share prices of local builders rose after the vote, traders said." in paragraphs
    # Subheadings inside the article stay, even one that opens with a navigation cue.
    assert "Most popular routes" in paragraphs and "Funding and delays" in paragraphs
    removed = {r.line: r.reason for r in cleaned.removed}
    assert removed["Share this article"] == "share-subscribe"
    assert removed["Leave a Comment"] == "comment-prompt"
    assert cleaned.title == "Council Approves New Bridge Over the River Lune"


def test_sentence_shaped_prompt_after_the_body_goes_but_not_inside_it() -> None:
    ending = (
        "Tram Line Opens In Lunford\n\nThe first tram left the depot at six, the operator said.\n\n"
        "Riders praised the quiet cars, and the mayor promised two more lines by 2027.\n\n"
        "You must be logged in to post a comment on this story."
    )
    cleaned = clean_text(ending)
    assert [r.reason for r in cleaned.removed if r.reason != "title"] == ["comment-prompt"]
    assert cleaned.paragraphs[-1].startswith("Riders praised")
    inside = (
        "Tram Line Opens In Lunford\n\nThe first tram left the depot at six, the operator said.\n\n"
        "Subscribe to the new timetable alerts, you will be told, is what the operator asks riders to do.\n\n"
        "Riders praised the quiet cars, and the mayor promised two more lines by 2027."
    )
    assert [r.reason for r in clean_text(inside).removed] == ["title"]


def test_author_bio_needs_bio_evidence() -> None:
    news = (
        "Harbour Board Names New Chief\n\n"
        "The harbour board named Anna Berg as its new chief executive on Monday, officials said.\n\n"
        "Berg is a former professor of civil engineering who said she would focus on safety."
    )
    cleaned = clean_text(news)
    assert cleaned.paragraphs[-1].startswith("Berg is a former professor")  # attributed: news, kept
    bio = news + (
        "\n\nMark Ellis is a freelance reporter based in Lunford. Previously he worked for the "
        "Portmere Post, and he has written for several regional papers."
    )
    cleaned = clean_text(bio)
    assert [r.reason for r in cleaned.removed if r.line.startswith("Mark Ellis")] == ["author-bio"]
    assert cleaned.paragraphs[-1].startswith("Berg is a former professor")


def test_repeated_lines_of_an_outlet_are_dropped_at_the_edges_only() -> None:
    text = (
        "Lunford Gazette Daily Edition\n\nThe ferry will start in May, the transport agency said.\n\n"
        "Ferry timetable\n\nBoats will run every hour during the summer, officials said.\n\nSign in"
    )
    cleaned = clean_text(text, outlet_lines={"lunford gazette daily edition", "sign in", "ferry timetable"})
    assert {r.line: r.reason for r in cleaned.removed} == {
        "Lunford Gazette Daily Edition": "repeated-across-outlet",
        "Sign in": "repeated-across-outlet",
    }
    assert "Ferry timetable" in cleaned.paragraphs


def test_code_error_lines_go_even_inside_the_body() -> None:
    text = (
        "The ferry will start in May, the transport agency said on Monday.\n"
        "Notice: Undefined index: id in /var/www/html/story.php on line 12\n"
        "Boats will run every hour during the summer, officials said."
    )
    cleaned = clean_text(text)
    assert [r.reason for r in cleaned.removed] == ["code-error"]
    assert len(cleaned.paragraphs) == 2


def test_normalize() -> None:
    assert (
        normalize("\u201cQuoted\u201d \u2018x\u2019\u00a0 and\u2003spaces\u200b\r\nnext \ufb01ne")
        == "\"Quoted\" 'x' and spaces\nnext fine"
    )
    assert normalize("\u00bd cup and 10 km\u00b2") == "\u00bd cup and 10 km\u00b2"  # wording kept as written


def test_hard_wrapped_lines_join_and_sentences_keep_abbreviations() -> None:
    cleaned = clean_text(
        "U.S. officials met Mr. Yang in Rome on\nMonday, the White House said. Talks went on."
    )
    sentences, para_of = split_sentences(cleaned.paragraphs)
    assert sentences == [
        "U.S. officials met Mr. Yang in Rome on Monday, the White House said.",
        "Talks went on.",
    ]
    assert para_of == [0, 0]


def test_titles_and_capitalised_months_do_not_end_sentences() -> None:
    sentences, _ = split_sentences([
        "RCMP Sgt. Tim Shields and Lt. Col. Ana Roe spoke. Det. Supt. Bo Lin agreed. MAR. 14, 2013 was cold. "
        "It rained."])
    assert sentences == ["RCMP Sgt. Tim Shields and Lt. Col. Ana Roe spoke.", "Det. Supt. Bo Lin agreed.",
                         "MAR. 14, 2013 was cold.", "It rained."]


def _fold(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=600))
def test_cleaning_never_crashes_and_sentences_are_slices_of_the_text(text: str) -> None:
    norm = normalize(text)
    assert normalize(norm) == norm
    cleaned = clean_text(text)
    sentences, para_of = split_sentences(cleaned.paragraphs)
    assert len(sentences) == len(para_of)
    folded = _fold(normalize(text))
    for s in sentences:
        assert s and _fold(s) in folded


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "The mayor said.",
                '"We will act,"',
                "he said.",
                "U.S.",
                "Mr.",
                "Smith",
                ".",
                '"',
                "...",
                "Leave a Reply",
                "\n",
                "\n\n",
                " ",
                "It rained.",
            ]
        ),
        max_size=30,
    )
)
def test_sentence_split_on_quote_and_dot_soup(parts: list[str]) -> None:
    text = " ".join(parts)
    cleaned = clean_text(text)
    sentences, _ = split_sentences(cleaned.paragraphs)
    for s in sentences:
        assert _fold(s) in _fold(normalize(text))


CHROME_PAGE = """Leaders meet by video link

Credit: AP

Photo: Mira Solberg/AP

President Anton Vel met Premier Ilse Brandt by video link on Monday evening, his office said in a statement.

A person from inside the Valmora Savings Bank, middle rear, talks to people waiting outside the branch on Friday.

Camera IconPremier Ilse Brandt speaks during the meeting. Picture: Getty Images

Lisvana rejects Drevania's reunification plans 01:48 But Brandt fired back, saying Drevania would act if provoked.

The call began at 7:46 p.m. and lasted three hours, officials said.

The meeting started at 10:30 and ended after midnight, the officials said.

Read more: Vel warns Brandt over the strait

Officials described the talks as candid and useful. Read more
"""


def test_page_chrome_is_removed_with_a_reason_and_prose_with_times_stays():
    c = clean_text(CHROME_PAGE)
    reasons = {r.line: r.reason for r in c.removed}
    assert reasons["Credit: AP"] == "photo-credit"
    assert reasons["Photo: Mira Solberg/AP"] == "photo-credit"
    assert reasons["Lisvana rejects Drevania's reunification plans 01:48"] == "video-title"
    assert reasons["Read more: Vel warns Brandt over the strait"] == "read-more"
    assert reasons["Read more"] == "read-more"
    assert any(r.reason == "caption" and r.line.startswith("A person from inside") for r in c.removed)
    assert any(r.line.startswith("Camera Icon") for r in c.removed)
    text = c.text
    assert "But Brandt fired back, saying Drevania would act if provoked." in c.paragraphs
    assert "Officials described the talks as candid and useful." in c.paragraphs
    for kept in ("at 7:46 p.m. and lasted", "started at 10:30 and ended", "by video link on Monday"):
        assert kept in text
    for gone in ("01:48", "Camera Icon", "middle rear", "Credit:", "Read more", "Solberg"):
        assert gone not in text


def test_chrome_reason_names_lines_that_are_never_news():
    from newsweave.clean import chrome_reason

    assert chrome_reason("Lisvana rejects Drevania's reunification plans 01:48 But Brandt fired back.") == "video-title"
    assert chrome_reason("Photo: Mira Solberg/AP") == "photo-credit"
    assert chrome_reason("![]()") == "no-words"
    assert chrome_reason("The call began at 7:46 p.m. and lasted three hours.") is None
    assert chrome_reason("Lisvana rejected Drevania's plans on Tuesday, the ministry said.") is None


def test_a_page_that_prints_its_story_again_keeps_it_once() -> None:
    story = ["The harbour authority of Lunford said on Tuesday that the repair of the old sea wall had "
             "finished ahead of the winter storms.",
             "Engineers said the quay would reopen to fishing boats and ferries on Friday morning after "
             "three weeks of closure."]
    portions = "Lunch: 1 cup rice, 4 oz. chicken."  # a short line a list repeats for good reason
    text = "\n\n".join([*story, portions, "Good morning!", *story, portions, "Good morning!", *story])
    cleaned = clean_text(text)
    assert cleaned.paragraphs == [*story, portions, "Good morning!", portions, "Good morning!"]
    assert [r.reason for r in cleaned.removed].count("repeated-paragraph") == 4


def test_a_link_or_form_talking_to_the_reader_is_chrome_anywhere() -> None:
    from newsweave.clean import chrome_reason

    body = ("The Lunford council voted on Tuesday to repair the old sea wall before the winter storms arrive.\n"
            "Sign up for the free daily newsletter.\n"
            "Engineers said the quay would reopen to fishing boats on Friday after three weeks of closure.\n"
            "Click here to get more information or download this game.\n"
            "The repair will cost about two million pounds, the council said in a statement.")
    cleaned = clean_text(body)
    assert len(cleaned.paragraphs) == 3 and not any("Sign up" in p or "Click" in p for p in cleaned.paragraphs)
    assert chrome_reason("Subscribe to our newsletter") == "call-to-action"
    assert chrome_reason("Voters were asked to sign up for the new register.") is None
    assert chrome_reason("Share it with a friend!") == chrome_reason("Share this article with your friends.") \
        == "call-to-action"
    assert chrome_reason("Share prices rose with the harbour's first profit in years.") is None


def test_lines_are_not_joined_across_a_line_removed_between_them() -> None:
    text = 'The mayor said. Leave a Reply \n "We will act," \n he said.'
    cleaned = clean_text(text)
    assert "Leave a Reply he said." not in " ".join(cleaned.paragraphs)
