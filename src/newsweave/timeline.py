"""Timeline: the story's dated events, relative dates resolved against each article's publication date.

spaCy finds the date expressions (DATE entities) and dateparser resolves them; only what dateparser
gets wrong is written here: "last October" (it returns nothing), durations it reads as dates ("five
months" is not "five months ago"), a weekday named in an article of that weekday (that day, not a week
earlier), and tense: the verb that governs a date decides its direction ("officials said on Sunday" is the
Sunday before, "will meet on Sunday" and "is due to meet on Sunday" the coming one; news reports the past, so
a date without a future cue on its own verb is in the past).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from . import embed, nlp
from .copies import aligned_sentences
from .entities import readable
from .model import Article, Citation, CopyRelation, TimelineEntry

if TYPE_CHECKING:
    from spacy.tokens import Span

SAME_EVENT = 0.8  # MiniLM cosine above which two sentences with the same date report one event

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_ABSOLUTE = re.compile(rf"\b(?:{_MONTH}|(?:19|20)\d\d)\b|\b\d{{1,4}}[/-]\d{{1,2}}[/-]\d{{1,4}}\b")
_RELATIVE = re.compile(
    rf"\b(?:yesterday|today|tonight|last night|ago|{_WEEKDAY}|"
    rf"(?:last|next|this|past|coming)\s+(?:week|weekend|month|year|{_WEEKDAY}|{_MONTH}))\b")
_LAST_MONTH = re.compile(rf"\b(last|next)\s+({_MONTH})\b")
_FUTURE_AUX = {"will", "shall", "'ll", "wo"}  # "wo" is spaCy's token for "won't"
# Heads of an infinitive that put it in the future: "is due to meet", "are expected to", "plans to".
_FUTURE_HEADS = {"due", "expected", "scheduled", "set", "slated", "plans", "plan", "going", "poised",
                 "intends", "intend", "hopes", "hope", "promised", "vowed", "aims", "aim"}
_BE_PRESENT = {"is", "are", "am"}  # "the talks are to resume on Friday"


def _month_number(word: str) -> int:
    w = word.lower().rstrip(".")
    return next(i + 1 for i, m in enumerate(_MONTHS) if m.startswith(w[:3]))


def _precise(when: datetime, period: str | None) -> tuple[str, str]:
    precision = period if period in ("week", "month", "year") else "day"
    if precision == "month":
        when = when.replace(day=1)
    elif precision == "year":
        when = when.replace(month=1, day=1)
    return when.strftime("%Y-%m-%d"), precision


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


@lru_cache(maxsize=4096)
def _resolve_in(expression: str, language: str) -> tuple[str | None, str] | None:
    """A date written in another language, by dateparser's rules for it ("13. März 2023", "März 2023",
    "2023年3月10日"). Only dates that give their year: the tense that would place "am Montag" is not read here."""
    from dateparser.date import DateDataParser

    if not _YEAR.search(expression) or not re.search(r"[^\W\d_]", expression):
        return None  # a bare year is a number as often as a date; a date names a month or a day too
    try:
        data = DateDataParser(languages=[language], settings={
            "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"}).get_date_data(expression)
    except ValueError:  # a language dateparser does not know
        return None
    if data is None or data.date_obj is None:
        return None
    return _precise(data.date_obj, data.period)


@lru_cache(maxsize=4096)
def resolve(expression: str, published: str | None, future: bool = False,
            language: str = "en") -> tuple[str | None, str] | None:
    """(YYYY-MM-DD or None, precision) for a date expression as written, or None when it is not a point
    in time (a duration such as "five months"). Relative expressions without a publication date, and
    month-day dates without a year or publication date, resolve to (None, precision): undated.
    Expressions in another language than English are read by that language's rules (absolute dates only)."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates
    from dateutil.relativedelta import relativedelta

    if language != "en":
        return _resolve_in(expression, language)

    text = re.sub(r"['\u2019]s\b", "", expression.lower()).strip()
    absolute, relative = bool(_ABSOLUTE.search(text)), bool(_RELATIVE.search(text))
    if not absolute and not relative:
        return None
    has_year = bool(re.search(r"\b(?:19|20)\d\d\b", text))
    base = datetime.strptime(published, "%Y-%m-%d") if published else None
    if base is None and (relative or not has_year):
        return None, "day"
    m = _LAST_MONTH.search(text)
    if m and base is not None:  # dateparser returns nothing for "last October"
        month = _month_number(m.group(2))
        if m.group(1) == "last":
            year = base.year if month < base.month else base.year - 1
        else:
            year = base.year if month > base.month else base.year + 1
        return f"{year:04d}-{month:02d}-01", "month"
    wd = re.fullmatch(rf"(?:on\s+)?(?:the\s+)?({_WEEKDAY})(?:\s+(?:morning|afternoon|evening|night))?", text)
    if wd and base is not None:
        # An article of Tuesday saying "on Tuesday" means that day; otherwise the nearest such day
        # before the publication date, or after it when the sentence speaks of the future.
        delta = (_WEEKDAYS.index(wd.group(1)) - base.weekday()) % 7
        day = base + timedelta(days=delta) if future else base - timedelta(days=(7 - delta) % 7)
        return day.strftime("%Y-%m-%d"), "day"
    # Tense only decides relative dates; "March 14" in an article of 15 March is the nearest March 14.
    prefer = "current_period" if not relative else "future" if future else "past"
    settings = {"PREFER_DATES_FROM": prefer, "RETURN_AS_TIMEZONE_AWARE": False,
                "PREFER_DAY_OF_MONTH": "first"}
    if base is not None:
        settings["RELATIVE_BASE"] = base
    data = DateDataParser(languages=["en"], settings=settings).get_date_data(text)
    if data is None or data.date_obj is None:
        found = search_dates(text, languages=["en"], settings=settings)
        if not found:
            return None
        when, period = found[0][1], "day"
    else:
        when, period = data.date_obj, data.period or "day"
    if base is not None and not has_year and not re.search(r"\b(?:next|coming)\b", text) \
            and when > base + timedelta(days=60):
        when = when - relativedelta(years=1)  # "December 26" in a March article is last December
    if not 1800 <= when.year <= 2200:
        return None  # dateparser reads odd words as a year ("two days 1999 year of" -> year 27)
    return _precise(when, period)


def speaks_of_future(span: Span) -> bool:
    """Whether the clause a date expression belongs to is about the future: its governing verb takes
    "will"/"shall", or is an infinitive after "due to", "expected to", "is to" and the like. Only that
    verb counts: in "officials said on Sunday, a day before he is due to meet", Sunday is in the past."""
    if re.search(r"\b(?:next|coming)\b", span.text, re.I):
        return True
    # spaCy makes a new Token object at each access, so a root is found by index (`is` never holds), and
    # a walk up the tree is bounded by the sentence's length in case a parse has a cycle.
    verb = span.root
    for _ in range(len(span.doc)):
        if verb.pos_ in ("VERB", "AUX") or verb.head.i == verb.i:
            break
        verb = verb.head
    chain = [verb]
    for _ in range(len(span.doc)):
        if chain[-1].dep_ not in ("xcomp", "acomp") or chain[-1].head.i == chain[-1].i:
            break
        chain.append(chain[-1].head)
    if any(c.dep_ == "aux" and c.lower_ in _FUTURE_AUX for v in chain for c in v.children):
        return True
    # Above an infinitive ("to meet"), a head such as "due" or a present "is" makes it a plan.
    return any(v.lower_ in _FUTURE_HEADS or v.lower_ in _BE_PRESENT for v in chain[1:])


def _in_a_name(ent: Span) -> bool:
    """"Today" closing a name ("USA Today", "Alborea Today"): an outlet, not a date."""
    return ent.text in ("Today", "Tonight") and ent.start > 0 and ent.doc[ent.start - 1].is_title


def _events(article: Article, docs: list) -> list[TimelineEntry]:  # noqa: ANN001 - spaCy Docs
    dates = [[ent for ent in doc.ents if ent.label_ == "DATE" and not _in_a_name(ent)] for doc in docs]
    # "Monday's meeting" has no tense of its own: it is the Monday the article speaks of elsewhere, ahead
    # when a clause about that day is in the future ("is due to meet on Monday").
    ahead = {re.sub(r"^on\s+", "", e.text.lower()) for ents in dates for e in ents
             if re.fullmatch(rf"(?:on\s+)?{_WEEKDAY}", e.text, re.I) and speaks_of_future(e)}

    def future(ent: Span) -> bool:
        after = ent.doc[ent.end].text if ent.end < len(ent.doc) else ""
        if re.fullmatch(_WEEKDAY, ent.text, re.I) and after in ("'s", "\u2019s"):
            return ent.text.lower() in ahead
        return speaks_of_future(ent)

    out = []
    for i, ents in enumerate(dates):
        sentence = article.sentences[i]
        resolved = [(ent.text, resolve(ent.text, article.published, future(ent))) for ent in ents]
        resolved = [(expr, r) for expr, r in resolved if r is not None]
        if not resolved:
            continue
        # The sentence's most precise resolved date names the event's day.
        rank = {"day": 0, "week": 1, "month": 2, "year": 3}
        dated = sorted((r for r in resolved if r[1][0]), key=lambda r: rank[r[1][1]])
        expr, (when, precision) = dated[0] if dated else resolved[0]
        out.append(TimelineEntry(when, sentence, article.id, i, expression=expr, precision=precision))
    return out


def _foreign_events(article: Article) -> list[TimelineEntry]:
    """Dated sentences of an article the English parser cannot read: dateparser finds and reads the dates
    by the article's language."""
    from dateparser.search import search_dates

    out = []
    for i, sentence in enumerate(article.sentences):
        if not _YEAR.search(sentence):
            continue
        try:
            found = search_dates(sentence, languages=[article.language],
                                 settings={"RETURN_AS_TIMEZONE_AWARE": False}) or []
        except ValueError:  # a language dateparser does not know
            return []
        dated = [(expr, r) for expr, _ in found if (r := _resolve_in(expr.strip(" ,."), article.language))]
        if dated:
            rank = {"day": 0, "week": 1, "month": 2, "year": 3}
            expr, (when, precision) = min(dated, key=lambda d: rank[d[1][1]])
            out.append(TimelineEntry(when, sentence, article.id, i, expression=expr.strip(" ,."),
                                     precision=precision))
    return out


def build_timeline(articles: list[Article], copies: Iterable[CopyRelation] = ()) -> list[TimelineEntry]:
    """Dated events of the articles, oldest first and undated last; one entry per event across articles
    (the others that report it are in `also`). A sentence the copy relations align with a kept one is
    that entry too, however far a spun rewrite's words drifted. Articles in other languages than English
    are not parsed by the English model; their dates are read by their language's rules."""
    english = [a for a in articles if readable(a)]
    parses = nlp.parse(english)
    # An exact copy published the same day has the same dated events: read once (by its parses' identity).
    read: dict[tuple[tuple[int, ...], str | None], list[TimelineEntry]] = {}
    events = []
    for a in english:
        key = (tuple(map(id, parses[a.id])), a.published)
        if key not in read:
            read[key] = _events(a, parses[a.id])
        events += [e if e.article == a.id else replace(e, article=a.id, also=[]) for e in read[key]]
    events += [e for a in articles if not readable(a) for e in _foreign_events(a)]
    if not events:
        return []
    by_id = {a.id: a for a in articles}
    # Originals before copies and earlier reports first, so the kept entry is the first report.
    events.sort(key=lambda e: (e.date or "9999", by_id[e.article].published or "9999",
                               "machine-translation-signs" in by_id[e.article].flags, e.article, e.sentence))
    # MiniLM reads English only: an event in another language is one with another only by the copy relations
    # (`same`), its vector left at zero
    english_ids = {a.id for a in english}
    vecs = np.zeros((len(events), embed.english().dim), dtype=np.float32)
    read = [k for k, e in enumerate(events) if e.article in english_ids]
    if read:
        vecs[read] = embed.english().encode([events[k].text for k in read])
    statement = aligned_sentences(copies)

    def same(a: TimelineEntry, b: TimelineEntry) -> bool:
        key = statement.get((a.article, a.sentence))
        return key is not None and key == statement.get((b.article, b.sentence))

    kept: list[int] = []
    for k, e in enumerate(events):
        twin = next((j for j in kept if events[j].date == e.date and events[j].article != e.article
                     and (float(vecs[j] @ vecs[k]) >= SAME_EVENT or same(events[j], e))), None)
        if twin is None:
            kept.append(k)
        else:
            events[twin].also.append(Citation(e.article, e.sentence))
    return [events[k] for k in sorted(kept, key=lambda k: (events[k].date is None, events[k].date or "",
                                                            events[k].article, events[k].sentence))]
