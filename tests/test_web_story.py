"""The story page (sources first, article and independent-source counts, jump links, copy graph and timeline
as inline SVG, tap-friendly citations) and the home page's filters and sorting."""

from __future__ import annotations

import lxml.html
from fastapi.testclient import TestClient
from test_web import Site, article_id, story_of


def test_story_page_top_and_jump_links(client: TestClient, site: Site) -> None:
    s = story_of(site.doc, article_id(site.doc, "Velmora council"))
    page = lxml.html.fromstring(client.get(f"/story/{s['id']}").text)
    lede = page.xpath("//p[@class='lede']")[0].text_content()
    assert f"{len(s['articles'])} articles, {s['independent_sources']} independent source" in lede
    assert "updated " + site.doc["generated_at"][:10] in lede
    assert [h.get("id") for h in page.xpath("//h2")][0] == "sources"  # sources come first
    rows = page.xpath("//table[contains(@class,'sources')]/tbody/tr")
    by_title = {r.xpath("./td[1]/a")[0].text_content(): r for r in rows}
    copy = next(r for t, r in by_title.items() if "Council backs" in t)
    original = next(r for t, r in by_title.items() if "Velmora council" in t)
    assert copy.xpath("./td[@data-label='original or copy']")[0].text_content().startswith(
        ("exact of", "near-verbatim of", "partial of"))
    assert original.xpath("./td[@data-label='original or copy']")[0].text_content() == "original"
    assert original.xpath("./td[@data-label='outlet']")[0].text_content() == "Velmora Courier"
    assert original.xpath("./td[@data-label='language']")[0].text_content() == "en"
    # Every jump link lands on a section of the page.
    ids = set(page.xpath("//@id"))
    jumps = [a.get("href") for a in page.xpath("//nav[@class='jump']/a")]
    assert {"#sources", "#summary", "#quotes", "#copies"} <= set(jumps)
    assert all(j[1:] in ids for j in jumps)


def test_copy_graph_is_inline_svg(client: TestClient, site: Site) -> None:
    original, copy = article_id(site.doc, "Velmora council"), article_id(site.doc, "Council backs")
    s = story_of(site.doc, original)
    page = lxml.html.fromstring(client.get(f"/story/{s['id']}").text)
    svg = page.xpath("//svg[@class='graph']")[0]
    nodes = {a.get("href"): a for a in svg.xpath(".//a")}
    assert {f"/article/{original}", f"/article/{copy}"} <= set(nodes)
    # The original's box is left of its copy's, and an arrow joins them.
    x_orig = float(nodes[f"/article/{original}"].xpath("./rect")[0].get("x"))
    x_copy = float(nodes[f"/article/{copy}"].xpath("./rect")[0].get("x"))
    assert x_orig < x_copy
    assert svg.xpath(".//line[@marker-end]")
    assert not svg.xpath(".//@style | .//*[@href and not(starts-with(@href,'/article/'))]")


def test_timeline_axis_places_dates_in_order(client: TestClient, site: Site) -> None:
    s = next(x for x in site.doc["stories"]
             if len({t["date"] for t in x["timeline"] if t["date"] and t["precision"] == "day"}) >= 2)
    page = lxml.html.fromstring(client.get(f"/story/{s['id']}").text)
    marks = page.xpath("//svg[@class='axis']/a")
    placed = sum(int(a.xpath("./text")[0].text) for a in marks)
    assert placed == sum(1 for t in s["timeline"] if t["date"] and t["precision"] != "year")

    def placed_on(t: dict) -> str:  # a month-precise date sits mid-month
        return t["date"][:8] + "15" if t["precision"] == "month" else t["date"]

    firsts = [(float(a.xpath("./circle")[0].get("cx")), placed_on(s["timeline"][int(a.get("href")[2:]) - 1]))
              for a in marks]
    assert [d for _, d in sorted(firsts)] == sorted(d for _, d in firsts)
    assert all(page.get_element_by_id(a.get("href")[1:]) is not None for a in marks)


def test_citations_have_a_tap_preview(client: TestClient, site: Site) -> None:
    s = story_of(site.doc, article_id(site.doc, "Velmora council"))
    page = lxml.html.fromstring(client.get(f"/story/{s['id']}").text)
    arts = {a["id"]: a for a in site.doc["articles"]}
    taps = page.xpath("//ul[@class='summary']//details[@class='cite-tap']")
    assert len(taps) == len(page.xpath("//ul[@class='summary']//a[contains(@class,'cite')]"))
    for d in taps:
        link = d.xpath(".//span[@class='preview']/a")[0]
        aid, n = link.get("href").removeprefix("/article/").split("#s")
        assert arts[aid]["sentences"][int(n)] in d.xpath(".//span[@class='preview']")[0].text_content()


def test_home_filters_and_sorting(client: TestClient, site: Site) -> None:
    def shown(**params: str) -> list[str]:
        r = client.get("/", params=params)
        assert r.status_code == 200
        return [a.get("href").removeprefix("/story/")
                for a in lxml.html.fromstring(r.text).xpath("//ul[@class='stories']/li/a[@class='headline']")]

    bridge = story_of(site.doc, article_id(site.doc, "Velmora council"))
    festival = story_of(site.doc, article_id(site.doc, "Record crowd"))
    zh = story_of(site.doc, article_id(site.doc, "沙利文"))
    assert shown(outlet="Harbour News") == [festival["id"]]
    assert zh["id"] in shown(lang="zh") and bridge["id"] not in shown(lang="zh")
    assert shown(since="2025-08-01") == [festival["id"]]
    assert festival["id"] not in shown(until="2025-03-31") and bridge["id"] in shown(until="2025-03-31")
    by_articles = shown(sort="articles")
    sizes = [len(next(s for s in site.doc["stories"] if s["id"] == i)["articles"]) for i in by_articles]
    assert sizes == sorted(sizes, reverse=True)
    assert shown(outlet="Nobody") == []
    for bad in ({"since": "yesterday"}, {"sort": "random"}):
        r = client.get("/", params=bad)
        assert r.status_code == 400 and "notice" in r.text
