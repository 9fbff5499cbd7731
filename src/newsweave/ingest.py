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
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .clean import clean_text, key_hash, language_of, normalize, split_sentences, text_key
from .model import Article, RawDoc
from .workspace import Workspace, short_lines

MAX_BYTES = 20 * 1024 * 1024
MIN_HTML_WORDS = 10
TEXT_EXT = {".txt", ".md", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
JSON_EXT = {".json", ".jsonl", ".ndjson"}
FEED_EXT = {".rss", ".atom", ".xml"}
READABLE_EXT = TEXT_EXT | HTML_EXT | JSON_EXT | FEED_EXT | {".warc"}


@dataclass
class InputError:
    """One bad file, line or record: where, and why. Feed links that were not fetched are not failures."""

    source: str
    reason: str
    not_fetched: bool = False

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
    """The file's bytes (gunzipped, except WARCs, which warcio reads record by record), or why not."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return InputError(str(path), f"file is {_mb(size)}, over the {_mb(max_bytes)} cap")
        data = path.read_bytes()
    except OSError as e:
        return InputError(str(path), f"cannot read: {e.strerror or e}")
    if path.name.lower().endswith(".gz") and not path.name.lower().endswith(".warc.gz"):
        try:
            # Read one byte past the cap, never the whole: a gzip bomb would unpack to gigabytes in memory.
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
                data = f.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as e:
            return InputError(str(path), f"broken gzip: {e}")
        if len(data) > max_bytes:
            return InputError(str(path), f"unpacks to over the {_mb(max_bytes)} cap")
    return data


def _mb(n: int) -> str:
    return f"{n / 1e6:.3g} MB"


def _str(value: Any) -> str | None:
    """A JSON value as a string, or None when it is empty or a container."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


# -- readers -------------------------------------------------------------------------------------


_MD_HEADING = re.compile(r"^#{1,6}\s+", re.M)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def read_text(source: str, text: str, markdown: bool = False) -> Iterator[RawDoc | InputError]:
    """Plain text (or Markdown) as one article; a Markdown `# heading` on the first line is its title."""
    if not text.strip():
        yield InputError(source, "empty file")
        return
    title = None
    if markdown:
        first, _, rest = text.lstrip().partition("\n")
        if re.match(r"#\s+\S", first):
            title, text = first.lstrip("# ").strip(), rest
        # Markup is not wording: keep link and emphasis text, drop the syntax.
        text = _MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", _MD_HEADING.sub("", text)))
    yield RawDoc(source=source, text=text, title=title)


def read_html(source: str, html: str, url: str | None = None) -> Iterator[RawDoc | InputError]:
    if not re.search(r"<\s*(html|body|p|div|article|title|h1)\b", html[:200_000], re.I):
        yield InputError(source, "not HTML: no <html>, <body>, <p> or <div> element found")
        return
    yield RawDoc(source=source, html=html, url=url)


def read_json(source: str, text: str, fields: JsonFields) -> Iterator[RawDoc | InputError]:
    """A JSON array of objects, one object, or JSON Lines: one record per article. Never raises."""
    records: Iterable[tuple[str, Any]]
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as e:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        if isinstance(_loads(first), dict):  # JSON Lines: each line stands alone
            records = _json_lines(source, text)
        else:
            where = f" at line {e.lineno}" if isinstance(e, json.JSONDecodeError) else ""
            msg = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
            yield InputError(source, f"malformed JSON{where}: {msg}")
            return
    else:
        if isinstance(parsed, list):
            records = [(f"{source}[{i}]", r) for i, r in enumerate(parsed)]
        elif isinstance(parsed, dict):
            records = [(source, parsed)]
        else:
            yield InputError(source, "JSON is neither an object nor an array of objects")
            return
    for where, rec in records:
        if isinstance(rec, InputError):
            yield rec
        elif not isinstance(rec, dict):
            yield InputError(where, "record is not a JSON object")
        else:
            yield _record_to_raw(where, rec, fields)


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _record_to_raw(where: str, rec: dict[str, Any], fields: JsonFields) -> RawDoc | InputError:
    text, html = _str(rec.get(fields.text)), _str(rec.get(fields.html))
    if not text and not html:
        return InputError(where, f"record has no '{fields.text}' or '{fields.html}' field with content")
    url = _str(rec.get(fields.url))
    return RawDoc(
        source=url or where, text=text, html=None if text else html, title=_str(rec.get(fields.title)),
        url=url, outlet=_str(rec.get(fields.source)), published=_str(rec.get(fields.published)),
        author=_str(rec.get(fields.author)), language=_str(rec.get(fields.language)),
    )


def _json_lines(source: str, text: str) -> Iterator[tuple[str, Any]]:
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{n}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as e:
            yield where, InputError(where, f"malformed JSON line: {e.msg} (column {e.colno})")
        except (ValueError, RecursionError):
            yield where, InputError(where, "malformed JSON line: nested too deeply")


def read_warc(source: str, data: bytes) -> Iterator[RawDoc | InputError]:
    """HTML responses of a WARC (plain or gzipped); a truncated or corrupt record ends it with one error.

    warcio yields a cut-off record as if it were whole, so completeness is checked here: every record must
    deliver its declared Content-Length, and no bytes may be left after the last record it could parse.
    """
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    it = ArchiveIterator(io.BytesIO(data))
    try:
        for n, record in enumerate(it, 1):
            where = f"{source}#record {n}"
            if not record.rec_type:
                yield InputError(where, "corrupt WARC record (no record type)")
                return
            if record.rec_type == "response" and record.http_headers:
                ctype = record.http_headers.get_header("Content-Type", "")
            elif record.rec_type == "resource":
                ctype = record.rec_headers.get_header("Content-Type", "")
            else:
                continue
            body = record.content_stream().read()
            if getattr(record.raw_stream, "limit", 0) > 0:
                yield InputError(where, f"truncated WARC record ({record.raw_stream.limit} bytes missing)")
                return
            if "html" not in ctype.lower():
                continue
            html = decode_bytes(body, where)
            if isinstance(html, InputError):
                yield html
                continue
            yield from read_html(where, html, url=record.rec_headers.get_header("WARC-Target-URI"))
        end = it.get_record_offset() + it.get_record_length() if n else 0
    except Exception as e:  # warcio raises several kinds (ArchiveLoadFailed, ValueError, ...) on bad input
        yield InputError(f"{source}#record {n + 1}",
                         f"truncated or corrupt WARC record ({type(e).__name__}: {e})")
        return
    if data[end:].strip():
        yield InputError(f"{source}#record {n + 1}",
                         "truncated or corrupt WARC record (unreadable bytes at the end)")


def read_feed(source: str, text: str) -> Iterator[RawDoc | InputError]:
    """RSS/Atom entries with full content; entries that only link are reported as not fetched."""
    import feedparser

    feed = feedparser.parse(io.BytesIO(text.encode("utf-8")))
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
        # A teaser is not the article: under ~60 words the entry only points to it (fetching is off).
        if len(re.sub(r"<[^>]+>", " ", body).split()) < 60:
            yield InputError(f"{source}[{i}]", f"entry has no full text; link not fetched: {link or '-'}",
                             not_fetched=True)
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
    data = _read_bytes(path, max_bytes)
    if isinstance(data, InputError):
        yield data
        return
    if name.endswith((".warc", ".warc.gz")):
        yield from read_warc(str(path), data) if data.strip() else iter([InputError(str(path), "empty file")])
        return
    suffix = Path(name.removesuffix(".gz")).suffix
    if suffix and suffix not in READABLE_EXT:
        yield InputError(str(path), f"unknown file type '{suffix}' (expected .txt .md .html .json .jsonl "
                                    ".warc .warc.gz .rss .atom .xml)")
        return
    text = decode_bytes(data, str(path))
    if isinstance(text, InputError):
        yield text
    elif suffix in JSON_EXT:
        yield from read_json(str(path), text, fields)
    elif suffix in FEED_EXT or (suffix not in HTML_EXT and _looks_like_feed(text)):
        yield from read_feed(str(path), text)
    elif suffix in HTML_EXT:
        yield from read_html(str(path), text)
    else:
        yield from read_text(str(path), text, markdown=suffix == ".md")


def iter_inputs(paths: Iterable[str | Path]) -> Iterator[Path | InputError]:
    """Files under the given paths, recursively, in a stable order; missing paths are errors.

    Inside folders, hidden files and folders (such as a workspace) and files of other kinds (images,
    scripts and styles saved beside a page) are passed over; a file named explicitly is always read.
    """
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                rel = f.relative_to(path).parts
                if f.is_file() and not any(part.startswith(".") for part in rel) and _readable(f):
                    yield f
        elif path.is_file():
            yield path
        else:
            yield InputError(str(p), "no such file or folder")


def _readable(path: Path) -> bool:
    name = path.name.lower()
    suffix = Path(name.removesuffix(".gz")).suffix
    return name.endswith(".warc.gz") or not suffix or suffix in READABLE_EXT


# -- from raw to article -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _language_detector():  # noqa: ANN202 - lingua detector
    from lingua import LanguageDetectorBuilder

    # Low-accuracy mode uses trigram models only: ~70 MB and 1-2 s to load. The default mode loads every
    # n-gram model of every language on the first short text (~900 MB, over 30 s here), and articles are
    # long enough for trigrams.
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


@lru_cache(maxsize=32)
def _close_detector(languages: tuple[Any, ...]):  # noqa: ANN202 - lingua detector
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*languages).build()


# Below this many characters lingua's low-accuracy mode is documented as unreliable: a one-sentence English
# article ("... died while in prison custody on December 19, 2005.") came out Yoruba.
_SHORT = 120


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot tell.

    A short text is decided by lingua's full models (all n-gram orders) among the three languages the fast
    trigram pass finds likeliest: loading the full models of every language would take ~900 MB."""
    sample = text[:1500]
    if len(sample.split()) < 3:
        return None
    detector = _language_detector()
    if len(sample) < _SHORT:
        likeliest = tuple(c.language for c in detector.compute_language_confidence_values(sample)[:3])
        if len(likeliest) > 1:
            detector = _close_detector(likeliest)
    lang = detector.detect_language_of(sample)
    return lang.iso_code_639_1.name.lower() if lang else None


def normalize_date(value: str | None) -> str | None:
    """YYYY-MM-DD from whatever date string an input had, or None."""
    if not value:
        return None
    value = value.strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        return _real_day(m.group(0))
    try:
        from email.utils import parsedate_to_datetime

        return _real_day(parsedate_to_datetime(value).date().isoformat())
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    import dateparser

    # A date needs a day, month and year: "Monday" or "2 hours ago" would be read relative to today.
    try:
        parsed = dateparser.parse(value[:100], settings={"REQUIRE_PARTS": ["day", "month", "year"],
                                                         "RETURN_AS_TIMEZONE_AWARE": False})
    except (ValueError, OverflowError, TypeError):
        return None
    return _real_day(parsed.date().isoformat()) if isinstance(parsed, datetime) else None


def _real_day(iso: str) -> str | None:
    """The date when it is a calendar day of a year news can carry ("2025-13-45" is not; a year 9999 would
    overflow the day arithmetic of later stages)."""
    try:
        return iso if 1800 <= date.fromisoformat(iso).year <= 2200 else None
    except ValueError:
        return None


def outlet_of(url: str | None) -> str | None:
    if not url or "://" not in url:
        return None
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.") or None


_TABLE_RULE = re.compile(r"^\s*\|(\s*:?-+:?\s*\|)+\s*$\n?", re.M)
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$", re.M)


# A class naming a picture's caption or credit ("caption", "wp-caption-text", "image-credit", "caption-source"),
# not one saying there is none or that a wrapper holds one ("no-caption", "has-caption").
_PICTURE_TEXT_CLASS = re.compile(r"^(?!no-|has-)(?:[\w-]*[-_])?(?:caption|credits?)(?:[-_][\w-]*)?$", re.I)
_PAGE_TAGS = frozenset({"html", "body", "main", "article"})  # whole-page flags ("f_caption_muted_videos_on")
_PICTURE_TEXT_MAX = 400  # characters: a caption is short; a long block under such a class is kept, to be safe


def drop_picture_text(tree: Any) -> int:
    """Remove picture captions and photo credits from a parsed page (`<figcaption>` and elements classed as a
    caption or credit); returns how many. trafilatura keeps some of them, run into the text
    ("… outside of a co-working space in New York.Reuters"), where they read as news."""
    found = [el for el in tree.iter() if isinstance(el.tag, str) and el.tag not in _PAGE_TAGS and (
        el.tag == "figcaption" or any(_PICTURE_TEXT_CLASS.match(c) for c in (el.get("class") or "").split()))]
    dropped: list[Any] = []
    for el in found:  # in document order: an element inside one already dropped went with it
        if len("".join(el.itertext())) <= _PICTURE_TEXT_MAX and not any(
                a in dropped for a in el.iterancestors()):
            el.drop_tree()  # keeps the text that follows the element
            dropped.append(el)
    return len(dropped)


def _extract_html(raw: RawDoc) -> RawDoc | InputError:
    import trafilatura
    from trafilatura.utils import load_html

    try:
        tree = load_html(raw.html)
        if tree is not None:
            drop_picture_text(tree)
        # Tables stay (trafilatura's default, and how the AEB gold counts them), as rows of plain cells.
        doc = trafilatura.bare_extraction(tree if tree is not None else raw.html, url=raw.url,
                                          with_metadata=True, include_comments=False, include_tables=True,
                                          as_dict=False)
    except Exception as e:  # lxml raises many kinds on hostile markup
        return InputError(raw.source, f"broken HTML ({type(e).__name__})")
    words = len((doc.text or "").split()) if doc is not None else 0
    # A few stray words out of broken markup are not an article.
    if doc is None or words < MIN_HTML_WORDS:
        return InputError(raw.source, f"no article text found in the HTML ({words} words)")
    text = _TABLE_RULE.sub("", doc.text)
    text = _TABLE_ROW.sub(lambda m: " ".join(c.strip() for c in m.group(1).split("|") if c.strip()), text)
    return RawDoc(
        source=raw.source, text=text, title=raw.title or doc.title, url=raw.url or doc.url,
        outlet=raw.outlet or doc.sitename or outlet_of(raw.url or doc.url),
        published=raw.published or doc.date,
        author=raw.author or doc.author, language=raw.language,
    )


_FRAGMENT = re.compile(r"^[a-z]?\w{0,4}\.$|^[a-z]")


def to_article(raw: RawDoc, outlet_lines: frozenset[str] = frozenset(),
               like: tuple[Article, str] | None = None) -> tuple[Article, str] | InputError:
    """Clean a raw doc into an article and its text hash (the identity of its wording).

    `like`: this raw doc's article made with other outlet lines; returned as it is when these lines clean the
    text the same way (language and sentences, most of the cost, depend only on the cleaned text)."""
    if raw.html is not None and raw.text is None:
        extracted = _extract_html(raw)
        if isinstance(extracted, InputError):
            return extracted
        raw = extracted
    if not (raw.text or "").strip():
        return InputError(raw.source, "no text")
    assert raw.text is not None
    title = normalize(raw.title) if raw.title else None
    cleaned = clean_text(raw.text, title=title, outlet_lines=outlet_lines)
    if like is not None and (like[0].text, like[0].title, like[0].removed) == (cleaned.text, cleaned.title,
                                                                             cleaned.removed):
        return like
    # Detected once, from the cleaned text: sentence splitting follows the language's rules.
    language = (raw.language or "").lower()[:2] or (language_of(cleaned.paragraphs) if cleaned.paragraphs else "en")
    sentences, para_of = split_sentences(cleaned.paragraphs, language)
    if not sentences:
        return InputError(raw.source, "no text left after cleaning")
    outlet = raw.outlet or outlet_of(raw.url)
    key = text_key(cleaned.text)
    wording = key_hash(key)
    # Identity is outlet + wording: re-ingesting the same input adds nothing, while the same text
    # republished by another outlet is another article (an exact copy, found by the copies stage).
    article_id = hashlib.sha256(f"{(outlet or '').lower()}\n{key}".encode()).hexdigest()[:16]
    flags: list[str] = []
    if any(r.reason not in ("title", "byline") for r in cleaned.removed):
        flags.append("boilerplate-removed")
    fragments = sum(1 for s in sentences if _FRAGMENT.match(s))
    if fragments >= 2 or (sentences and fragments / len(sentences) > 0.1):
        flags.append("machine-translation-signs")
    article = Article(
        id=article_id, source=raw.source, text=cleaned.text, sentences=sentences, outlet=outlet,
        title=cleaned.title, published=normalize_date(raw.published), language=language, url=raw.url,
        author=raw.author or cleaned.author, raw_text=raw.text, paragraph_of=para_of, flags=flags,
        removed=cleaned.removed,
    )
    return article, wording


# -- the stage -----------------------------------------------------------------------------------

OUTLET_REPEAT = 3  # a short line in this many articles of one outlet is that site's furniture


def _input_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}"


def raw_key(raw: RawDoc) -> str:
    """Identity of an input before cleaning: its content and metadata, not where it was read from."""
    parts = [raw.text, raw.html, raw.title, raw.url, raw.outlet, raw.published]
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8", "replace")).hexdigest()[:24]


class _OutletMemory:
    """Short lines per outlet, counted over stored articles and those of this run (the DB alone would
    only see them after the next commit)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.counts: dict[str, dict[str, int]] = {}
        self.frequent: dict[str, set[str]] = {}

    def lines(self, outlet: str | None) -> frozenset[str]:
        if not outlet:
            return frozenset()
        if outlet not in self.counts:
            self.counts[outlet] = self.workspace.outlet_line_counts(outlet)
            self.frequent[outlet] = {ln for ln, n in self.counts[outlet].items() if n >= OUTLET_REPEAT}
        return frozenset(self.frequent[outlet])

    def add(self, article: Article) -> None:
        if not article.outlet:
            return
        self.lines(article.outlet)
        counts, frequent = self.counts[article.outlet], self.frequent[article.outlet]
        for ln in short_lines(article.raw_text):
            counts[ln] = counts.get(ln, 0) + 1
            if counts[ln] >= OUTLET_REPEAT:
                frequent.add(ln)


def _prepare(raw: RawDoc, lines: frozenset[str]) -> tuple[RawDoc | InputError, tuple[Article, str] | InputError,
                                                          frozenset[str]]:
    """What `to_article` makes of `raw` with its outlet's repeated `lines` as known when it was sent: the
    HTML's text, the article, and those lines (the article stands if they are still the outlet's lines)."""
    if raw.html is not None and raw.text is None:
        extracted = _extract_html(raw)
        if isinstance(extracted, InputError):
            return extracted, extracted, lines
        raw = extracted
    return raw, to_article(raw, lines), lines


_AHEAD = 32  # documents prepared ahead of the one being stored
_PREPARE_WAIT = 600.0  # seconds a document may take in a helper process before it is made here instead


class _Ahead:
    """Documents about to be stored, prepared (`_prepare`: HTML extraction, cleaning, language, sentences)
    by two forked processes while this one stores them in order; each costs ~10-100 ms here, and nothing in
    it depends on earlier articles but an outlet's repeated lines, which are rare and checked on arrival.
    Used only where this process may fork (no other thread: not in the web app) and the input is big."""

    def __init__(self, events: Iterator[tuple[str, Any]], workspace: Workspace,
                 lines_of: Callable[[RawDoc], frozenset[str]]) -> None:
        self.events = events
        self.workspace = workspace
        self.lines_of = lines_of  # the repeated lines of a document's outlet, as known now
        self.window: list[tuple[str, Any, Any]] = []  # (kind, value, pending result or None)
        self.pool: Any = None
        self.fresh = 0  # documents seen that are not stored yet

    def __iter__(self) -> Iterator[tuple[str, Any, tuple[RawDoc | InputError, Any, frozenset[str]] | None]]:
        try:
            while True:
                while len(self.window) < _AHEAD and (event := next(self.events, None)) is not None:
                    self.window.append((*event, None))
                if not self.window:
                    return
                self._submit()
                kind, value, pending = self.window.pop(0)
                yield kind, value, self._result(pending)
        finally:
            if self.pool is not None:
                self.pool.terminate()

    def _submit(self) -> None:
        # None: not looked at yet; False: made in this process (already stored, or too few to share out).
        todo = [k for k, (kind, value, pending) in enumerate(self.window) if pending is None]
        todo = [k for k in todo if self.window[k][0] in ("doc", "record")
                and self.workspace.article_for_raw(raw_key(self.window[k][1])) is None]
        self.fresh += len(todo)
        if self.pool is None and self.fresh >= _AHEAD // 2:
            from .scale import may_fork

            if may_fork():
                import multiprocessing

                from .clean import _sentencizer

                # Loaded before the fork, so the helpers share them instead of loading their own.
                _language_detector()
                _sentencizer("en")
                self.pool = multiprocessing.get_context("fork").Pool(2)
        for k, (kind, value, _) in enumerate(self.window):
            if k in todo and self.pool is not None:
                self.window[k] = (kind, value, self.pool.apply_async(_prepare, (value, self.lines_of(value))))
            elif self.window[k][2] is None:
                self.window[k] = (kind, value, False)

    @staticmethod
    def _result(pending: Any) -> tuple[RawDoc | InputError, Any, frozenset[str]] | None:
        if pending is None or pending is False:
            return None
        try:
            return pending.get(timeout=_PREPARE_WAIT)
        except Exception:  # noqa: BLE001 - a helper died or timed out: the document is made here
            return None


def ingest(
    workspace: Workspace,
    paths: Iterable[str | Path] = (),
    records: Iterable[RawDoc] = (),
    fields: JsonFields | None = None,
    max_bytes: int = MAX_BYTES,
    on_progress: Callable[[str], None] | None = None,
    on_error: Callable[[InputError], None] | None = None,
    batch_size: int = 100,
) -> IngestReport:
    """Ingest files and folders (and in-memory records) into the workspace; resumable and idempotent.

    Articles are committed in batches of `batch_size`, together with the inputs they finish, so a run
    killed at any point loses no committed article and the next run re-reads only unfinished inputs
    (whose articles already stored are recognised by their raw key before any cleaning).
    """
    fields = fields or JsonFields()
    report = IngestReport()
    memory = _OutletMemory(workspace)
    pending: list[tuple[Article, str, str]] = []
    pending_keys: dict[str, str] = {}
    pending_inputs: list[tuple[str, str]] = []

    def flush() -> None:
        with workspace.transaction():
            for article, wording, rkey in pending:
                added = workspace.add_article(article, wording, rkey)
                (report.added if added else report.existing).append(article.id)
            for key, source in pending_inputs:
                workspace.mark_input(key, source, "done")
        pending.clear()
        pending_keys.clear()
        pending_inputs.clear()

    def lines_of(raw: RawDoc) -> frozenset[str]:
        return memory.lines(raw.outlet or outlet_of(raw.url))

    def store(raw: RawDoc, prepared: tuple[RawDoc | InputError, Any, frozenset[str]] | None) -> None:
        rkey = raw_key(raw)
        known = pending_keys.get(rkey) or workspace.article_for_raw(rkey)
        if known:
            workspace.add_source(known, raw.source)
            report.existing.append(known)
            return
        lines = lines_of(raw)
        if prepared is None:
            result = to_article(raw, lines)
        else:
            # The outlet may have gained repeated lines (from the documents stored since this one was sent).
            extracted, made, sent = prepared
            result = extracted if isinstance(extracted, InputError) else made if lines == sent \
                else to_article(extracted, lines, like=None if isinstance(made, InputError) else made)
        if isinstance(result, InputError):
            fail(result)
            return
        article, wording = result
        memory.add(article)
        pending.append((article, wording, rkey))
        pending_keys[rkey] = article.id
        if len(pending) >= batch_size:
            flush()

    def fail(err: InputError) -> None:
        (report.not_fetched if err.not_fetched else report.errors).append(err if not err.not_fetched
                                                                           else err.source)
        if on_error:
            on_error(err)

    def events() -> Iterator[tuple[str, Any]]:
        """The inputs in order: ("fail", error), ("input", (key, path, done)) before an input's documents,
        ("doc", raw) and ("done", (key, path)) after them; ("record", raw) for in-memory records."""
        for item in iter_inputs(paths):
            if isinstance(item, InputError):
                yield "fail", item
                continue
            try:
                key = _input_key(item)
            except OSError as e:
                yield "progress", str(item)
                yield "fail", InputError(str(item), f"cannot read: {e.strerror or e}")
                continue
            done = workspace.input_done(key)
            yield "input", (key, item, done)
            if done:
                continue
            for doc in read_path(item, fields, max_bytes):
                yield ("fail", doc) if isinstance(doc, InputError) else ("doc", doc)
            yield "done", (key, item)
        for raw in records:
            yield "record", raw

    failed_before = 0
    for kind, value, prepared in _Ahead(events(), workspace, lines_of):
        if kind == "fail":
            fail(value)
        elif kind == "progress" and on_progress:
            on_progress(value)
        elif kind == "input":
            if on_progress:
                on_progress(str(value[1]))
            if value[2]:
                report.skipped_inputs += 1
            failed_before = len(report.errors)
        elif kind == "done":
            # An input with errors stays unfinished: the next run reports its errors again (its good
            # articles are found by raw key and not cleaned twice).
            if len(report.errors) == failed_before:
                pending_inputs.append((value[0], str(value[1])))
        else:  # a document of an input, or a record
            if kind == "record" and on_progress:
                on_progress(value.source)
            store(value, prepared)
    flush()
    return report


def read_stdin() -> RawDoc:
    """Text pasted on standard input, as one article."""
    return RawDoc(source="-", text=sys.stdin.read())
