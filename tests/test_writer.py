"""Optional LLM writer: written sentences checked against their sources; extractive fallback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from newsweave.ingest import to_article
from newsweave.model import Citation, RawDoc, SummarySentence
from newsweave.writer import check, rewrite

TEXT = ("The council approved a budget of 40 million euros on Tuesday. "
        "The mayor said the new bridge would not open before 2026. "
        "Residents protested outside the town hall.")

ANSWER = "\n".join([
    "On Tuesday the council approved a 40 million euro budget. [1]",  # faithful
    "The mayor said the new bridge would open before 2026. [2]",  # negation dropped
    "Residents protested outside the town hall, where 500 people gathered. [3]",  # number added
])


class FakeLLM(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.requests.append({"path": self.path, "body": body})
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": ANSWER}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    srv = HTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def article():
    return to_article(RawDoc(source="council.txt", text=TEXT, published="2023-05-17"))[0]


def extractive(article):
    return [SummarySentence(s, [Citation(article.id, i)]) for i, s in enumerate(article.sentences)]


def test_rewrite_keeps_faithful_and_drops_unfaithful(server, article):
    summary = extractive(article)
    out = rewrite(summary, {article.id: article}, server, timeout=10)
    req = FakeLLM.requests[-1]
    assert req["path"] == "/v1/chat/completions"
    assert "[2] The mayor said" in req["body"]["messages"][0]["content"]
    assert out[0].written and out[0].text.startswith("On Tuesday the council")
    assert out[0].citations == [Citation(article.id, 0)]
    # The unfaithful rewrites are gone; their extractive sentences are back verbatim, flagged.
    texts = [s.text for s in out]
    assert "The mayor said the new bridge would open before 2026." not in texts
    assert not any("500 people" in t for t in texts)
    assert article.sentences[1] in texts and article.sentences[2] in texts
    assert all("writer-fallback" in s.flags for s in out if not s.written)
    assert len(out) == 3


def test_disputed_lines_are_not_rewritten(server, article):
    summary = extractive(article)
    summary[1].flags = ["disputed"]
    summary[2].flags = ["dispute"]
    out = rewrite(summary, {article.id: article}, server, timeout=10)
    sent = FakeLLM.requests[-1]["body"]["messages"][0]["content"]
    assert "mayor" not in sent and "Residents" not in sent
    assert [s.text for s in out[1:]] == article.sentences[1:]


def test_unreachable_endpoint_falls_back(article):
    summary = extractive(article)
    assert rewrite(summary, {article.id: article}, "http://127.0.0.1:9", timeout=2) == summary


def test_check_names_numbers_negations():
    src = ["Mayor Anna Berg said the bridge would not open before 2026."]
    assert check(src[0], src) == []
    assert any("numbers" in p for p in check(src[0].replace("2026", "2027"), src))
    assert any("negation" in p for p in check(src[0].replace("not ", ""), src))
    assert any("names" in p for p in check(src[0].replace("Anna Berg", "Karl Holm"), src))
