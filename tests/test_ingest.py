"""Readers, bad input, idempotent re-ingest and resume after a killed run."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsweave.ingest import (
    InputError,
    JsonFields,
    decode_bytes,
    ingest,
    read_json,
    to_article,
)
from newsweave.model import RawDoc
from newsweave.workspace import DB_NAME, Workspace

FIX = Path(__file__).parent / "fixtures" / "ingest"
BODY = (
    "The regional transport agency said on Monday that the new ferry between Portmere and Lunford "
    "would start in May, after two years of delays caused by a dispute over the harbour contract. "
    "Officials said the crossing would take forty minutes and run every hour during the summer."
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    with Workspace(tmp_path / "ws") as w:
        yield w


def _one(ws: Workspace, path: Path, **kw) -> tuple:
    report = ingest(ws, [path], **kw)
    return report, ws.articles()


# -- readers -------------------------------------------------------------------------------------


def test_txt_headline_becomes_title_and_boilerplate_goes(ws: Workspace) -> None:
    report, arts = _one(ws, FIX / "bridge.txt")
    assert report.ok and len(arts) == 1
    a = arts[0]
    assert a.title == "Council Approves New Bridge Over the River Lune"
    assert a.sentences[0].startswith("The council voted on Tuesday")
    assert not any("Leave a Comment" in s or s == "Share this article" for s in a.sentences)
    assert a.language == "en" and a.id and a.source.endswith("bridge.txt")


def test_markdown_heading_is_title_and_markup_is_dropped(ws: Workspace) -> None:
    _, [a] = _one(ws, FIX / "ferry.md")
    assert a.title == "Ferry Strike Ends After Three Days"
    assert "Ferry workers in Portmere returned" in a.text
    assert "new pay offer of four percent" in a.text and "](" not in a.text and "**" not in a.text


def test_html_metadata(ws: Workspace) -> None:
    _, [a] = _one(ws, FIX / "harbour.html")
    assert a.title == "Harbour Wall Repaired After Storm"
    assert a.published == "2024-02-11"
    assert a.author == "Priya Nair"
    assert a.outlet == "Lunford Gazette"
    assert any(s.startswith("Engineers finished repairing the harbour wall") for s in a.sentences)
    assert not any("Copyright" in s or "Sport" in s for s in a.sentences)


def test_jsonl_default_fields(ws: Workspace) -> None:
    report, arts = _one(ws, FIX / "records.jsonl")
    assert report.ok and len(arts) == 2
    lib = next(a for a in arts if a.title == "Library Reopens After Flood Repairs")
    assert lib.outlet == "Lunford Gazette" and lib.published == "2024-01-15"
    assert lib.url == lib.source == "https://lunford-gazette.example/a/1"
    assert lib.sentences[-1] == "Visitors queued outside before the doors opened at nine."


def test_json_array_with_custom_field_names(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            [
                {
                    "link": "https://x.example/1",
                    "headline": "Tram Plan Approved",
                    "body": BODY,
                    "date": "3 March 2024",
                    "site": "Portmere Post",
                },
                {
                    "link": "https://x.example/2",
                    "headline": "Ferry Timetable Out",
                    "markup": f"<html><body><article>"
                    f"<p>{BODY}</p><p>{BODY.replace('May', 'June')}</p></article></body></html>",
                    "site": "Portmere Post",
                },
            ]
        )
    )
    fields = JsonFields(
        url="link", title="headline", text="body", html="markup", published="date", source="site"
    )
    report, arts = _one(ws, path, fields=fields)
    assert report.ok, report.errors
    by_title = {a.title: a for a in arts}
    assert by_title["Tram Plan Approved"].published == "2024-03-03"
    assert by_title["Tram Plan Approved"].outlet == "Portmere Post"
    assert any("start in June" in s for s in by_title["Ferry Timetable Out"].sentences)


def _warc_bytes(pages: list[tuple[str, str]], gz: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for url, html in pages:
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=io.BytesIO(html.encode()), http_headers=headers
            )
        )
    # A non-HTML response is passed over, not an error.
    headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            "https://a.example/logo.png", "response", payload=io.BytesIO(b"\x89PNG...."), http_headers=headers
        )
    )
    return buf.getvalue()


def _page(title: str, body: str) -> str:
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{body}</p><p>{body.replace('Monday', 'Tuesday')}</p></article></body></html>"
    )


@pytest.mark.parametrize("gz", [False, True])
def test_warc(ws: Workspace, tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    path.write_bytes(
        _warc_bytes(
            [
                ("https://lunford-gazette.example/ferry", _page("Ferry Starts In May", BODY)),
                ("https://portmere-post.example/tram", _page("Tram Vote", BODY.replace("ferry", "tram"))),
            ],
            gz,
        )
    )
    report, arts = _one(ws, path)
    assert report.ok, report.errors
    assert sorted(a.url for a in arts) == [
        "https://lunford-gazette.example/ferry",
        "https://portmere-post.example/tram",
    ]
    assert {a.outlet for a in arts} == {"lunford-gazette.example", "portmere-post.example"}


FEED_ITEM_FULL = f"<p>{BODY}</p><p>{BODY.replace('Monday', 'Friday')}</p>"


def test_rss_full_content_and_link_only(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "feed.rss"
    path.write_text(f"""<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Lunford Gazette</title><link>https://lunford-gazette.example/</link>
<item><title>Ferry Starts In May</title><link>https://lunford-gazette.example/ferry</link>
<pubDate>Mon, 04 Mar 2024 10:00:00 GMT</pubDate>
<content:encoded><![CDATA[{FEED_ITEM_FULL}]]></content:encoded></item>
<item><title>Tram Vote Next Week</title><link>https://lunford-gazette.example/tram</link>
<description>Councillors vote next week.</description></item>
</channel></rss>""")
    report, arts = _one(ws, path)
    assert report.ok
    assert [a.title for a in arts] == ["Ferry Starts In May"]
    assert arts[0].published == "2024-03-04" and arts[0].outlet == "Lunford Gazette"
    assert report.not_fetched == [f"{path}[1]"]


def test_atom_full_content(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "feed.atom"
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Portmere Post</title>
<entry><title>Ferry Starts In May</title><link href="https://portmere-post.example/ferry"/>
<updated>2024-03-05T08:00:00Z</updated><author><name>Sam Reid</name></author>
<content type="html">{FEED_ITEM_FULL.replace("<", "&lt;").replace(">", "&gt;")}</content></entry>
<entry><title>Short Note</title><link href="https://portmere-post.example/note"/>
<summary>Just a teaser.</summary></entry>
</feed>""")
    report, arts = _one(ws, path)
    assert [a.title for a in arts] == ["Ferry Starts In May"]
    assert arts[0].published == "2024-03-05" and arts[0].author == "Sam Reid"
    assert report.not_fetched == [f"{path}[1]"] and report.ok


# -- bad input -----------------------------------------------------------------------------------


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "bad"
    d.mkdir()
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (d / "undecodable.txt").write_bytes(bytes(b % 128 + 128 for b in range(3000)))
    (d / "big.txt").write_text(BODY * 50)
    (d / "lines.jsonl").write_text(
        "\n".join(
            [
                json.dumps({"text": BODY, "title": "Good One"}),
                '{"text": "broken',
                json.dumps({"text": BODY.replace("ferry", "bus"), "title": "Good Two"}),
            ]
        )
    )
    (d / "broken.html").write_text("<html><body><div><p>Tiny<b></div></span></html")
    warc = _warc_bytes(
        [
            ("https://a.example/1", _page("First Page Here", BODY)),
            ("https://a.example/2", _page("Second Page Here", BODY.replace("ferry", "tram"))),
        ],
        False,
    )
    (d / "cut.warc").write_bytes(warc[: warc.index(b"Second Page Here") + 40])
    return {p.name: p for p in d.iterdir()}


def test_each_bad_input_is_one_error_and_the_rest_goes_on(ws: Workspace, tmp_path: Path) -> None:
    files = _bad_inputs(tmp_path)
    good = tmp_path / "good.txt"
    good.write_text(BODY.replace("ferry", "night bus"))
    missing = tmp_path / "nowhere.txt"
    report = ingest(ws, [files["empty.txt"].parent, missing, good], max_bytes=5000)
    reasons = {Path(e.source.split("#")[0].split(":")[0]).name: e.reason for e in report.errors}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "undecodable" in reasons["undecodable.txt"]
    assert "over the" in reasons["big.txt"] and "cap" in reasons["big.txt"]
    assert "no article text" in reasons["broken.html"] or "broken HTML" in reasons["broken.html"]
    assert reasons["nowhere.txt"] == "no such file or folder"
    json_err = [e for e in report.errors if "lines.jsonl" in e.source]
    assert len(json_err) == 1 and json_err[0].source.endswith("lines.jsonl:2")
    assert "malformed JSON" in json_err[0].reason
    warc_err = [e for e in report.errors if "cut.warc" in e.source]
    assert (
        len(warc_err) == 1 and warc_err[0].source.endswith("#record 2") and "truncated" in warc_err[0].reason
    )
    assert len(report.errors) == 8
    assert all("\n" not in str(e) for e in report.errors)
    titles = {a.title for a in ws.articles()}
    # The good lines of the JSONL, the good WARC record and the good file are all in.
    assert {"Good One", "Good Two", "First Page Here"} <= titles
    assert ws.count() == 4


def test_failures_do_not_lose_stored_articles_and_are_reported_again(ws: Workspace, tmp_path: Path) -> None:
    files = _bad_inputs(tmp_path)
    ingest(ws, [FIX])
    before = ws.article_ids()
    first = ingest(ws, [files["lines.jsonl"]])
    again = ingest(ws, [files["lines.jsonl"]])
    assert ws.article_ids()[: len(before)] == before and ws.count() == len(before) + 2
    assert len(first.errors) == len(again.errors) == 1 and not again.added


def test_record_without_text_is_an_error_not_a_crash() -> None:
    assert isinstance(to_article(RawDoc(source="x")), InputError)
    assert isinstance(to_article(RawDoc(source="x", text="   ")), InputError)


# -- idempotence and resume ----------------------------------------------------------------------


def test_reingest_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    first = ingest(ws, [FIX])
    n = ws.count()
    assert n == 5 and len(first.added) == 5
    second = ingest(ws, [FIX])
    assert ws.count() == n and not second.added and second.skipped_inputs == 4
    # A copy of the same inputs elsewhere (new paths, new mtimes) adds nothing either.
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in FIX.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    third = ingest(ws, [copy])
    assert ws.count() == n and not third.added and len(third.existing) == 5
    # In-memory records too.
    raw = RawDoc(source="pasted", text=BODY)
    ingest(ws, records=[raw])
    ingest(ws, records=[raw])
    assert ws.count() == n + 1


def test_resume_after_sigkill(tmp_path: Path) -> None:
    folder = tmp_path / "pile"
    folder.mkdir()
    total = 1500
    for i in range(total):
        (folder / f"{i:05d}.txt").write_text(
            f"Report number {i} says the council met on day {i % 28 + 1} to discuss item {i * 7}. "
            f"Members voted {i % 9 + 1} to {i % 5} on the motion, the clerk said."
        )
    ws_dir = tmp_path / "ws"
    script = (
        "import sys; from newsweave.workspace import Workspace; from newsweave.ingest import ingest; "
        "ingest(Workspace(sys.argv[1]), [sys.argv[2]], batch_size=50)"
    )
    cmd = [sys.executable, "-c", script, str(ws_dir), str(folder)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = ws_dir / DB_NAME
    count = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=5) as c:
                    count = c.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            except sqlite3.OperationalError:
                count = 0
            if count >= 200:
                break
        time.sleep(0.05)
    assert proc.poll() is None, (
        f"ingest ended before it could be killed: {proc.stderr.read().decode()[-500:]}"
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as c:
        killed_at = c.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert 0 < killed_at < total
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute(
            "SELECT COUNT(*), COUNT(DISTINCT id), COUNT(DISTINCT source) FROM articles"
        ).fetchone() == (total, total, total)
        sources = {Path(r[0]).name for r in c.execute("SELECT source FROM articles")}
    assert sources == {f"{i:05d}.txt" for i in range(total)}


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_read_json_never_raises(text: str) -> None:
    for item in read_json("f.jsonl", text, JsonFields()):
        assert isinstance(item, (RawDoc, InputError))


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_decode_bytes_never_raises(data: bytes) -> None:
    assert isinstance(decode_bytes(data, "f"), (str, InputError))


def test_read_json_deep_nesting_is_an_error() -> None:
    [err] = list(read_json("f.json", "[" * 100_000, JsonFields()))
    assert isinstance(err, InputError) and "malformed JSON" in err.reason


def test_gzipped_text_is_read(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "story.txt.gz"
    path.write_bytes(gzip.compress(BODY.encode()))
    report, [a] = _one(ws, path)
    assert report.ok and a.sentences[0].startswith("The regional transport agency")


AEB_PAGE = (Path(__file__).parents[1].parent / "shared" / "data" / "aeb" / "html"
            / "fde930b01859de8311c6a14f8aa8c72be0659b551367803deb6736cf3526cf2e.html.gz")


def test_picture_captions_and_credits_are_dropped_from_the_page() -> None:
    from lxml import html as lxml_html

    from newsweave.ingest import drop_picture_text

    page = lxml_html.fromstring(
        '<html><body class="site f_caption_muted_videos_on"><div class="post">'
        '<p><span class="image-container"><img src="x.jpg" alt=""><span class="caption-source">'
        '<span class="caption">A crane lifts a block beside the quay.</span>'
        '<span class="source"><span>Reuters</span></span></span></span>The wall reopened.</p>'
        '<figure><img src="y.jpg" alt=""><figcaption>Workers on the wall. Photo: Jane Roe</figcaption></figure>'
        '<div class="no-caption"><p>Engineers praised the work.</p></div>'
        '<div class="caption">' + "A long block of body text that a site happened to class as a caption. " * 8
        + "</div></div></body></html>")
    assert drop_picture_text(page) == 2
    text = page.text_content()
    assert "crane" not in text and "Reuters" not in text and "Jane Roe" not in text
    assert "The wall reopened." in text and "Engineers praised the work." in text and "A long block" in text


@pytest.mark.skipif(not AEB_PAGE.exists(), reason="needs ../shared/data/aeb")
def test_a_real_pages_caption_and_credit_are_not_its_first_sentence() -> None:
    # The page runs the caption and its credit into the text: "... a co-working space in New York.Reuters"
    result = to_article(RawDoc(source=AEB_PAGE.name, html=gzip.decompress(AEB_PAGE.read_bytes()).decode()))
    assert not isinstance(result, InputError)
    article, _ = result
    assert article.sentences[0].startswith("Good morning!")
    assert "WeWork logo is displayed" not in article.text


def test_picture_captions_and_credits_are_not_article_text() -> None:
    # A caption and its credit in spans that trafilatura would run into the text ("... the quay.Reuters"),
    # a <figcaption>, and a whole page whose own class merely mentions captions.
    paragraphs = [f"<p>The harbour authority of Lunford said on Tuesday that repair number {k} of the old sea "
                  f"wall had finished ahead of the winter storms, and that the quay would reopen.</p>"
                  for k in range(6)]
    html = (
        '<html><head><title>Harbour wall repaired</title></head><body class="site f_caption_muted_videos_on">'
        '<article><h1>Harbour wall repaired</h1>'
        '<p><span class="image-container"><img src="x.jpg" alt=""><span class="caption-source">'
        '<span class="caption">A crane lifts a block beside the quay.</span>'
        '<span class="source"><span>Reuters</span></span></span></span></p>'
        + "".join(paragraphs[:3])
        + '<figure><img src="y.jpg" alt=""><figcaption>Workers stand on the wall, left, at dawn. '
        'Photo: Jane Roe</figcaption></figure>'
        + "".join(paragraphs[3:]) + "</article></body></html>")
    result = to_article(RawDoc(source="harbour.html", html=html))
    assert not isinstance(result, InputError)
    article, _ = result
    assert "crane" not in article.text and "Reuters" not in article.text and "Jane Roe" not in article.text
    assert all(f"repair number {k} " in article.text for k in range(6))


def test_a_short_text_is_told_by_the_full_models_of_its_likeliest_languages() -> None:
    from newsweave.ingest import detect_language

    # The fast trigram pass alone reads both as other languages (Yoruba, Swahili): one-sentence articles.
    assert detect_language("Kiri Tane won the race in Auckland.") == "en"
    assert detect_language("Tunde Oba won the vote in Oyo.") == "en"
    assert detect_language("Der Bürgermeister eröffnete gestern den Hafen.") == "de"
    assert detect_language("El alcalde inauguró ayer el nuevo puerto.") == "es"


def test_a_big_input_prepared_by_two_processes_gives_the_same_articles(tmp_path: Path) -> None:
    # In a fresh process: this one may run threads other tests left, and then (rightly) does not fork.
    folder = tmp_path / "pages"
    folder.mkdir()
    towns = ["Veltmoor", "Ashgrove", "Brindlecombe", "Carrow Vale", "Dunmere", "Eskerby", "Fallowmead"]
    for k in range(42):
        town = towns[k % len(towns)]
        outlet = "courier" if k % 3 == 0 else f"site{k}"
        furniture = "<p>The Courier's valley desk, 14 Quay Street.</p>" \
            if outlet == "courier" else ""
        body = (f"<p>The harbour board of {town} voted on Tuesday to close pier {k} for repairs, its chair "
                f"Ilse Marrow said. Boats will use the north quay until the work ends in {2030 + k % 5}.</p>"
                f"<p>Fishermen in {town} said the closure would cost them {k + 3} days of landings, and asked "
                "the board to pay for the longer trips. The board said it would decide next month.</p>"
                + furniture)
        (folder / f"{k:02d}.html").write_text(
            f"<html><head><title>{town} closes pier {k}</title></head><body><article>{body}</article></body>"
            f"</html>" if k != 7 else "<html><body><p>Too short.</p></body></html>")
        (folder / f"{k:02d}.json").write_text(json.dumps({"text": body.replace("<p>", "").replace(
            "</p>", "\n\n"), "title": f"{town} pier {k}", "url": f"https://{outlet}.example/{k}"}))
    script = f"""
import multiprocessing, json
from newsweave import api, scale
from newsweave.model import plain
forks = []
real = multiprocessing.get_context
multiprocessing.get_context = lambda kind=None: forks.append(kind) or real(kind)
def ingest(where):
    ws = api.open_workspace(where)
    report = api.ingest(ws, [{str(folder)!r}])
    return [plain(a) for a in ws.articles()], [str(e) for e in report.errors]
ahead = ingest({str(tmp_path / "a")!r})
assert forks == ["fork"], forks
scale.may_fork = lambda: False
here = ingest({str(tmp_path / "b")!r})
assert forks == ["fork"], forks
# the outlet's repeated line, removed once seen three times: by this process, from the helpers' text
furniture = sum(r["reason"] == "repeated-across-outlet" for a in ahead[0] for r in a["removed"])
print(json.dumps([ahead == here, len(ahead[0]), ahead[1], furniture]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    same, n, errors, furniture = json.loads(done.stdout)
    assert same and n == 83 and furniture >= 10
    assert len(errors) == 1 and "07.html" in errors[0] and "no article text" in errors[0]


def test_an_article_made_with_other_outlet_lines_is_reused_only_when_they_clean_it_the_same() -> None:
    from newsweave.ingest import to_article

    raw = RawDoc(source="a.txt", text="Subscribe to the Quay Courier\n\nThe harbour board of Veltmoor voted on "
                 "Tuesday to close the north pier for repairs, its chair said.\n\nBoats will use the south "
                 "quay until the work ends next spring, the board said.", outlet="courier")
    made = to_article(raw)
    assert not isinstance(made, InputError)
    assert to_article(raw, frozenset({"visit the quay courier shop"}), like=made) is made
    again = to_article(raw, frozenset({"subscribe to the quay courier"}), like=made)
    assert not isinstance(again, InputError) and again is not made
    assert "Subscribe" not in again[0].text and again == to_article(raw, frozenset({"subscribe to the quay courier"}))
