"""The local web app: every page renders, citations point at real sentences, ids that do not exist are 404,
search handles malformed FTS5 queries, and hostile article text never becomes markup or script.

The workspace is built once (`build_site`, shared with test_web_browser.py) from fictional articles
written here: a bridge story told by three outlets (one a wire copy of another, one a hostile page full of
injection attempts) and an unrelated festival story.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from fastapi.testclient import TestClient

from newsweave import api
from newsweave.web import CSP, create_app

BASE_URL = "http://127.0.0.1"
HOSTILE_TITLE = 'Bridge costs <script>alert(1)</script> " onmouseover="alert(2)" x="'
HOSTILE_OUTLET = 'Evil Gazette" onmouseover="alert(3)'
HOSTILE_URL = "javascript:alert(4)"

BRIDGE = (
    "The Velmora city council approved a new bridge across the Tarn river on Tuesday after a four-hour "
    "debate.\n\n"
    "Mayor Ilse Maren said the bridge would cost 48 million crowns and open in 2027.\n\n"
    '"This bridge will connect the east bank to the rest of the city at last," Maren told reporters.\n\n'
    "The council voted 21 to 9 in favour of the plan.\n\n"
    "Opposition leader Tomas Greve said the costs had doubled since the first estimate.\n\n"
    "The builder Ostrava Construction denied that the costs had doubled.\n\n"
    "Work on the foundations is due to begin in March, according to the city planning office."
)
WIRE_COPY = BRIDGE + "\n\nReporting by the Velmora Wire service."
FESTIVAL = (
    "The Kessen lantern festival drew more than 30,000 visitors to the old harbour on Saturday night.\n\n"
    "Organiser Petra Lindqvist said it was the largest crowd in the festival's twelve-year history.\n\n"
    "Local bakeries sold out of honey bread before nine o'clock.\n\n"
    '"We had to close the harbour gates for an hour because it was so full," Lindqvist said.\n\n'
    "Next year's festival will add a second stage for music on the fish market square."
)
HOSTILE_BODY = (
    "The Velmora bridge vote <script>alert(5)</script> was criticised by residents of the east bank on "
    "Wednesday.\n\n"
    'Opposition leader Tomas Greve said " onmouseover="alert(6)" the bridge costs had doubled since the '
    "first estimate.\n\n"
    "Residents can read more at javascript:alert(7) or <a href=\"javascript:alert(8)\">this link</a> "
    "today.\n\n"
    "<img src=x onerror=alert(9)> The city planning office said work on the foundations would begin in "
    "March.\n\n"
    "Share this:\n\nSubscribe to our newsletter"
)

# For search: words that FTS5 syntax would misread (U.S., COVID-19, Biden-Xi, Xi's, $209, 9:03) and a
# Chinese report, where a name sits inside a run of characters with no spaces.
SUMMIT = (
    "U.S. national security adviser Jake Sullivan met Chinese officials in Beijing on Monday to prepare the "
    "Biden-Xi summit.\n\n"
    "Xi's government said the talks covered trade and the COVID-19 recovery.\n\n"
    "The delegation's plane landed at 9:03 in the morning, and a $209 million trade package was discussed.\n\n"
    "Sullivan told reporters the meeting was frank and useful."
)
SUMMIT_ZH = (
    "美国国家安全顾问沙利文周一在北京与中国官员举行会谈，为拜登与习近平的会晤做准备。\n\n"
    "沙利文表示，双方讨论了贸易问题和疫情后的经济复苏。\n\n"
    "中国外交部发言人说，会谈是坦率和建设性的。"
)

RECORDS: list[dict[str, Any]] = [
    {"text": BRIDGE, "title": "Velmora council approves Tarn bridge", "url": "https://courier.example/bridge",
     "source": "Velmora Courier", "published": "2025-03-04"},
    {"text": WIRE_COPY, "title": "Council backs Tarn bridge", "url": "https://daily.example/tarn-bridge",
     "source": "Kessen Daily", "published": "2025-03-05"},
    {"text": HOSTILE_BODY, "title": HOSTILE_TITLE, "url": HOSTILE_URL, "source": HOSTILE_OUTLET,
     "published": "2025-03-06"},
    {"text": FESTIVAL, "title": "Record crowd at Kessen lantern festival", "url": "https://harbour.example/lanterns",
     "source": "Harbour News", "published": "2025-08-17"},
    {"text": SUMMIT, "title": "Sullivan in Beijing before summit", "url": "https://wire.example/sullivan",
     "source": "Capital Wire", "published": "2025-06-02"},
    {"text": SUMMIT_ZH, "title": "沙利文在北京会谈", "url": "https://zh.example/shaliwen", "source": "华文日报",
     "published": "2025-06-02"},
]


@dataclass
class Site:
    workspace: Path
    brief_path: Path
    doc: dict[str, Any]


_SITE: dict[str, Site] = {}


def build_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The fixture workspace and its brief.json, built once per session (running the pipeline is slow)."""
    if "site" not in _SITE:
        base = tmp_path_factory.mktemp("web")
        with api.open_workspace(base / "workspace") as ws:
            report = api.ingest(ws, records=RECORDS)
            assert not report.errors
            doc = api.to_dict(api.run(ws))
        brief_path = api.write_brief(doc, base / "out")["json"]
        _SITE["site"] = Site(base / "workspace", brief_path, doc)
    return _SITE["site"]


def article_id(doc: dict[str, Any], title_start: str) -> str:
    return next(a["id"] for a in doc["articles"] if (a["title"] or "").startswith(title_start))


def story_of(doc: dict[str, Any], aid: str) -> dict[str, Any]:
    return next(s for s in doc["stories"] if aid in s["articles"])


def all_pages(doc: dict[str, Any]) -> list[str]:
    return (["/", "/search?q=bridge", "/search?q=alert"] + [f"/story/{s['id']}" for s in doc["stories"]]
            + [f"/article/{a['id']}" for a in doc["articles"]])


def test_fixture_has_what_the_pages_show(site: Site) -> None:
    doc = site.doc
    original, copy = article_id(doc, "Velmora council"), article_id(doc, "Council backs")
    assert any(c["of"] == original and c["evidence"] for a in doc["articles"] if a["id"] == copy
               for c in a["copies"]), "the wire copy should be found, with evidence"
    bridge = story_of(doc, original)
    assert copy in bridge["articles"] and bridge["summary"] and bridge["quotes"]
    assert any("Ostrava" in d["text"] for c in bridge["claims"] for d in c["disputes"])
    hostile = next(a for a in doc["articles"] if a["id"] == article_id(doc, "Bridge costs"))
    assert hostile["removed"], "the hostile page's share/subscribe lines should be removed"


def test_pages_render(client: TestClient, site: Site) -> None:
    for url in all_pages(site.doc):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-security-policy"] == CSP
        assert "script-src" not in CSP and "unsafe-inline" not in CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"


def test_index_lists_stories_with_counts(client: TestClient, site: Site) -> None:
    page = lxml.html.fromstring(client.get("/").text)
    links = page.xpath("//ul[@class='stories']/li/a[@class='headline']")
    latest_first = sorted(site.doc["stories"], key=lambda s: s["end"] or s["start"] or "", reverse=True)
    assert [a.get("href") for a in links] == [f"/story/{s['id']}" for s in latest_first]
    first = page.xpath("//ul[@class='stories']/li")[0].text_content()
    s = latest_first[0]
    assert f"{len(s['articles'])} article" in first
    assert f"{s['independent_sources']} independent source" in first
    assert page.xpath("//form[@action='/search']/input[@name='q']")


def test_citations_point_at_real_sentences(client: TestClient, site: Site) -> None:
    arts = {a["id"]: a for a in site.doc["articles"]}
    for s in site.doc["stories"]:
        page = lxml.html.fromstring(client.get(f"/story/{s['id']}").text)
        cites = page.xpath("//a[contains(@class,'cite')]")
        expected = sum(len(x["citations"]) + len(x.get("also", [])) for x in s["summary"])
        assert len(page.xpath("//ul[@class='summary']//a[contains(@class,'cite')]")) == expected
        for a in cites:
            m = re.fullmatch(r"/article/([^/#]+)#s(\d+)", a.get("href"))
            assert m, a.get("href")
            aid, n = m.group(1), int(m.group(2))
            assert a.get("title").endswith(arts[aid]["sentences"][n])
            target = lxml.html.fromstring(client.get(f"/article/{aid}").text).get_element_by_id(f"s{n}")
            assert target.text_content().endswith(arts[aid]["sentences"][n])


def test_story_sections(client: TestClient, site: Site) -> None:
    s = story_of(site.doc, article_id(site.doc, "Velmora council"))
    page = lxml.html.fromstring(client.get(f"/story/{s['id']}").text)
    headings = [h.text_content() for h in page.xpath("//h2")]
    assert "Summary" in headings and "Who said what" in headings and "Sources" in headings
    assert "Disputed claims" in headings
    claim_side, denial_side = page.xpath("//div[@class='pair']")[0].xpath("./div")
    assert "costs had doubled" in claim_side.text_content() and "Ostrava" in denial_side.text_content()
    speakers = [d.xpath("./strong")[0].text_content() for d in page.xpath("//div[@class='speaker']")]
    assert any("Maren" in name for name in speakers), speakers
    text = page.text_content()
    for e in s["entities"]:
        assert e["name"] in text
    # Sources: every article of the story, and the copy relation names the original.
    rows = page.xpath("//h2[.='Sources']/following-sibling::div[1]//tbody/tr")
    assert len(rows) == len(s["articles"])
    copy_row = next(r for r in rows if "Council backs" in r.text_content())
    assert copy_row.xpath(f".//a[@href='/article/{article_id(site.doc, 'Velmora council')}']")


def test_article_page_sentences_removed_lines_and_copies(client: TestClient, site: Site) -> None:
    doc = site.doc
    copy_id, original = article_id(doc, "Council backs"), article_id(doc, "Velmora council")
    a = next(x for x in doc["articles"] if x["id"] == copy_id)
    page = lxml.html.fromstring(client.get(f"/article/{copy_id}").text)
    sents = page.xpath("//p[contains(@class,'sent')]")
    assert [p.get("id") for p in sents] == [f"s{n}" for n in range(len(a["sentences"]))]
    rel = next(c for c in a["copies"] if c["of"] == original)
    pairs = page.xpath("//div[@class='pair copy']")
    assert len(pairs) == len(rel["evidence"])
    here, there, _ = rel["evidence"][0]
    left, right = pairs[0].xpath("./div")
    assert left.xpath(".//a")[0].get("href") == f"/article/{copy_id}#s{here}"
    assert right.xpath(".//a")[0].get("href") == f"/article/{original}#s{there}"
    # The original shows the same pairs from its side.
    page = lxml.html.fromstring(client.get(f"/article/{original}").text)
    assert any("Copied by" in h.text_content() for h in page.xpath("//h3"))
    left, right = page.xpath("//div[@class='pair copy']")[0].xpath("./div")
    assert left.xpath(".//a")[0].get("href") == f"/article/{original}#s{there}"
    hostile = next(x for x in doc["articles"] if x["id"] == article_id(doc, "Bridge costs"))
    page = lxml.html.fromstring(client.get(f"/article/{hostile['id']}").text)
    removed = page.xpath("//details/summary[contains(., 'removed while cleaning')]/..")[0].text_content()
    for r in hostile["removed"]:
        assert r["line"] in removed and r["reason"] in removed


def test_unknown_ids_are_404(client: TestClient) -> None:
    for url in ("/story/nope", "/article/nope", "/article/..%2F..%2Fetc", "/nope"):
        r = client.get(url)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"], url
        assert "Not found" in r.text and r.headers["cache-control"] == "no-store"
        page = lxml.html.fromstring(r.text)  # the app's own page: its header, stylesheet and a way back
        assert page.xpath("//header[@class='bar']") and page.xpath("//style") and page.xpath("//a[@href='/']")
    r = client.get("/api/stories/nope")
    assert r.status_code == 404 and r.json()["detail"]


def test_api(client: TestClient, site: Site) -> None:
    assert client.get("/api/brief").json() == json.loads(site.brief_path.read_text("utf-8"))
    s = site.doc["stories"][0]
    assert client.get(f"/api/stories/{s['id']}").json() == s


def test_hostile_text_is_inert(client: TestClient, site: Site) -> None:
    hostile = article_id(site.doc, "Bridge costs")
    assert any(hostile in s["articles"] for s in site.doc["stories"])
    for url in [*all_pages(site.doc), "/story/<script>alert(1)</script>", '/search?q="<script>']:
        body = client.get(url).text
        page = lxml.html.fromstring(body)
        assert not page.xpath("//script"), url
        assert not page.xpath("//@*[starts-with(local-name(), 'on')]"), url
        assert not page.xpath("//img | //iframe | //object | //embed"), url
        for el in page.xpath("//*[@href or @src or @action or @formaction]"):
            for attr in ("href", "src", "action", "formaction"):
                value = (el.get(attr) or "").strip().lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), (url, value)
        assert "<script>" not in body and "onmouseover=\"" not in body
    # The hostile strings are still there, as text.
    page = lxml.html.fromstring(client.get(f"/article/{hostile}").text)
    assert "<script>alert(1)</script>" in page.xpath("//h1")[0].text_content()
    assert HOSTILE_OUTLET in page.text_content()


def test_only_local_hosts_and_same_origin_refresh(site: Site) -> None:
    app = create_app(site.workspace, site.brief_path)
    client = TestClient(app, base_url=BASE_URL)
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400
    r = client.post("/refresh", headers={"origin": "https://attacker.example"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/refresh", headers={"origin": BASE_URL}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    # What Chromium sends from the app's own form under Referrer-Policy: no-referrer.
    r = client.post("/refresh", headers={"origin": "null", "sec-fetch-site": "same-origin"},
                    follow_redirects=False)
    assert r.status_code == 303
    for site_header in ("cross-site", "same-site"):
        r = client.post("/refresh", headers={"origin": "null", "sec-fetch-site": site_header},
                        follow_redirects=False)
        assert r.status_code == 403, site_header
    assert client.post("/refresh", headers={"origin": "null"}, follow_redirects=False).status_code == 403


def test_computed_at_start_and_refreshed(site: Site, tmp_path: Path) -> None:
    """Without brief.json the app computes the brief from the workspace; /refresh picks up new articles."""
    workspace = shutil.copytree(site.workspace, tmp_path / "workspace")
    client = TestClient(create_app(workspace), base_url=BASE_URL)
    computed = client.get("/api/brief").json()
    assert [s["id"] for s in computed["stories"]] == [s["id"] for s in site.doc["stories"]]
    with api.open_workspace(workspace) as ws:
        api.ingest(ws, records=[{"text": "A quiet day in Velmora. Nothing else happened in the town.",
                                 "title": "Quiet day", "source": "Velmora Courier",
                                 "published": "2025-09-01"}])
    page = lxml.html.fromstring(client.get("/search", params={"q": "quiet"}).text)
    assert "not in the brief yet" in page.xpath("//ul[@class='results']/li")[0].text_content()
    assert client.post("/refresh", follow_redirects=False).status_code == 303
    assert len(client.get("/api/brief").json()["articles"]) == len(site.doc["articles"]) + 1


def test_missing_workspace_without_brief(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        create_app(tmp_path / "none")


def test_serve_stops_on_sigterm(site: Site) -> None:
    """`newsweave serve` answers, then exits promptly on SIGTERM (what a service manager sends)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", "from newsweave.cli import main; main()", "serve", "-w",
                             str(site.workspace), "--brief", str(site.brief_path), "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    assert r.status == 200
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr and proc.stderr.read()
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
