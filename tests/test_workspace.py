"""The workspace: idempotent storage, raw keys, nested transactions, outlet lines, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsweave.ingest import raw_key, to_article
from newsweave.model import RawDoc
from newsweave.workspace import Workspace, short_lines

TEXT = (
    "The ferry between Portmere and Lunford will start in May, the transport agency said on Monday. "
    "Boats will run every hour during the summer."
)


def _article(text: str = TEXT, outlet: str | None = "Portmere Post"):
    result = to_article(RawDoc(source="a.txt", text=text, outlet=outlet, title="Ferry Starts In May"))
    assert isinstance(result, tuple)
    return result


def test_add_is_idempotent_and_round_trips(tmp_path: Path) -> None:
    article, text_hash = _article()
    with Workspace(tmp_path) as ws:
        assert ws.add_article(article, text_hash, "k1") is True
        assert ws.add_article(article, text_hash, "k1") is False
        assert ws.count() == 1 and ws.has_article(article.id)
        assert ws.article_for_raw("k1") == article.id and ws.article_for_raw("k2") is None
        assert ws.text_hash(article.id) == text_hash
    with Workspace(tmp_path) as ws:  # reopened: the same article, field for field
        [back] = ws.articles()
        assert back == article
        assert [h.id for h in ws.search("ferry").hits] == [article.id]
        assert ws.integrity_ok()
        assert ws.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_nested_transaction_rolls_back_only_the_inner_part(tmp_path: Path) -> None:
    a, ha = _article()
    b, hb = _article(TEXT.replace("May", "June"))
    with Workspace(tmp_path) as ws:
        with ws.transaction():
            ws.add_article(a, ha)
            with pytest.raises(RuntimeError), ws.transaction():
                ws.add_article(b, hb)
                raise RuntimeError("boom")
        assert ws.article_ids() == [a.id]
        with pytest.raises(RuntimeError), ws.transaction():
            ws.add_article(b, hb)
            raise RuntimeError("boom")
        assert ws.article_ids() == [a.id]


def test_outlet_lines_count_distinct_articles(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws:
        for i in range(3):
            art, h = _article(f"Sign in\nStory {i}: " + TEXT)
            ws.add_article(art, h)
        ws.add_article(*_article(f"Sign in\nStory 0: {TEXT}"))  # same article again: not counted
        assert ws.outlet_line_counts("Portmere Post")["sign in"] == 3
        assert "sign in" in ws.outlet_lines("Portmere Post", min_count=3)
        assert ws.outlet_lines(None) == frozenset()


def test_short_lines_are_normalised_and_skip_prose() -> None:
    assert short_lines("  Sign\u00a0In \n\n" + "x" * 300) == ["sign in"]


def test_raw_key_ignores_where_it_was_read_from() -> None:
    assert raw_key(RawDoc(source="a", text=TEXT)) == raw_key(RawDoc(source="b", text=TEXT))
    assert raw_key(RawDoc(source="a", text=TEXT)) != raw_key(RawDoc(source="a", text=TEXT, outlet="X"))


def test_meta_and_story_analysis(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws:
        ws.set_meta("k", {"a": 1})
        ws.put_story_analysis("s1", "f1", [1, 2])
        assert ws.get_meta("k") == {"a": 1} and ws.get_meta("missing", 5) == 5
        assert ws.get_story_analysis("s1", "f1") == [1, 2] and ws.get_story_analysis("s1", "f2") is None
        ws.put_story_analysis("s1", "f2", [3])  # a newer analysis of the story replaces the older one
        assert ws.get_story_analysis("s1", "f1") is None and ws.get_story_analysis("s1", "f2") == [3]
