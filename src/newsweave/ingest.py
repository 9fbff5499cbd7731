"""Ingest: read files, folders, JSONL, HTML, WARC and feeds into cleaned articles in a workspace.

Readers yield `RawDoc`s (or `InputError`s, one per bad file, line or record); `to_article` turns a raw doc
into a cleaned `Article`; `ingest` stores them, one transaction per article, skipping inputs already done.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .clean import clean_text, normalize, split_sentences, text_key
from .model import Article, RawDoc
from .workspace import Workspace

MAX_BYTES = 20 * 1024 * 1024
TEXT_EXT = {".txt", ".md", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
JSON_EXT = {".json", ".jsonl", ".ndjson"}
FEED_EXT = {".rss", ".atom", ".xml"}


@dataclass
class InputError:
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class JsonFields:
    """Which JSON keys hold what; override for exports that name them differently."""

    url: str = "url"
    title: str = "title"
    text: str = "text"
    html: str = "html"
    published: str = "published"
    source: str = "source"
    author: str = "author"
    language: str = "language"


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    skipped_inputs: int = 0
    errors: list[InputError] = field(default_factory=list)
    not_fetched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# -- decoding ------------------------------------------------------------------------------------


def decode_bytes(data: bytes, source: str) -> str | InputError:
    """Text of a file's bytes, or why it is not text."""
    if not data.strip():
        return InputError(source, "empty file")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(source, "binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.2:
        return InputError(source, "undecodable bytes: not UTF-8 and no known encoding fits")
    return str(best)


def _read_bytes(path: Path, max_bytes: int) -> bytes | InputError:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return InputError(str(path), f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB cap")
        data = path.read_bytes()
    except OSError as e:
        return InputError(str(path), f"cannot read: {e.strerror or e}")
    if path.suffix == ".gz" and not path.name.endswith((".warc.gz",)):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            return InputError(str(path), f"broken gzip: {e}")
    return data


# -- readers -------------------------------------------------------------------------------------


def read_text(source: str, text: str) -> Iterator[RawDoc | InputError]:
    if not text.strip():
        yield InputError(source, "empty file")
        return
    yield RawDoc(source=source, text=text)


def read_html(source: str, html: str, url: str | None = None) -> Iterator[RawDoc | InputError]:
    if not re.search(r"<\s*(html|body|p|div|article|title|h1)\b", html[:200_000], re.I):
        yield InputError(source, "not HTML: no <html>, <body>, <p> or <div> element found")
        return
    yield RawDoc(source=source, html=html, url=url)


def read_json(source: str, text: str, fields: JsonFields) -> Iterator[RawDoc | InputError]:
    """A JSON array or object, or JSON Lines: one record per article."""
    stripped = text.lstrip()
    records: Iterable[tuple[str, Any]]
    if stripped.startswith("["):
        try:
            records = [(f"{source}[{i}]", r) for i, r in enumerate(json.loads(text))]
        except json.JSONDecodeError as e:
            yield InputError(source, f"malformed JSON at line {e.lineno}: {e.msg}")
            return
    elif stripped.startswith("{") and "\n{" not in stripped:
        try:
            records = [(source, json.loads(text))]
        except json.JSONDecodeError as e:
            yield InputError(source, f"malformed JSON at line {e.lineno}: {e.msg}")
            return
    else:
        records = _json_lines(source, text)
    for where, rec in records:
        if isinstance(rec, InputError):
            yield rec
            continue
        if not isinstance(rec, dict):
            yield InputError(where, "record is not a JSON object")
            continue
        text_value, html_value = rec.get(fields.text), rec.get(fields.html)
        if not (isinstance(text_value, str) and text_value.strip()) and not (
            isinstance(html_value, str) and html_value.strip()
        ):
            yield InputError(where, f"record has no '{fields.text}' or '{fields.html}' field with content")
            continue
        yield RawDoc(
            source=str(rec.get(fields.url) or where),
            text=text_value if isinstance(text_value, str) and text_value.strip() else None,
            html=html_value if isinstance(html_value, str) and html_value.strip() else None,
            title=_str(rec.get(fields.title)),
            url=_str(rec.get(fields.url)),
            outlet=_str(rec.get(fields.source)),
            published=_str(rec.get(fields.published)),
            author=_str(rec.get(fields.author)),
            language=_str(rec.get(fields.language)),
        )


def _json_lines(source: str, text: str) -> Iterator[tuple[str, Any]]:
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as e:
            yield where, InputError(where, f"malformed JSON line: {e.msg}")


def read_warc(source: str, data: bytes) -> Iterator[RawDoc | InputError]:
    """HTML responses of a WARC (plain or gzipped); a truncated record ends the file with one error."""
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    try:
        for n, record in enumerate(ArchiveIterator(io.BytesIO(data)), 1):
            if record.rec_type != "response":
                continue
            ctype = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
            if "html" not in ctype.lower():
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            body = record.content_stream().read()
            html = decode_bytes(body, f"{source}#{n}")
            if isinstance(html, InputError):
                yield html
                continue
            yield from read_html(f"{source}#{n}", html, url=url)
    except Exception as e:  # warcio raises several kinds on truncated or corrupt input
        yield InputError(f"{source}#{n + 1}", f"truncated or corrupt WARC record ({type(e).__name__}: {e})")


def read_feed(source: str, text: str) -> Iterator[RawDoc | InputError]:
    """RSS/Atom entries with full content; entries that only link are reported as not fetched."""
    import feedparser

    feed = feedparser.parse(text)
    if not feed.entries:
        reason = f"not a feed or no entries ({feed.bozo_exception})" if feed.bozo else "feed has no entries"
        yield InputError(source, reason)
        return
    site = feed.feed.get("title")
    for i, entry in enumerate(feed.entries):
        content = ""
        if entry.get("content"):
            content = max((c.get("value", "") for c in entry.content), key=len)
        summary = entry.get("summary", "")
        body = content if len(content) >= len(summary) else summary
        link = entry.get("link")
        published = entry.get("published") or entry.get("updated")
        if len(re.sub(r"<[^>]+>", " ", body).split()) < 60:
            yield InputError(f"{source}[{i}]", f"entry has no full text; link not fetched: {link or '(none)'}")
            continue
        is_html = bool(re.search(r"<\s*(p|div|br|span|a)\b", body, re.I))
        yield RawDoc(
            source=link or f"{source}[{i}]", url=link, title=entry.get("title"), outlet=site,
            published=published, author=entry.get("author"),
            html=f"<html><body><article>{body}</article></body></html>" if is_html else None,
            text=None if is_html else body,
        )


def _looks_like_feed(text: str) -> bool:
    head = text[:2000].lower()
    return "<rss" in head or "<feed" in head or "<rdf:rdf" in head


def read_path(path: Path, fields: JsonFields, max_bytes: int = MAX_BYTES) -> Iterator[RawDoc | InputError]:
    """Dispatch one file to its reader by extension (and content for XML and unknown endings)."""
    name = path.name.lower()
    if name.endswith((".warc", ".warc.gz")):
        data = _read_bytes(path, max_bytes) if name.endswith(".warc") else _read_raw(path, max_bytes)
        if isinstance(data, InputError):
            yield data
        elif not data:
            yield InputError(str(path), "empty file")
        else:
            yield from read_warc(str(path), data)
        return
    data = _read_bytes(path, max_bytes)
    if isinstance(data, InputError):
        yield data
        return
    text = decode_bytes(data, str(path))
    if isinstance(text, InputError):
        yield text
        return
    suffix = Path(name.removesuffix(".gz")).suffix
    if suffix in JSON_EXT:
        yield from read_json(str(path), text, fields)
    elif suffix in FEED_EXT or (suffix not in HTML_EXT | TEXT_EXT and _looks_like_feed(text)):
        yield from read_feed(str(path), text)
    elif suffix in HTML_EXT:
        yield from read_html(str(path), text)
    elif suffix in TEXT_EXT or not suffix:
        yield from read_text(str(path), text)
    else:
        yield InputError(str(path), f"unknown file type '{suffix}' (expected .txt .md .html .json .jsonl "
                                    ".warc .warc.gz .rss .atom .xml)")


def _read_raw(path: Path, max_bytes: int) -> bytes | InputError:
    try:
        if path.stat().st_size > max_bytes:
            return InputError(str(path), f"file is over the {max_bytes / 1e6:.0f} MB cap")
        return path.read_bytes()
    except OSError as e:
        return InputError(str(path), f"cannot read: {e.strerror or e}")


def iter_inputs(paths: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Files under the given paths, recursively, in a stable order; missing paths are errors."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    yield f
        elif path.is_file():
            yield path
        else:
            yield InputError(str(p), "no such file or folder")


# -- from raw to article -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _language_detector():  # noqa: ANN202 - lingua detector
    from lingua import LanguageDetectorBuilder

    # Models load lazily per language, so building over all languages is cheap until used.
    return LanguageDetectorBuilder.from_all_languages().build()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot tell."""
    sample = text[:1500]
    if len(sample.split()) < 3:
        return None
    lang = _language_detector().detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang else None


def normalize_date(value: str | None) -> str | None:
    """YYYY-MM-DD from whatever date string an input had, or None."""
    if not value:
        return None
    value = value.strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        return m.group(0)
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    import dateparser

    parsed = dateparser.parse(value, settings={"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False})
    return parsed.date().isoformat() if isinstance(parsed, datetime) else None


def outlet_of(url: str | None) -> str | None:
    if not url or "://" not in url:
        return None
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.") or None


def _extract_html(raw: RawDoc) -> RawDoc | InputError:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(raw.html, url=raw.url, with_metadata=True, include_comments=False,
                                          include_tables=False, as_dict=False)
    except Exception as e:  # lxml raises many kinds on hostile markup
        return InputError(raw.source, f"broken HTML ({type(e).__name__})")
    if doc is None or not (doc.text or "").strip():
        return InputError(raw.source, "no article text found in the HTML")
    return RawDoc(
        source=raw.source, text=doc.text, title=raw.title or doc.title, url=raw.url or doc.url,
        outlet=raw.outlet or doc.sitename or outlet_of(raw.url or doc.url), published=raw.published or doc.date,
        author=raw.author or doc.author, language=raw.language,
    )


_FRAGMENT = re.compile(r"^[a-z]?\w{0,4}\.$|^[a-z]")


def to_article(raw: RawDoc, outlet_lines: frozenset[str] = frozenset()) -> tuple[Article, str] | InputError:
    """Clean a raw doc into an article and its text hash (the identity of its wording)."""
    if raw.html is not None and raw.text is None:
        extracted = _extract_html(raw)
        if isinstance(extracted, InputError):
            return extracted
        raw = extracted
    assert raw.text is not None
    cleaned = clean_text(raw.text, title=normalize(raw.title) if raw.title else None, outlet_lines=outlet_lines)
    sentences, para_of = split_sentences(cleaned.paragraphs)
    if not sentences:
        return InputError(raw.source, "no text left after cleaning")
    outlet = raw.outlet or outlet_of(raw.url)
    key = text_key(cleaned.text)
    text_hash = hashlib.sha256(key.encode()).hexdigest()[:16]
    # Identity is outlet + wording: re-ingesting the same input adds nothing, while the same text
    # republished by another outlet is another article (an exact copy, found by the copies stage).
    article_id = hashlib.sha256(f"{(outlet or '').lower()}\n{key}".encode()).hexdigest()[:16]
    flags: list[str] = []
    if any(r.reason not in ("title", "byline") for r in cleaned.removed):
        flags.append("boilerplate-removed")
    fragments = sum(1 for s in sentences if _FRAGMENT.match(s))
    if fragments >= 2 or (sentences and fragments / len(sentences) > 0.1):
        flags.append("machine-translation-signs")
    language = (raw.language or "").lower()[:2] or detect_language(cleaned.text) or "en"
    article = Article(
        id=article_id, source=raw.source, text=cleaned.text, sentences=sentences, outlet=outlet,
        title=cleaned.title, published=normalize_date(raw.published), language=language, url=raw.url,
        author=raw.author or cleaned.author, raw_text=raw.text, paragraph_of=para_of, flags=flags,
        removed=cleaned.removed,
    )
    return article, text_hash


# -- the stage -----------------------------------------------------------------------------------


def _input_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}"


def ingest(
    workspace: Workspace,
    paths: Iterable[str | Path] = (),
    records: Iterable[RawDoc] = (),
    fields: JsonFields | None = None,
    max_bytes: int = MAX_BYTES,
    on_progress: Callable[[str], None] | None = None,
    on_error: Callable[[InputError], None] | None = None,
) -> IngestReport:
    """Ingest files and folders (and in-memory records) into the workspace; resumable and idempotent."""
    fields = fields or JsonFields()
    report = IngestReport()
    outlet_cache: dict[str | None, frozenset[str]] = {}

    def store(raw: RawDoc) -> None:
        outlet = raw.outlet or outlet_of(raw.url)
        if outlet not in outlet_cache:
            outlet_cache[outlet] = workspace.outlet_lines(outlet)
        result = to_article(raw, outlet_cache[outlet])
        if isinstance(result, InputError):
            fail(result)
            return
        article, text_hash = result
        (report.added if workspace.add_article(article, text_hash) else report.existing).append(article.id)

    def fail(err: InputError) -> None:
        if "link not fetched" in err.reason:
            report.not_fetched.append(err.source)
        else:
            report.errors.append(err)
        if on_error:
            on_error(err)

    for item in iter_inputs(paths):
        if isinstance(item, InputError):
            fail(item)
            continue
        if on_progress:
            on_progress(str(item))
        try:
            key = _input_key(item)
        except OSError as e:
            fail(InputError(str(item), f"cannot read: {e}"))
            continue
        if workspace.input_done(key):
            report.skipped_inputs += 1
            continue
        failed_before = len(report.errors)
        for doc in read_path(item, fields, max_bytes):
            if isinstance(doc, InputError):
                fail(doc)
            else:
                store(doc)
        status = "done" if len(report.errors) == failed_before else "done-with-errors"
        # Inputs with errors are marked too: re-reading them would add nothing and repeat the same errors.
        workspace.mark_input(key, str(item), "done", status)
    for raw in records:
        if on_progress:
            on_progress(raw.source)
        store(raw)
    return report


def read_stdin() -> RawDoc:
    """Text pasted on standard input, as one article."""
    return RawDoc(source="-", text=sys.stdin.read())
