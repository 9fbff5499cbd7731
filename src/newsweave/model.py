"""The one small data model every stage reads and extends.

Stages never mutate another stage's objects; each returns new objects keyed by article id and
sentence index, so a citation (article id, sentence index) is the common currency of the pipeline.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Removal:
    """A line the cleaner removed, and why (kept so a user can audit the cleaning)."""

    line: str
    reason: str


@dataclass
class RawDoc:
    """What a reader yields before cleaning: text or HTML plus whatever metadata the input had."""

    source: str
    text: str | None = None
    html: str | None = None
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    author: str | None = None
    language: str | None = None


@dataclass
class Article:
    id: str
    source: str
    text: str
    sentences: list[str]
    outlet: str | None = None
    title: str | None = None
    published: str | None = None  # YYYY-MM-DD
    language: str = "en"
    url: str | None = None
    author: str | None = None
    raw_text: str = ""
    paragraph_of: list[int] = field(default_factory=list)  # paragraph index of each sentence
    flags: list[str] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)

    @property
    def lead(self) -> str:
        return " ".join(self.sentences[:2])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Article:
        d = dict(d)
        d["removed"] = [Removal(**r) if isinstance(r, dict) else r for r in d.get("removed", [])]
        return cls(**d)


@dataclass
class Citation:
    article: str
    sentence: int


@dataclass
class CopyRelation:
    """`article` copies `of`; `share` is the part of `article` covered by `of`."""

    article: str
    of: str
    kind: str  # exact | near-verbatim | partial | rewrite | translation
    share: float
    evidence: list[tuple[int, int, float]] = field(default_factory=list)  # (sentence here, sentence there, sim)
    reason: str = ""


@dataclass
class Story:
    id: str
    articles: list[str]
    headline: str = ""
    start: str | None = None
    end: str | None = None
    independent_sources: int = 0


@dataclass
class Entity:
    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    mentions: int = 0


@dataclass
class Quote:
    speaker: str | None  # entity id
    speaker_name: str
    text: str
    kind: str  # direct | reported
    cue: str | None
    article: str
    sentence: int


@dataclass
class Dispute:
    by: str | None
    by_name: str
    relation: str  # denies | contradicts | questions
    text: str
    article: str
    sentence: int


@dataclass
class Claim:
    id: str
    text: str
    articles: list[str]
    independent_sources: int
    attributed_to: list[str] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)


@dataclass
class SummarySentence:
    text: str
    citations: list[Citation]
    also: list[Citation] = field(default_factory=list)  # other articles saying the same
    written: bool = False  # True when an LLM writer reworded it (then checked against `citations`)
    flags: list[str] = field(default_factory=list)  # "disputed", "dispute" (a denial), "writer-fallback"


@dataclass
class TimelineEntry:
    date: str | None
    text: str
    article: str
    sentence: int
    expression: str = ""  # the date as written ("last October"), resolved against the publication date
    precision: str = "day"  # day | week | month | year: how much of `date` the expression really gives
    also: list[Citation] = field(default_factory=list)  # other articles reporting the same event


@dataclass
class KeyFact:
    text: str
    independent_sources: int
    citations: list[Citation] = field(default_factory=list)


@dataclass
class StoryBrief:
    story: Story
    summary: list[SummarySentence] = field(default_factory=list)
    key_facts: list[KeyFact] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what could not be done for this story, one line each


@dataclass
class Brief:
    articles: list[Article]
    copies: list[CopyRelation]
    stories: list[StoryBrief]
    generated_at: str
    notes: list[str] = field(default_factory=list)  # what the run could not do, once each
    complete: bool = True  # False when a story's analysis ran out of time (not stored: the next run tries again)


def _builder(tp: Any) -> Callable[[Any], Any]:
    """A function that rebuilds a value of type `tp` from its plain form. Made once per type: read back
    thousands of stored analyses, looking at the type hints per value was most of a run with nothing new."""
    import dataclasses
    import types
    import typing

    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [t for t in typing.get_args(tp) if t is not type(None)]
        if len(inner) != 1:
            return _same
        one = _builder(inner[0])
        return lambda v: None if v is None else one(v)
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        each = _builder(item)
        if each is _same:
            return lambda v: None if v is None else list(v)
        return lambda v: None if v is None else [each(x) for x in v]
    if origin is tuple:
        return lambda v: None if v is None else tuple(v)
    if dataclasses.is_dataclass(tp):
        return _dataclass_builder(tp)
    return _same


def _same(value: Any) -> Any:
    return value


@functools.cache
def _dataclass_builder(tp: type) -> Callable[[Any], Any]:
    import dataclasses
    import typing

    hints = typing.get_type_hints(tp)
    names = frozenset(f.name for f in dataclasses.fields(tp) if f.init)
    nested = [(n, c) for n in names if (c := _builder(hints[n])) is not _same]

    def build(value: Any) -> Any:
        if value is None:
            return None
        kw = dict(value) if value.keys() <= names else {k: v for k, v in value.items() if k in names}
        for n, convert in nested:
            if n in kw:
                kw[n] = convert(kw[n])
        return tp(**kw)

    return build


def from_plain(cls: type, data: Any) -> Any:
    """A dataclass (nested ones too) rebuilt from `dataclasses.asdict` output; unknown keys are ignored and
    missing ones take their defaults, so a stored analysis survives fields added later."""
    return _builder(cls)(data)


def plain(obj: Any) -> Any:
    """`dataclasses.asdict` for the data model, as JSON data (tuples become lists, dict keys strings), made by
    orjson's C encoder: asdict's deep copies in Python were most of writing a brief of thousands of articles."""
    import orjson

    return orjson.loads(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS))


@contextmanager
def bulk() -> Iterator[None]:
    """Build or convert many model objects at once (a workspace's stored analyses, a brief's document) with
    Python's cycle collector paused: it ran again and again over the growing object graph, which made
    reading back 10,000 articles' analyses three times slower. Nothing made here is cyclic garbage."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
