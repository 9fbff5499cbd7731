"""Dates of an article: metadata, dateline, URL, and the days its text names (fictional snippets)."""

from __future__ import annotations

from datetime import date

from newsweave import dates
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc


def page(text: str, url: str | None = None, published: str | None = None) -> Article:
    made = to_article(RawDoc(source="t", text=text, url=url, published=published))
    assert isinstance(made, tuple), made
    return made[0]


def test_full_dates_in_text() -> None:
    found = dates.full_dates("On March 14, 2022 and 27 / 09 / 2013 or 2 May 2013, and Oct. 6, 2021.")
    assert sorted(d.isoformat() for d in found) == ["2013-05-02", "2013-09-27", "2021-10-06", "2022-03-14"]


def test_metadata_comes_first() -> None:
    a = page("ROME, March 14, 2022 (Wire) - The envoys met.", url="https://x.example/2021/01/02/a",
             published="2022-03-15")
    assert dates.publication_day(a) == date(2022, 3, 15)


def test_dateline_with_and_without_a_year() -> None:
    assert dates.publication_day(page("KOKOMO, Ind. (June 15, 2014) — Police officers are investigating.")) \
        == date(2014, 6, 15)
    # No year in the dateline: the URL's year, else the year the text names most.
    wire = "WASHINGTON, March 14 (Reuters) – The two advisers spoke for seven hours."
    assert dates.publication_day(page(wire, url="https://news.example/world/2022/story-1")) == date(2022, 3, 14)
    assert dates.publication_day(page(wire + " It was their first meeting since the 2021 summit.")) \
        == date(2021, 3, 14)
    assert dates.publication_day(page(wire)) is None  # no year anywhere: unknown, not this year


def test_url_date_and_no_date() -> None:
    assert dates.url_date("https://x.example/politics/20211006-envoys-meet.html") == date(2021, 10, 6)
    assert dates.url_date("https://x.example/2021/10/06/envoys") == date(2021, 10, 6)
    assert dates.url_date("https://x.example/section/12345678") is None
    assert dates.publication_day(page("The envoys met in Zurich to discuss tariffs.")) is None


def test_days_named_in_text_are_resolved_against_the_page_date() -> None:
    anchor = date(2021, 10, 8)  # a Friday
    found = dates.event_days("They met on Oct. 6 and will talk again on Monday; a summit on 15 November 2021.",
                             anchor)
    assert set(found) == {date(2021, 10, 6), date(2021, 10, 4), date(2021, 11, 15)}
    # A month-day just after the page date is upcoming; one well after it was last year's.
    assert dates.resolve_month_day(10, 10, anchor) == date(2021, 10, 10)
    assert dates.resolve_month_day(12, 24, anchor) == date(2020, 12, 24)
    assert dates.event_days("on Oct. 6", None) == []


def test_article_day_falls_back_to_the_lead() -> None:
    a = page("The envoys met in Rome.\n\nPublished 14 March 2022. Talks lasted seven hours.")
    assert dates.article_day(a) == date(2022, 3, 14)
