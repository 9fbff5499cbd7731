"""The Python API for notebooks and scripts; the CLI is a thin layer over these functions."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from . import brief as brief_mod
from . import copies as copies_stage
from . import render
from . import stories as stories_stage
from .ingest import IngestReport, JsonFields
from .ingest import ingest as _ingest
from .model import Brief, CopyRelation, RawDoc, Story, bulk
from .pipeline import Options
from .pipeline import run as _run
from .workspace import DEFAULT_DIR, Workspace


def open_workspace(path: str | Path = DEFAULT_DIR) -> Workspace:
    """Open (or create) a workspace folder."""
    return Workspace(path)


def sample_corpus() -> Path:
    """The folder of fictional sample articles shipped with the package (used by `make demo`)."""
    return Path(str(resources.files("newsweave").joinpath("sample", "articles")))


def ingest(workspace: Workspace, paths: Iterable[str | Path] = (), records: Iterable[RawDoc | dict[str, Any]] = (),
           fields: JsonFields | None = None, **kwargs: Any) -> IngestReport:
    """Ingest files/folders and in-memory records (RawDoc or dicts with text/html, title, url, ...)."""
    raws = [r if isinstance(r, RawDoc) else RawDoc(source=str(r.get("url") or r.get("source_path") or "record"),
                                                   text=r.get("text"), html=r.get("html"), title=r.get("title"),
                                                   url=r.get("url"), outlet=r.get("source") or r.get("outlet"),
                                                   published=r.get("published"))
            for r in records]
    return _ingest(workspace, paths, raws, fields=fields, **kwargs)


def assign_stories(workspace: Workspace) -> list[Story]:
    """Put the articles not yet in a story into one (online: earlier stories keep their ids); all stories."""
    return stories_stage.assign_stories(workspace, stories_stage.unassigned(workspace))


def find_copies(workspace: Workspace) -> list[CopyRelation]:
    """Find (and store) the copy relations among the workspace's articles."""
    return copies_stage.find_copies(workspace.articles(), workspace)


def run(workspace: Workspace, options: Options | None = None, **kwargs: Any) -> Brief:
    """Run the whole pipeline over the workspace; returns the brief as objects."""
    return _run(workspace, options, **kwargs)


def to_dict(brief: Brief) -> dict[str, Any]:
    """The brief as the brief.json document (schema newsweave.brief/1)."""
    return brief_mod.to_dict(brief)


# The stories as last rendered, beside the brief: a later write renders only the stories that changed.
PARTS_FILE = ".brief-parts"
# What the brief files in a folder were written from, and their sizes and times: a write of the same brief
# leaves them as they are.
STAMP_FILE = ".brief-stamp"


def brief_source(workspace: Workspace, options: Options | None = None) -> str:
    """A key of everything a run's brief is made from: the workspace's articles and their sources, the options,
    the analysing code, and which models are installed (the brief says what could not be read without them).
    Everything else a run reads (stories, copy relations, stored analyses) is derived from these."""
    from .embed import multilingual_available
    from .nlp import installed
    from .pipeline import code_version

    doc = [workspace.content_key(), (options or Options()).fingerprint(), code_version(),
           multilingual_available(), sorted(installed())]
    return hashlib.blake2b(orjson.dumps(doc, default=str), digest_size=16).hexdigest()


def current_brief(out_dir: str | Path, source: str) -> dict[str, Any] | None:
    """When the brief in `out_dir` was written, whole, from `source` (see `brief_source`) and its files are as
    written: its article and story counts and its notes, so a run with nothing new can stop here. Else None."""
    out = Path(out_dir)
    stamp = _read_stamp(out / STAMP_FILE)
    if not stamp or stamp.get("source") != source:
        return None
    now = _stamp(brief_paths(out), stamp["key"])
    return stamp.get("summary") if now is not None and now["files"] == stamp["files"] else None


def brief_paths(out: Path) -> dict[str, Path]:
    """Where `write_brief` puts brief.json, brief.md and brief.html in `out`."""
    return {"json": out / "brief.json", "md": out / "brief.md", "html": out / "brief.html"}


def write_brief(brief: Brief | dict[str, Any], out_dir: str | Path, source: str | None = None) -> dict[str, Path]:
    """Write brief.json, brief.md and brief.html into `out_dir`; returns their paths. Stories rendered by an
    earlier write into the same folder, unchanged since, are not rendered again; when the whole brief is the
    one already there (apart from its time), the files are left as they are, `generated_at` included.

    `source`: the key of what the brief was made from (`brief_source`, taken before the run), kept beside it
    for `current_brief` when the brief is whole (no analysis ran out of time)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = brief_paths(out)
    if isinstance(brief, Brief) and source is not None and brief.complete:
        summary = {"articles": len(brief.articles), "stories": len(brief.stories), "notes": list(brief.notes)}
        remembered = {"source": source, "summary": summary}
    else:
        remembered = {}
    with bulk():
        doc = brief if isinstance(brief, dict) else brief_mod.to_dict(brief)
        body = brief_mod.encode(doc)
        # The key leaves out the time of writing (the first "generated_at", the document's own, near its top).
        stamped = b'"generated_at": ' + orjson.dumps(doc.get("generated_at"))  # as encode indents it
        at = body.find(stamped)
        at, after = (at, at + len(stamped)) if at >= 0 else (0, 0)
        view = memoryview(body)  # hashed around the stamp, not through a copy of a brief of 80 MB
        content = hashlib.blake2b(view[:at], digest_size=16)
        content.update(view[after:])
        content.update(render.PAGE_CODE.encode())
        key = content.hexdigest()
        now = _stamp(paths, key)
        before = _read_stamp(out / STAMP_FILE) or {}
        if now is not None and now == {k: before.get(k) for k in ("key", "files")}:
            if (before.get("source"), before.get("summary")) != (remembered.get("source"), remembered.get("summary")):
                _write_stamp(out, {**now, **remembered})
            return paths
        parts = render.Parts.load(out / PARTS_FILE)
        data = {"json": body, "md": render.to_markdown(doc, parts).encode("utf-8"),
                "html": render.to_html(doc, parts).encode("utf-8")}
    for kind, path in paths.items():
        # Written beside, then renamed over the old file: a run stopped mid-write leaves the previous brief
        # whole, never a half-written one that the web app or a reader would choke on.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data[kind])
        os.replace(partial, path)
    parts.save(out / PARTS_FILE)
    _write_stamp(out, {**(_stamp(paths, key) or {}), **remembered})
    return paths


def _write_stamp(out: Path, stamp: dict[str, Any]) -> None:
    path = out / STAMP_FILE
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(orjson.dumps(stamp))
    os.replace(partial, path)


def _stamp(paths: dict[str, Path], key: str) -> dict[str, Any] | None:
    """The brief's key with each file's size and modification time; None when a file is missing."""
    try:
        stats = {k: p.stat() for k, p in paths.items()}
    except OSError:
        return None
    return {"key": key, "files": {k: [st.st_size, st.st_mtime_ns] for k, st in stats.items()}}


def _read_stamp(path: Path) -> dict[str, Any] | None:
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
