"""Timeline: relative dates resolved against the publication date, undated when it is unknown."""

from __future__ import annotations

import pytest
from brief_fixtures import make_articles

from newsweave.ingest import to_article
from newsweave.model import RawDoc
from newsweave.timeline import build_timeline, resolve


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
