"""Entity pages: one page per person or organisation across stories (name, variants, roles, stories, quotes,
claims made and disputed), and the story pages link names to them."""

from __future__ import annotations

import lxml.html
from fastapi.testclient import TestClient
from test_web import Site, article_id, story_of


def entity(story: dict, part: str) -> dict:
    return next(e for e in story["entities"] if part in e["name"])


def test_entity_page(client: TestClient, site: Site) -> None:
    bridge = story_of(site.doc, article_id(site.doc, "Velmora council"))
    maren = entity(bridge, "Maren")
    page = lxml.html.fromstring(client.get(f"/entity/{maren['id']}").text)
    assert maren["name"] in page.xpath("//h1")[0].text_content()
    assert [a.get("href") for a in page.xpath("//h2[@id='stories']/following-sibling::ul[1]/li/a")] == [
        f"/story/{bridge['id']}"]
    quotes = page.xpath("//h2[@id='quotes']/following-sibling::ul[1]/li")
    mine = [q for q in bridge["quotes"] if q["speaker"] == maren["id"]]
    assert mine and len(quotes) <= len(mine)
    assert any(mine[0]["text"] in li.text_content() for li in quotes)
    for variant in set(maren["aliases"]) - {maren["name"]}:
        assert variant in page.text_content()


def test_disputes_on_the_disputers_page(client: TestClient, site: Site) -> None:
    bridge = story_of(site.doc, article_id(site.doc, "Velmora council"))
    by = {d["by"] for c in bridge["claims"] for d in c["disputes"] if d["by"]}
    assert by, "the fixture's builder denies the claim"
    for eid in by:
        page = lxml.html.fromstring(client.get(f"/entity/{eid}").text)
        items = page.xpath("//h2[@id='disputes']/following-sibling::ul[1]/li")
        assert items and all(li.xpath(".//a[contains(@class,'cite')]") for li in items)


def test_story_names_link_to_entity_pages(client: TestClient, site: Site) -> None:
    bridge = story_of(site.doc, article_id(site.doc, "Velmora council"))
    page = lxml.html.fromstring(client.get(f"/story/{bridge['id']}").text)
    linked = {a.get("href") for a in page.xpath("//a[starts-with(@href,'/entity/')]")}
    assert {f"/entity/{e['id']}" for e in bridge["entities"]} <= linked
    speakers = page.xpath("//div[@class='speaker']/strong/a")
    assert speakers and all(a.get("href").startswith("/entity/") for a in speakers)
    # Names inside the summary are links too, and the rest of the sentence is still there as text.
    summary = page.xpath("//ul[@class='summary']/li")
    assert any(li.xpath("./a[@class='name']") for li in summary)
    for li, x in zip(summary, bridge["summary"], strict=True):
        assert li.text_content().startswith(x["text"])


def test_people_page_and_unknown_entity(client: TestClient, site: Site) -> None:
    page = lxml.html.fromstring(client.get("/people").text)
    hrefs = {a.get("href") for a in page.xpath("//ul[@class='people']/li/a")}
    assert {f"/entity/{e['id']}" for s in site.doc["stories"] for e in s["entities"]} == hrefs
    assert client.get("/entity/e-nobody").status_code == 404
