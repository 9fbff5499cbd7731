"""The brief as data: `Brief` objects to the versioned JSON of ../contract (schema newsweave.brief/1)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import orjson

from .model import Brief, CopyRelation, StoryBrief, plain

SCHEMA_ID = "newsweave.brief/1"


def _story_dict(sb: StoryBrief) -> dict[str, Any]:
    s = sb.story
    return {
        "id": s.id,
        "headline": s.headline,
        "start": s.start,
        "end": s.end,
        "articles": list(s.articles),
        "independent_sources": s.independent_sources,
        "summary": [plain(x) for x in sb.summary],
        "key_facts": [plain(x) for x in sb.key_facts],
        "entities": [plain(x) for x in sb.entities],
        "quotes": [plain(x) for x in sb.quotes],
        "claims": [plain(x) for x in sb.claims],
        "timeline": [plain(x) for x in sb.timeline],
        "skipped": list(sb.skipped),
    }


def _copy_dict(c: CopyRelation, evidence: list[list[int]]) -> dict[str, Any]:
    return {"of": c.of, "kind": c.kind, "share": round(c.share, 3), "reason": c.reason, "evidence": evidence}


def to_dict(brief: Brief) -> dict[str, Any]:
    """The brief.json document."""
    copies: dict[str, list[dict[str, Any]]] = {}
    evidence = plain([c.evidence for c in brief.copies])  # pairs as lists, all in one pass
    for c, e in zip(brief.copies, evidence, strict=True):
        copies.setdefault(c.article, []).append(_copy_dict(c, e))
    return {
        "schema": SCHEMA_ID,
        "generated_at": brief.generated_at,
        "notes": list(brief.notes),
        "articles": [
            {
                "id": a.id, "source": a.source, "url": a.url, "outlet": a.outlet, "title": a.title,
                "published": a.published, "language": a.language, "author": a.author,
                "sentences": list(a.sentences), "paragraph_of": list(a.paragraph_of),
                "copies": copies.get(a.id, []), "flags": list(a.flags),
                "removed": [plain(r) for r in a.removed],
            }
            for a in brief.articles
        ],
        "stories": [_story_dict(sb) for sb in brief.stories],
    }


def to_json(brief: Brief) -> str:
    return dumps(to_dict(brief))


def dumps(doc: dict[str, Any]) -> str:
    """brief.json's text: indented, UTF-8. orjson, as the standard encoder indents in pure Python (1.8 s of a
    3.9 s run with nothing new on ECB+)."""
    return encode(doc).decode("utf-8")


def encode(doc: dict[str, Any]) -> bytes:
    """brief.json's bytes, as written to the file (no round trip through a str for a brief of 80 MB)."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of brief.json, shipped with the package (docs/brief-schema.json is a copy)."""
    return json.loads(resources.files("newsweave").joinpath("schema/brief-v1.schema.json").read_text())


def validate(doc: dict[str, Any]) -> list[str]:
    """Problems of a brief.json document against the schema and its references; empty when valid."""
    import jsonschema

    problems = [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}"
                for e in jsonschema.Draft202012Validator(json_schema()).iter_errors(doc)]
    sentences = {a["id"]: len(a["sentences"]) for a in doc.get("articles", [])}

    def ref(where: str, article: str, sentence: int | None = None) -> None:
        if article not in sentences:
            problems.append(f"{where}: unknown article {article}")
        elif sentence is not None and not 0 <= sentence < sentences[article]:
            problems.append(f"{where}: article {article} has no sentence {sentence}")

    for a in doc.get("articles", []):
        for c in a["copies"]:
            ref(f"article {a['id']} copies", c["of"])
    for s in doc.get("stories", []):
        for aid in s["articles"]:
            ref(f"story {s['id']}", aid)
        for i, x in enumerate(s["summary"]):
            for c in x["citations"]:
                ref(f"story {s['id']} summary {i}", c["article"], c["sentence"])
        for q in s["quotes"]:
            ref(f"story {s['id']} quote", q["article"], q["sentence"])
        for c in s["claims"]:
            for d in c["disputes"]:
                ref(f"story {s['id']} claim {c['id']} dispute", d["article"], d["sentence"])
        for t in s["timeline"]:
            ref(f"story {s['id']} timeline", t["article"], t["sentence"])
    return problems
