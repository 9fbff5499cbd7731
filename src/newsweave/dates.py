"""Dates of an article: the day it was published and the days its text names.

Publication day, in order of trust: the input's own metadata (JSONL/feed fields, or what htmldate finds in
the page's meta tags, JSON-LD and ``<time>`` elements, via trafilatura), then a dateline in the first lines
("KOKOMO, Ind. (June 15, 2014) —", "WASHINGTON, March 14 (Reuters) –", a line "March 01, 2008"), then a date
in the URL path ("/2021/10/06/", "-20211006-"; a URL date can be that of a section or a re-post, so it
comes last). A dateline without a year takes the year of the URL, else the year the text names most, else it
is left unknown: guessing the current year would put an old report years away from its own event.

Event days: full dates written in the text ("Oct. 6, 2021", "6 October 2021", "10/06/2021", "2021-10-06"),
and, once the publication day is known, month-days without a year ("on Oct. 6": the latest such day not
more than a week after publication) and weekdays ("on Monday": the latest such day on or before it).

Hand-written patterns because ``dateparser.search_dates`` is ~1000x slower and reads bare weekdays and "may".
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from .model import Article

_MONTHS = {m: i for i, ms in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], 1) for m in ms}
_MON = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
       r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_YEAR = r"((?:19|20)\d\d)"
_FULL = (
    (re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s+" + _YEAR + r"\b", re.I), ("m", "d", "y")),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MON + r",?\s+" + _YEAR + r"\b", re.I), ("d", "m", "y")),
    (re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*" + _YEAR + r"\b"), ("n", "d", "y")),
    (re.compile(r"\b" + _YEAR + r"-(\d\d)-(\d\d)\b"), ("y", "n", "d")),
)
# A month and day with no year after them ("Oct. 6", "6 October"); the year is resolved against an anchor.
_MONTH_DAY = (
    (re.compile(r"\b" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!\s*,?\s*(?:19|20)\d\d)(?![\d:])", re.I),
     ("m", "d")),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MON + r"\b(?!\s*,?\s*(?:19|20)\d\d)", re.I), ("d", "m")),
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ON_WEEKDAY = re.compile(r"\b(?:on|last|this|late|early)\s+(" + "|".join(_WEEKDAYS) + r")\b", re.I)
# A dateline: a place in capitals (or a date line on its own) at the very start of the text.
_DATELINE = re.compile(r"^\s*(?:[A-Z][A-Z .'-]{1,40}(?:,\s*[A-Z][\w.]*\.?)*\s*[,(]\s*)?\(?\s*(?P<date>"
                       + _MON + r"\s+\d{1,2}(?:st|nd|rd|th)?(?:\s*,?\s+(?:19|20)\d\d)?|\d{1,2}\s+" + _MON
                       + r"(?:,?\s+(?:19|20)\d\d)?)\s*[)(,–—-]?", re.I)
_URL_DATE = (re.compile(r"/((?:19|20)\d\d)/(\d\d)/(\d\d)(?:/|$)"),
             re.compile(r"[/_-]((?:19|20)\d\d)-?(\d\d)-?(\d\d)(?:[/_.-]|$)"))
_URL_YEAR = re.compile(r"/((?:19|20)\d\d)/")
_ANY_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _parts(match: re.Match, order: tuple[str, ...]) -> tuple[int | None, int, int]:
    parts = dict(zip(order, match.groups(), strict=True))
    month = _MONTHS[parts["m"].lower().rstrip(".")] if "m" in parts else int(parts["n"])
    day = int(parts["d"])
    if month > 12 and "n" in parts:  # 27/09/2013: day first
        month, day = day, month
    return (int(parts["y"]) if "y" in parts else None), month, day


def full_dates(text: str) -> list[date]:
    """Full calendar dates written in the text (month names or numeric, US order for slashes)."""
    found = []
    for rx, order in _FULL:
        for m in rx.finditer(text):
            y, mo, d = _parts(m, order)
            if y is not None and (day := _date(y, mo, d)):
                found.append(day)
    return found


def _month_days(text: str) -> list[tuple[int, int]]:
    out = []
    for rx, order in _MONTH_DAY:
        for m in rx.finditer(text):
            _, mo, d = _parts(m, order)
            if 1 <= mo <= 12 and 1 <= d <= 31:
                out.append((mo, d))
    return out


def resolve_month_day(month: int, day: int, anchor: date, ahead: int = 7) -> date | None:
    """The latest date with this month and day that is at most `ahead` days after `anchor` (a report
    names past days, and the next few: "talks on Oct. 6" written on Oct. 4)."""
    for year in (anchor.year + 1, anchor.year, anchor.year - 1):
        d = _date(year, month, day) or (_date(year, month, 28) if (month, day) == (2, 29) else None)
        if d is not None and d <= anchor + timedelta(days=ahead):
            return d
    return None


def url_date(url: str | None) -> date | None:
    """A date in a URL path ("/2021/10/06/", "/20211006-", "-2021-10-06.html")."""
    if not url:
        return None
    path = url.split("?", 1)[0]
    for rx in _URL_DATE:
        if m := rx.search(path):
            return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def _text_year(article: Article) -> int | None:
    """The year a text names most (ties: the latest), used to place a dateline that has none."""
    years = Counter(int(y) for y in _ANY_YEAR.findall(" ".join(filter(None, [article.title, article.text]))))
    return max(years, key=lambda y: (years[y], y)) if years else None


def dateline_date(article: Article) -> date | None:
    """The date of a dateline in the first two lines of the text (or the title), with the year resolved
    from the URL or the text when the dateline has none."""
    lines = [ln for ln in article.text.splitlines() if ln.strip()][:3]
    for ln in [*lines, *(article.sentences[:2])]:
        m = _DATELINE.match(ln)
        if not m:
            continue
        written = m.group("date")
        if full := full_dates(written):
            return full[0]
        md = _month_days(written)
        if not md:
            continue
        year = None
        if article.url and (u := _URL_YEAR.search(article.url)):
            year = int(u.group(1))
        year = year or _text_year(article)
        return _date(year, *md[0]) if year else None
    return None


def publication_day(article: Article) -> date | None:
    """The day an article was published: metadata, else its dateline, else its URL (see the module doc)."""
    if article.published:
        try:
            return date.fromisoformat(article.published[:10])
        except ValueError:
            pass
    return dateline_date(article) or url_date(article.url)


def event_days(text: str, anchor: date | None) -> list[date]:
    """The days a text names: full dates, and (against `anchor`, the publication day) month-days without a
    year and "on <weekday>"."""
    days = full_dates(text)
    if anchor is None:
        return days
    days += [d for mo, dd in _month_days(text) if (d := resolve_month_day(mo, dd, anchor))]
    for m in _ON_WEEKDAY.finditer(text):
        back = (anchor.weekday() - _WEEKDAYS.index(m.group(1).lower())) % 7
        days.append(anchor - timedelta(days=back))
    return days


def article_day(article: Article, lead_sentences: int = 3) -> date | None:
    """The day an article is anchored to for grouping: its publication day, else the latest full date of
    its title and first sentences (an undated report usually names the day of its event there)."""
    if day := publication_day(article):
        return day
    dates = full_dates(" ".join(filter(None, [article.title, *article.sentences[:lead_sentences]])))
    return max(dates) if dates else None
