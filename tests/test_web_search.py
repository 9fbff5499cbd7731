"""Search for people: the parser turns any text into valid FTS5 (property test), odd queries answer with
results or a 400 and a message (never a raw SQLite error), time is bounded, Chinese is found inside runs
of characters, misspellings get a "did you mean" from the workspace's words, and each result links to the
sentence that matches. The CLI uses the same parser.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from test_web import Site, article_id
from typer.testing import CliRunner

from newsweave import search
from newsweave.cli import app as cli_app
from newsweave.workspace import Workspace


def results(client: TestClient, q: str) -> tuple[int, lxml.html.HtmlElement]:
    r = client.get("/search", params={"q": q})
    assert "text/html" in r.headers["content-type"]
    return r.status_code, lxml.html.fromstring(r.text)


def hit_links(page: lxml.html.HtmlElement) -> list[str]:
    return [a.get("href") for a in page.xpath("//ul[@class='results']/li/a[1]")]


def notice(page: lxml.html.HtmlElement) -> str:
    return " ".join(p.text_content() for p in page.xpath("//p[@class='notice']"))


# Each odd query, and the sentence of the summit article it must land on.
ODD = {
    "U.S.": 0, "COVID-19": 1, "Biden-Xi": 0, "Xi's": 1, "Sullivan?": 0, "$209": 2, "9:03": 2, "AND": 1,
}


@pytest.mark.parametrize("q", list(ODD))
def test_odd_queries_are_words(client: TestClient, site: Site, q: str) -> None:
    status, page = results(client, q)
    assert status == 200, notice(page)
    summit = article_id(site.doc, "Sullivan in Beijing")
    assert f"/article/{summit}#s{ODD[q]}" in hit_links(page)
    assert page.xpath("//ul[@class='results']//mark")


def test_phrase_or_and_minus(client: TestClient, site: Site) -> None:
    summit, lantern = article_id(site.doc, "Sullivan in Beijing"), article_id(site.doc, "Record crowd")
    _, page = results(client, "lantern OR Sullivan")
    assert {h.split("#")[0] for h in hit_links(page)} >= {f"/article/{summit}", f"/article/{lantern}"}
    _, page = results(client, '"frank and useful"')
    assert hit_links(page) == [f"/article/{summit}#s3"]
    _, page = results(client, '"useful and frank"')
    assert hit_links(page) == []
    _, page = results(client, "bridge -Ostrava")
    bridge_hits = {h.split("#")[0] for h in hit_links(page)}
    assert bridge_hits and all("Ostrava" not in " ".join(a["sentences"]) for a in site.doc["articles"]
                               if f"/article/{a['id']}" in bridge_hits)
    _, every = results(client, "bridge")
    assert len(hit_links(every)) > len(bridge_hits)


@pytest.mark.parametrize("q, message", [
    ("*", "no letters or digits"), ("-Sullivan", "Add a word to look for"), ("?? !!", "no letters or digits"),
    ("word " * 1000, "at most 200 characters"), ("x" * 20_000, "at most 200 characters"),
])
def test_bad_queries_are_400_with_a_message(client: TestClient, q: str, message: str) -> None:
    status, page = results(client, q)
    assert status == 400 and message in notice(page)
    assert "sqlite" not in notice(page).lower() and "fts5" not in notice(page).lower()


def test_a_20kb_query_answers_within_a_second(client: TestClient) -> None:
    start = time.monotonic()
    r = client.get("/search", params={"q": "Sullivan OR " * 1700})
    assert r.status_code == 400 and time.monotonic() - start < 1.0


def test_nul_and_control_characters(client: TestClient, site: Site) -> None:
    r = client.get("/search", params={"q": "Sull\x00ivan\x1b lantern\x02\u202e"})
    assert "\x00" not in r.text and "\x1b" not in r.text and "\x02" not in r.text and "\u202e" not in r.text
    assert r.status_code == 200
    assert not hit_links(lxml.html.fromstring(r.text))  # "Sull ivan": two words no article has together


def test_chinese_is_found_inside_a_run_of_characters(client: TestClient, site: Site) -> None:
    zh = article_id(site.doc, "沙利文在北京")
    _, page = results(client, "沙利文")
    assert hit_links(page) == [f"/article/{zh}#s0"]
    assert [m.text_content() for m in page.xpath("//mark")][:1] == ["沙利文"]
    _, page = results(client, "北京")  # two characters: shorter than a trigram, still found
    assert f"/article/{zh}#s0" in hit_links(page)
    _, page = results(client, "沙利文 -贸易")
    assert hit_links(page) == []


def test_did_you_mean(client: TestClient) -> None:
    status, page = results(client, "Sulivan")
    assert status == 200 and not hit_links(page)
    link = page.xpath("//p[@class='suggest']/a")[0]
    assert link.text_content() == "sullivan" and link.get("href") == "/search?q=sullivan"
    _, page = results(client, "Sullivan")
    assert not page.xpath("//p[@class='suggest']")


def test_a_slow_query_is_stopped(site: Site) -> None:
    with Workspace(site.workspace) as ws, search.time_bound(ws.conn, 0.0), pytest.raises(sqlite3.OperationalError):
        ws.conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n")
    with Workspace(site.workspace) as ws:  # and search says so in words
        query = search.parse("bridge OR council OR lantern -harbour")
        assert query is not None
        with pytest.raises(search.QueryError, match="took too long"):
            search.search(ws.conn, query, time_limit=0.0)


def test_older_workspace_gets_the_trigram_index(site: Site, tmp_path: Path) -> None:
    import shutil

    ws_path = shutil.copytree(site.workspace, tmp_path / "ws")
    with Workspace(ws_path) as ws:
        ws.conn.executescript("DROP TRIGGER articles_tri_insert; DROP TABLE articles_tri;")
    with Workspace(ws_path) as ws:
        results_ = ws.search("沙利文")
        assert results_ is not None and len(results_.hits) == 1


def test_cli_search_uses_the_same_parser(site: Site) -> None:
    runner = CliRunner()
    r = runner.invoke(cli_app, ["search", "-w", str(site.workspace), "COVID-19"])
    assert r.exit_code == 0 and f"{article_id(site.doc, 'Sullivan in Beijing')}#s1" in r.stdout
    r = runner.invoke(cli_app, ["search", "-w", str(site.workspace), "*"])
    assert r.exit_code == 2 and "no letters or digits" in r.stderr and "Traceback" not in r.output


_DB: list[sqlite3.Connection] = []


def _db() -> sqlite3.Connection:
    """An in-memory workspace-shaped database with both indexes, made once for the property test."""
    if not _DB:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.executescript(
            "CREATE TABLE articles (seq INTEGER PRIMARY KEY, id TEXT, title TEXT, outlet TEXT, published TEXT, "
            "clean_text TEXT, sentences TEXT);"
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, clean_text, content='articles', content_rowid='seq');"
            "CREATE VIRTUAL TABLE articles_tri USING fts5(title, clean_text, content='articles', content_rowid='seq', "
            "tokenize='trigram');"
            "INSERT INTO articles VALUES (1, 'a', 'U.S. talks', NULL, NULL, 'Sullivan said \"no\" at 9:03. 沙利文表示',"
            " '[\"Sullivan said \\\"no\\\" at 9:03.\", \"沙利文表示\"]');"
            "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');"
            "INSERT INTO articles_tri(articles_tri) VALUES ('rebuild');")
        _DB.append(conn)
    return _DB[0]


QUERY_TEXT = st.text(alphabet=st.sampled_from(list('abc -"*():^+OR AND NOT NEAR{}.\'$?沙利文\x00\x1b_é')) ,
                     max_size=60) | st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(QUERY_TEXT)
def test_parser_never_raises_and_always_gives_valid_fts5(text: str) -> None:
    conn = _db()
    try:
        query = search.parse(text)
    except search.QueryError as e:
        assert str(e)
        return
    if query is None:
        assert not search.clean(text)
        return
    for term in [*query.terms(), *query.exclude]:
        if term.phrase:  # every phrase is valid FTS5 on its own
            conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (term.phrase,)).fetchall()
    result = search.search(conn, query)  # and the whole statement runs
    assert result is not None
    # The shown form parses back to the same query.
    again = search.parse(query.shown())
    assert again is not None and (again.groups, again.exclude) == (query.groups, query.exclude)
