"""Outlets: every article gets an outlet name (metadata, else domain, else file name), and the Outlets page
counts originals, copies (of whom), flags, disputed claims and languages, each figure linking to exactly the
articles behind it."""

from __future__ import annotations

from urllib.parse import unquote

import lxml.html
from fastapi.testclient import TestClient
from test_web import Site, article_id

from newsweave.web import outlet_name


def test_outlet_name_falls_back_to_domain_then_file() -> None:
    base = {"id": "x1", "outlet": None, "url": None, "source": "/data/in/kessen-report.html"}
    assert outlet_name({**base, "outlet": "Kessen Daily"}) == "Kessen Daily"
    assert outlet_name({**base, "url": "https://www.daily.example/a/b"}) == "daily.example"
    assert outlet_name({**base, "url": "javascript:alert(1)"}) == "kessen-report.html"
    assert outlet_name(base) == "kessen-report.html"
    assert outlet_name({**base, "source": ""}) == "x1"


def _linked_ids(client: TestClient, href: str) -> list[str]:
    path, _, anchor = href.partition("#")
    page = lxml.html.fromstring(client.get(path).text)
    section = page.get_element_by_id(anchor)
    ul = section.xpath("following-sibling::ul[1]")[0]
    return [a.get("href").removeprefix("/article/") for a in ul.xpath("./li/a[1]")]


def test_outlets_page_figures_link_to_their_articles(client: TestClient, site: Site) -> None:
    r = client.get("/outlets")
    assert r.status_code == 200
    page = lxml.html.fromstring(r.text)
    rows = {tr.xpath("./td[1]/a")[0].text_content(): tr
            for tr in page.xpath("//table[contains(@class,'outlets')]/tbody/tr")}
    assert set(rows) == {a["outlet"] for a in site.doc["articles"]}
    original, copy = article_id(site.doc, "Velmora council"), article_id(site.doc, "Council backs")
    kessen = rows["Kessen Daily"]
    copies_cell = kessen.xpath("./td[@data-label='copies']/a")[0]
    assert copies_cell.text_content() == "1" and _linked_ids(client, copies_cell.get("href")) == [copy]
    assert kessen.xpath("./td[@data-label='copies from']")[0].text_content() == "Velmora Courier"
    courier = rows["Velmora Courier"]
    copied = courier.xpath("./td[@data-label='copied by others']/a")[0]
    assert _linked_ids(client, copied.get("href")) == [original]
    originals = courier.xpath("./td[@data-label='originals']/a")[0]
    assert _linked_ids(client, originals.get("href")) == [original]
    # A disputed claim (the costs doubled; the builder denies it) is carried by the Courier's article.
    disputed = courier.xpath("./td[@data-label='carry disputed claims']/a")
    assert disputed and original in _linked_ids(client, disputed[0].get("href"))
    # Languages: the Chinese outlet's article is listed under its language.
    zh = rows["华文日报"].xpath("./td[@data-label='languages']/a")[0]
    assert zh.text_content() == "zh" and _linked_ids(client, zh.get("href")) == [article_id(site.doc, "沙利文")]
    # Every article page names its outlet and links to it.
    a = lxml.html.fromstring(client.get(f"/article/{copy}").text)
    assert [unquote(x.get("href")) for x in a.xpath("//div[@class='stats']//a[starts-with(@href,'/outlet/')]")] == [
        "/outlet/Kessen Daily"]


def test_unknown_outlet_is_404(client: TestClient) -> None:
    assert client.get("/outlet/Nobody").status_code == 404
