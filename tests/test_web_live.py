"""Live over the workspace: `serve` answers at once and computes in the background, articles added by a
separate ingest are noticed ("N new articles — updating") and brought in with a note of what changed, and
files or a pasted page uploaded in the app are ingested in the background until their story appears."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from fastapi.testclient import TestClient
from test_web import BASE_URL, FESTIVAL, Site

from newsweave import api, web

SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "null"}
FERRY = ("The Velmora harbour authority opened a new ferry terminal on the north quay on Friday, with six "
         "daily crossings to the island of Skarn.\n\nHarbour master Jonas Ekberg said the terminal cost "
         "12 million crowns and would cut the crossing time by a third.\n\nThe first ferry left at seven "
         "o'clock with 140 passengers on board, the authority said.")


@pytest.fixture
def workspace(site: Site, tmp_path: Path) -> Path:
    return Path(shutil.copytree(site.workspace, tmp_path / "workspace"))


def wait_for(check: Any, seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if isinstance(value, lxml.html.HtmlElement) or value:  # an element with no children is falsy
            return value
        time.sleep(0.2)
    pytest.fail("timed out")


def test_live_app_answers_at_once_then_keeps_up(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = web.create_app(workspace, live=True, poll=0.2)
    said: list[str | None] = []
    compute = web._compute_brief

    def recording(path: Path) -> dict[str, Any]:
        said.append(app.state.live.updating)
        return compute(path)

    monkeypatch.setattr(web, "_compute_brief", recording)
    with TestClient(app, base_url=BASE_URL) as client:
        start = time.monotonic()
        assert client.get("/").status_code == 200 and time.monotonic() - start < 5  # nothing computed yet
        n = len(wait_for(lambda: client.get("/api/brief").json()["articles"]))
        assert said[0].startswith(f"Preparing the brief from {n} articles")
        with api.open_workspace(workspace) as ws:  # what a separate `newsweave ingest` does
            api.ingest(ws, records=[{"text": FERRY, "title": "New ferry terminal opens", "source": "Harbour News",
                                     "published": "2025-09-12"}])
        wait_for(lambda: len(client.get("/api/brief").json()["articles"]) == n + 1)
        assert said[-1] == "1 new article — updating"
        banner = lxml.html.fromstring(client.get("/").text).xpath("//p[@class='banner']")[0]
        assert "1 new article" in banner.text_content()
        story = banner.xpath(".//a")[0]
        assert "ferry" in client.get(story.get("href")).text.lower()


def upload_done(client: TestClient) -> lxml.html.HtmlElement | None:
    page = lxml.html.fromstring(client.get("/upload").text)
    jobs = page.xpath("//li[contains(@class,'job')]")
    return jobs[0] if jobs and "reading" not in jobs[0].get("class") and "analysing" not in jobs[0].get("class") \
        else None


def test_upload_a_file_and_a_pasted_page(workspace: Path, site: Site) -> None:
    client = TestClient(web.create_app(workspace, site.brief_path), base_url=BASE_URL)
    r = client.post("/upload", files={"files": ("ferry.txt", FERRY.encode(), "text/plain")}, headers=SAME_ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/upload"
    job = wait_for(lambda: upload_done(client))
    assert "done" in job.get("class") and "ferry.txt" in job.text_content(), job.text_content()
    story = job.xpath(".//a[@class='story']")[0].get("href")
    assert "Harbour master Jonas Ekberg" in client.get(story).text
    # A pasted page, with the address it came from; the outlet is named after the site.
    html = (f"<html><head><title>Lantern festival adds a second stage</title></head><body><article><h1>Lantern "
            f"festival adds a second stage</h1>{''.join(f'<p>{p}</p>' for p in FESTIVAL.split(chr(10) * 2))}"
            "</article></body></html>")
    r = client.post("/upload", data={"html": html, "url": "https://www.lanterns.example/second-stage"},
                    headers=SAME_ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    job = wait_for(lambda: upload_done(client))
    assert "pasted page" in job.text_content()
    outlets = client.get("/outlets").text
    assert "lanterns.example" in outlets or "already in the workspace" in job.text_content()


def test_upload_refusals(workspace: Path, site: Site) -> None:
    client = TestClient(web.create_app(workspace, site.brief_path), base_url=BASE_URL)
    files = {"files": ("x.txt", FERRY.encode(), "text/plain")}
    r = client.post("/upload", files=files, headers={"sec-fetch-site": "cross-site", "origin": "null"})
    assert r.status_code == 403
    r = client.post("/upload", data={"html": "  "}, headers=SAME_ORIGIN)
    assert r.status_code == 400 and "Choose one or more files" in r.text
    assert not (workspace / "uploads").exists() or not any((workspace / "uploads").iterdir())
    # A file name cannot climb out of the uploads folder.
    r = client.post("/upload", files={"files": ("../../evil.txt", FERRY.encode(), "text/plain")},
                    headers=SAME_ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    wait_for(lambda: upload_done(client))
    assert not (workspace.parent / "evil.txt").exists() and not (workspace / "evil.txt").exists()
    assert [p.name for p in (workspace / "uploads").rglob("*.txt")] == ["0-evil.txt"]
