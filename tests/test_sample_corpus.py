"""The sample corpus shipped in the package (src/newsweave/sample): its contents, and that it ingests cleanly.

The ground truth below mirrors src/newsweave/sample/README.md; test_end_to_end.py imports it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

import newsweave
from newsweave.clean import normalize, text_key
from newsweave.ingest import ingest
from newsweave.model import Article
from newsweave.workspace import Workspace

SAMPLE = Path(newsweave.__file__).parent / "sample"
CORPUS = SAMPLE / "articles"

# Each article's key (file name, or URL for JSONL/RSS records) -> (label, story). See sample/README.md.
TRUTH: dict[str, tuple[str, str]] = {
    "valdoria-herald-2025-12-07-drone-request.html": ("A1", "A"),
    "https://politywire.vd/2025/12/08/drevania-asked-norvessa-for-military-drones": ("A2", "A"),
    "stavik-tribune-2025-12-08-misinformation.html": ("A3", "A"),
    "lenz-tirsa-talks-intense.txt": ("A4", "A"),
    "analysis-why-drevania-wants-drones.txt": ("A5", "A"),
    "newsbuzz-lenz-tirsa-conversations.txt": ("A6", "A"),
    "https://headlinehub.vd/world/norvessa-misinformation-drones": ("A7", "A"),
    "https://radiomeridian.vd/news/2025/12/09/halmaria-welcomes-warning": ("A8", "A"),
    "https://alboreatoday.abr/politics/villa-serena-talks": ("A9", "A"),
    "valdoria-herald-2025-01-14-lisvana-talks.html": ("B1", "B"),
    "emberg-lentz-lisvana-tariffs.txt": ("B2", "B"),
    "https://castelmarcourier.csm/lisvana/2025/01/15/lakeview-talks": ("B3", "B"),
    "after-lisvana-fragile-thaw.txt": ("B4", "B"),
    "marisport-dockworkers-walk-out.txt": ("C1", "C"),
    "marisport-gazette-2025-11-06-talks-collapse.html": ("C2", "C"),
    "https://businesswire.vd/ports/marisport-mediator": ("C3", "C"),
    "https://radiomeridian.vd/news/2025/11/14/marisport-strike-ends": ("C4", "C"),
}
LABEL = {label: key for key, (label, _) in TRUTH.items()}
STORY_OF = {label: story for label, story in TRUTH.values()}

# Copies: (copy, of, kind).
COPIES = [("A2", "A1", "exact"), ("A7", "A3", "partial"), ("A6", "A4", "rewrite")]
# Independent sources per story once copies count once.
INDEPENDENT = {"A": 6, "B": 4, "C": 4}

# Page furniture inside the text of the non-HTML inputs, which the cleaner must drop (and record).
BOILERPLATE: dict[str, list[str]] = {
    "A2": ["Share this:", "Facebook", "Twitter",
           "Previous article: Valdoria's central bank holds rates as inflation cools",
           "Next article: Halmaria appeals for winter aid as front line freezes", "Leave a Comment",
           "Warning: Undefined variable $post_id in /var/www/html/wp-content/themes/x/single.php on line 88"],
    "A4": ["Most Popular", "Leave a Comment", "Share this:", "Facebook", "WhatsApp",
           "Previous article: Marisport dockers back pay deal in ballot"],
    "A5": ["Warning: Undefined variable $post_id in /var/www/html/wp-content/themes/x/single.php on line 88",
           "Share this:", "To Top"],
    "A6": ["Latest post", "To Top", "Most Popular"],
    "A7": ["Continue reading at The Stavik Tribune"],
    "C1": ["Leave a Comment", "Please enter your name here"],
}
# A comment prompt written as a full sentence, last in C1: it reads like prose, so only its cue and its
# place (after the news, below other prompts) give it away.
LATE_PROMPT = ("C1", "You must be logged in to post a comment.")
# Headlines on the first line of the text files.
TXT_TITLES = {
    "A4": "Lenz says Tirsa talks with Norvessa's Emberg were 'intense', repeats drone warning",
    "A5": "Analysis: Why Drevania is turning to Norvessa for drones",
    "A6": "Lenz says Tirsa conversations with Norvessa's Amberg were 'intense', repeats drone caution",
    "B2": "Emberg tells Lentz Norvessa will not bow to tariff pressure in Lisvana talks",
    "B4": "After Lisvana, a fragile thaw between Valdoria and Norvessa",
    "C1": "Marisport dockworkers walk out in pay dispute, halting Valdoria's busiest port",
}
# What the HTML pages' metadata says.
HTML_META = {
    "A1": ("The Valdoria Herald", "2025-12-07", "Marta Ilic"),
    "A3": ("The Stavik Tribune", "2025-12-08", "Jonas Rask"),
    "B1": ("The Valdoria Herald", "2025-01-14", "Marta Ilic"),
    "C2": ("Marisport Gazette", "2025-11-06", "Tom Keller"),
}


def article_key(source: str) -> str:
    """The TRUTH key of an article from its `source` (a path for files, the URL for records)."""
    return source if "://" in source else Path(source).name


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Article], object]:
    with Workspace(tmp_path_factory.mktemp("sample-ws")) as ws:
        report = ingest(ws, [CORPUS])
        articles = {TRUTH[article_key(a.source)][0]: a for a in ws.articles()}
    return articles, report


def test_corpus_has_every_format() -> None:
    files = [f for f in CORPUS.rglob("*") if f.is_file()]
    by_ext = Counter(f.suffix for f in files)
    assert by_ext[".txt"] >= 3 and by_ext[".html"] >= 3 and by_ext[".jsonl"] == 1 and by_ext[".rss"] == 1
    records = [json.loads(line) for line in (CORPUS / "wire-export.jsonl").read_text("utf-8").splitlines()]
    assert len(records) >= 3
    assert all({"url", "title", "text", "published", "source"} <= set(r) for r in records)
    html = (CORPUS / "valdoria-herald-2025-12-07-drone-request.html").read_text("utf-8")
    for marker in ("<nav", "<header", "<footer", "<title>", 'property="og:site_name"',
                   'property="article:published_time"', 'name="author"'):
        assert marker in html


def test_readme_names_every_file() -> None:
    readme = (SAMPLE / "README.md").read_text("utf-8")
    for f in CORPUS.iterdir():
        assert f"`{f.name}`" in readme, f.name


def test_everything_ingests_without_errors(ingested: tuple[dict[str, Article], object]) -> None:
    articles, report = ingested
    assert report.errors == [] and report.not_fetched == []
    assert sorted(articles) == sorted(LABEL), "every article of the ground truth, and no other"
    assert len(articles) >= 15
    assert Counter(STORY_OF[label] for label in articles) == {"A": 9, "B": 4, "C": 4}
    assert {a.language for a in articles.values()} == {"en"}


def test_articles_are_news_length_and_dated_2025(ingested: tuple[dict[str, Article], object]) -> None:
    articles, _ = ingested
    for label, a in articles.items():
        words = len(a.text.split())
        # The aggregator's partial copy (A7) quotes only the first paragraphs of A3.
        assert (120 if label == "A7" else 250) <= words <= 600, (label, words)
        assert a.published is None or a.published.startswith("2025-"), (label, a.published)
    assert sum(a.published is not None for a in articles.values()) == 11


def test_html_metadata_is_extracted(ingested: tuple[dict[str, Article], object]) -> None:
    articles, _ = ingested
    for label, (outlet, published, author) in HTML_META.items():
        a = articles[label]
        assert (a.outlet, a.published, a.author) == (outlet, published, author), label
        assert a.title and "|" not in a.title and "Stavik Tribune" not in a.title
        text = a.text.lower()
        for furniture in ("all rights reserved", "subscribe", "most read", "privacy", "share this"):
            assert furniture not in text, (label, furniture)


def test_text_files_get_their_headline_as_title(ingested: tuple[dict[str, Article], object]) -> None:
    articles, _ = ingested
    for label, title in TXT_TITLES.items():
        assert articles[label].title == title
        assert title not in articles[label].text


def test_verbatim_pair_same_text_other_outlet(ingested: tuple[dict[str, Article], object]) -> None:
    articles, _ = ingested
    original, copy = articles["A1"], articles["A2"]
    assert text_key(original.text) == text_key(copy.text)
    assert original.sentences == copy.sentences
    assert (original.outlet, copy.outlet) == ("The Valdoria Herald", "Polity Wire")
    assert original.id != copy.id and original.published < copy.published


def test_copies_are_what_the_readme_says(ingested: tuple[dict[str, Article], object]) -> None:
    articles, _ = ingested
    a3, a7 = articles["A3"].sentences, articles["A7"].sentences
    shared = [s for s in a7 if s in a3]
    assert 0.6 <= len(shared) / len(a7) < 1 and shared == a3[: len(shared)], "A7 quotes A3's opening"
    a4, a6 = articles["A4"].sentences, articles["A6"].sentences
    assert not set(a4) & {s for s in a6 if len(s.split()) > 6}, "the spun copy rewords every long sentence"
    assert "Halvard Amberg" in articles["A6"].text and "Emberg" not in articles["A6"].text


def test_boilerplate_lines_removed_with_reasons(ingested: tuple[dict[str, Article], object]) -> None:
    articles, _ = ingested
    for label, lines in BOILERPLATE.items():
        a = articles[label]
        removed = {normalize(r.line) for r in a.removed}
        for line in lines:
            assert normalize(line) not in a.sentences, (label, line)
            assert normalize(line) in removed, (label, line)
        assert "boilerplate-removed" in a.flags
    assert all(r.reason for a in articles.values() for r in a.removed)


def test_sentence_like_comment_prompt_removed(ingested: tuple[dict[str, Article], object]) -> None:
    label, line = LATE_PROMPT
    assert line not in ingested[0][label].sentences


def _source_lines(label: str) -> list[str]:
    key = LABEL[label]
    if "://" in key:
        record = next(json.loads(x) for x in (CORPUS / "wire-export.jsonl").read_text("utf-8").splitlines()
                      if json.loads(x)["url"] == key)
        text = record["text"]
    else:
        text = (CORPUS / key).read_text("utf-8")
    return [ln for ln in normalize(text).split("\n") if ln.strip()]


@pytest.mark.parametrize("label", ["A2", "A4", "A5", "A6", "A7", "A9", "B2", "B3", "B4", "C1", "C3"])
def test_no_news_line_is_lost(ingested: tuple[dict[str, Article], object], label: str) -> None:
    a = ingested[0][label]
    drop = {normalize(x) for x in BOILERPLATE.get(label, [])} | {TXT_TITLES.get(label), LATE_PROMPT[1]}
    body = re.sub(r"\s+", " ", a.text)
    for line in _source_lines(label):
        if line not in drop:
            assert line in body, (label, line)
