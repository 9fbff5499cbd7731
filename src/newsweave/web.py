"""The local web app: browse a brief (stories, citations, articles, copies) and search the workspace.

`create_app(workspace, brief_path)` serves the brief.json document that `newsweave run` wrote, or, without
`brief_path`, one computed from the workspace at start-up (POST /refresh reads or computes it again).
It is meant for 127.0.0.1 only (`serve`). All article text is untrusted: the templates autoescape every
value, hrefs are built from quoted path segments or `render.safe_url`, and every response carries a CSP
with no script source at all (the pages need no JavaScript: citations jump with #s{n} anchors and
:target CSS) and a style source limited to the hash of the app's own stylesheet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from . import brief as brief_mod
from . import search as search_mod
from .model import RawDoc
from .render import count, disputes, safe_url, speakers, when
from .workspace import DB_NAME, Workspace

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Host names a browser may use for this server; anything else (a rebound DNS name) is refused, so a web
# page elsewhere cannot read the workspace through the user's browser.
LOCAL_HOSTS = ["127.0.0.1", "localhost"]
SEARCH_LIMIT = 50

_CSS = resources.files("newsweave").joinpath("templates/web/style.css").read_text("utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode()
CSP = (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Every page is made from the workspace as it is now; a cached copy would hide new articles.
    "Cache-Control": "no-store",
}

_env = Environment(loader=PackageLoader("newsweave", "templates/web"), autoescape=True,
                   trim_blocks=True, lstrip_blocks=True)
_env.filters["seg"] = lambda s: quote(str(s), safe="")  # one URL path segment, whatever the id holds


def _stamp(iso: str) -> str:
    """'2026-12-02T04:31:20+00:00' as '2026-12-02 04:31 UTC' (as given when it is not such a time)."""
    try:
        t = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or "not yet"
    return t.strftime("%Y-%m-%d %H:%M") + (" UTC" if t.utcoffset() is not None and not t.utcoffset() else "")


_env.filters["stamp"] = _stamp
_env.globals.update(css=Markup(_CSS), safe_url=safe_url, when=when, speakers=speakers, disputes=disputes,
                    count=count)


COPY_KINDS = {"exact": "copies", "near-verbatim": "copies", "partial": "copies", "rewrite": "rewrites",
              "translation": "translations"}
MT_FLAG, GARBLED_FLAG = "machine-translation-signs", "garbled-names"


def outlet_name(a: dict[str, Any]) -> str:
    """Who published an article: the site name from its metadata, else its URL's domain, else its file name."""
    if a.get("outlet"):
        return a["outlet"]
    host = urlsplit(a.get("url") or "").hostname if safe_url(a.get("url")) else None
    if host:
        return host.removeprefix("www.")
    source = a.get("source") or a["id"]
    return PurePath(source).name or source


@dataclass
class Outlet:
    """What the brief shows about one outlet's articles; every figure is a list of the articles behind it."""

    name: str
    articles: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)  # originals, copies, rewrites, ... -> ids
    sources: Counter[str] = field(default_factory=Counter)  # outlets this one copies from
    copied_by: Counter[str] = field(default_factory=Counter)  # outlets that copy this one
    languages: Counter[str] = field(default_factory=Counter)
    disputed_claims: int = 0  # disputed claims its articles carry

    def ids(self, group: str) -> list[str]:
        return self.groups.get(group, [])


# The groups of an outlet's articles, in the order the pages show them.
OUTLET_GROUPS = (("originals", "originals", "original", "copying no other article"),
                 ("copies", "copies", "copy", "copying another article word for word or nearly"),
                 ("rewrites", "rewrites", "rewrite", "rewording another article"),
                 ("translations", "translations", "translation", "translating another article"),
                 ("copied", "copied by others", "copied by others", "copied or reworded by another outlet"),
                 ("mt", "machine-translated", "machine-translated", "showing signs of machine translation"),
                 ("garbled", "garbled names", "with garbled names", "misspelling names that others spell right"),
                 ("disputed", "carry disputed claims", "carries disputed claims",
                  "carrying a claim that someone in the brief disputes"))


@dataclass
class Person:
    """One entity across every story it appears in (entity ids are the same in every story)."""

    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)
    articles: set[str] = field(default_factory=set)
    mentions: int = 0
    quotes: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (story, quote)
    claims: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (story, claim) made
    disputes: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = field(default_factory=list)


ENTITY_TYPES = (("PERSON", "People"), ("ORG", "Organisations"), ("GPE", "Places"),
                ("NORP", "Nationalities and groups"))


def _people(stories: list[dict[str, Any]], arts: dict[str, dict[str, Any]]) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for s in stories:
        for e in s["entities"]:
            p = people.setdefault(e["id"], Person(e["id"], e["name"], e["type"]))
            if e["mentions"] > p.mentions:  # the name as the story that mentions it most writes it
                p.name = e["name"]
            p.mentions += e["mentions"]
            p.aliases += [x for x in e["aliases"] if x not in p.aliases]
            p.roles += [r for r in e["roles"] if r not in p.roles]
            p.articles.update(e["articles"])
            p.stories.append(s)
        by_name = {x.lower(): e["id"] for e in s["entities"] for x in [e["name"], *e["aliases"]]}
        # Each quote and dispute once: a copy's repeat of one is not another (render's collapsing, as in briefs).
        for g in speakers(s, arts):
            for q in g["quotes"]:
                if q.get("speaker") in people:
                    people[q["speaker"]].quotes.append((s, q))
        for c in s["claims"]:
            for pid in dict.fromkeys(by_name[n.lower()] for n in c["attributed_to"] if n.lower() in by_name):
                people[pid].claims.append((s, c))
            for d in disputes(c, arts, s):
                if d.get("by") in people:
                    people[d["by"]].disputes.append((s, c, d))
    return people


def _name_pattern(story: dict[str, Any]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    ids = {}
    for e in story["entities"]:
        if e["type"] in ("PERSON", "ORG"):
            for name in [e["name"], *e["aliases"]]:
                if len(name) > 2:
                    ids.setdefault(name, e["id"])
    if not ids:
        return None, {}
    names = sorted(ids, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)"), ids


GRAPH_COL, GRAPH_ROW, GRAPH_NODE_W = 230, 34, 200
KIND_COLOURS = {"exact": "#b03a2e", "near-verbatim": "#b03a2e", "partial": "#d35400", "rewrite": "#7d3c98",
                "translation": "#1f618d"}


def copy_graph(story: dict[str, Any], view: View) -> dict[str, Any] | None:
    """Who copies whom inside a story, laid out for an inline SVG: originals on the left, each copy one
    column right of what it copies; groups of articles linked by copying one under another. None when no
    article of the story copies another."""
    ids = [a for a in story["articles"] if a in view.arts]
    edges = [(c["of"], a, c) for a in ids for c in view.arts[a]["copies"] if c["of"] in ids and c["of"] != a]
    if not edges:
        return None
    group = {a: a for a in ids}

    def root(a: str) -> str:
        while group[a] != a:
            a = group[a]
        return a

    for of, a, _ in edges:
        group[root(a)] = root(of)
    depth: dict[str, int] = {}

    def level(a: str, seen: frozenset[str] = frozenset()) -> int:
        if a not in depth:
            parents = [of for of, x, _ in edges if x == a and of not in seen]
            depth[a] = 1 + max(level(p, seen | {a}) for p in parents) if parents else 0
        return depth[a]

    members: dict[str, list[str]] = {}
    for a in ids:
        members.setdefault(root(a), []).append(a)
    pos: dict[str, tuple[int, int]] = {}
    y = 10
    for part in (m for m in members.values() if len(m) > 1):
        rows: dict[int, int] = {}
        for a in part:
            d = level(a)
            pos[a] = (10 + d * GRAPH_COL, y + rows.get(d, 0) * GRAPH_ROW)
            rows[d] = rows.get(d, 0) + 1
        y += max(rows.values()) * GRAPH_ROW + 12
    nodes = [{"id": a, "x": x, "y": yy, "label": f"{view.label[a]} · {view.outlet[a]}"[:30],
              "title": view.title(a), "original": level(a) == 0} for a, (x, yy) in pos.items()]
    lines = [{"x1": pos[of][0] + GRAPH_NODE_W, "y1": pos[of][1] + 13, "x2": pos[a][0], "y2": pos[a][1] + 13,
              "kind": c["kind"], "colour": KIND_COLOURS.get(c["kind"], "#555"),
              "title": f"{view.label[a]} is a {c['kind']} of {view.label[of]} ({round(c['share'] * 100)}%)"}
             for of, a, c in edges]
    width = 20 + (max(depth[a] for a in pos) + 1) * GRAPH_COL
    return {"nodes": nodes, "edges": lines, "width": width, "height": y,
            "kinds": sorted({c["kind"] for _, _, c in edges}), "alone": len(ids) - len(pos)}


AXIS_W, AXIS_M = 720, 40


def timeline_axis(story: dict[str, Any]) -> dict[str, Any] | None:
    """The story's timeline on a date axis: one marker per date (entries closer than a marker merge), sized
    by how many entries it holds and linking to the first of them. Month-precise dates sit mid-month as
    hollow markers; year-only dates are left off (a point would claim a day the text never gave)."""
    dated: list[tuple[int, date, bool]] = []
    for i, t in enumerate(story["timeline"], 1):
        precision = t.get("precision", "day")
        if precision == "year":
            continue
        try:
            d = date.fromisoformat(t["date"] or "")
        except ValueError:
            continue
        dated.append((i, d.replace(day=15) if precision == "month" else d, precision != "month"))
    if not dated:
        return None
    first, last = min(d for _, d, _ in dated), max(d for _, d, _ in dated)
    span = (last - first).days

    def x(d: date) -> float:
        return AXIS_W / 2 if not span else AXIS_M + (d - first).days / span * (AXIS_W - 2 * AXIS_M)

    marks: list[dict[str, Any]] = []
    for i, d, exact in sorted(dated, key=lambda e: (e[1], e[0])):
        if marks and x(d) - marks[-1]["x"] < 24 and marks[-1]["exact"] == exact:
            marks[-1]["entries"].append(i)
            marks[-1]["last"] = d.isoformat()
            continue
        marks.append({"x": round(x(d), 1), "entries": [i], "first": d.isoformat(), "last": d.isoformat(),
                      "exact": exact})
    for m in marks:
        m["n"], m["to"] = len(m["entries"]), min(m["entries"])
        m["r"] = 9 + min(m["n"] - 1, 6)
        m["label"] = m["first"] if m["first"] == m["last"] else f"{m['first']} to {m['last']}"
        m["label"] = (m["label"] if m["exact"] else m["first"][:7]) + f": {count(m['n'], 'entry', 'entries')}"
    ticks = sorted({first, last} | ({first + (last - first) * k / 4 for k in (1, 2, 3)} if span > 8 else set()))
    tick_marks = []
    for t in ticks:
        anchor = "start" if t == first and span else "end" if t == last and span else "middle"
        tick_marks.append({"x": round(x(t), 1), "label": t.isoformat(), "anchor": anchor})
    return {"marks": marks, "width": AXIS_W, "height": 74, "base": 40, "ticks": tick_marks}


@dataclass
class View:
    """The brief document plus the lookups the pages need, rebuilt whole on every refresh."""

    doc: dict[str, Any]
    arts: dict[str, dict[str, Any]] = field(init=False)
    stories: dict[str, dict[str, Any]] = field(init=False)
    label: dict[str, str] = field(init=False)
    stories_of: dict[str, list[dict[str, Any]]] = field(init=False)
    copied_by: dict[str, list[tuple[str, dict[str, Any]]]] = field(init=False)
    outlet: dict[str, str] = field(init=False)  # article id -> outlet name
    outlets: dict[str, Outlet] = field(init=False)
    people: dict[str, Person] = field(init=False)
    name_patterns: dict[str, tuple[re.Pattern[str] | None, dict[str, str]]] = field(init=False)

    def __post_init__(self) -> None:
        self.arts = {a["id"]: a for a in self.doc["articles"]}
        self.stories = {s["id"]: s for s in self.doc["stories"]}
        # The same short labels as brief.md and brief.html, so "A3:5" means the same everywhere.
        self.label = {a["id"]: f"A{i + 1}" for i, a in enumerate(self.doc["articles"])}
        self.stories_of = {}
        for s in self.doc["stories"]:
            for aid in s["articles"]:
                self.stories_of.setdefault(aid, []).append(s)
        self.copied_by = {}
        for a in self.doc["articles"]:
            for c in a["copies"]:
                self.copied_by.setdefault(c["of"], []).append((a["id"], c))
        self.outlet = {a["id"]: outlet_name(a) for a in self.doc["articles"]}
        self.outlets = self._outlets()
        self.people = _people(self.doc["stories"], self.arts)
        # Names to link in a story's text, longest first so "Ana Petrov" wins over "Petrov".
        self.name_patterns = {s["id"]: _name_pattern(s) for s in self.doc["stories"]}

    def link_names(self, text: str, story: dict[str, Any]) -> Markup:
        """Text (escaped) with the story's people and organisations linked to their pages."""
        pattern, ids = self.name_patterns.get(story["id"], (None, {}))
        if pattern is None:
            return escape(text)
        out, at = [], 0
        for m in pattern.finditer(text):
            out += [escape(text[at:m.start()]),
                    Markup('<a class="name" href="/entity/{}">{}</a>').format(quote(ids[m.group(0)], safe=""),
                                                                           m.group(0))]
            at = m.end()
        out.append(escape(text[at:]))
        return Markup("").join(out)

    def _outlets(self) -> dict[str, Outlet]:
        outlets: dict[str, Outlet] = {}
        for a in self.doc["articles"]:
            name = self.outlet[a["id"]]
            o = outlets.setdefault(name, Outlet(name))
            o.articles.append(a["id"])
            o.languages[a["language"] or "unknown"] += 1
            kinds = {COPY_KINDS.get(c["kind"], "copies") for c in a["copies"]}
            for group in sorted(kinds) or ["originals"]:
                o.groups.setdefault(group, []).append(a["id"])
            for c in a["copies"]:
                o.sources[self.outlet.get(c["of"], c["of"])] += 1
            others = {self.outlet[x] for x, _ in self.copied_by.get(a["id"], [])} - {name}
            if others:
                o.groups.setdefault("copied", []).append(a["id"])
                o.copied_by.update(others)
            for flag, group in ((MT_FLAG, "mt"), (GARBLED_FLAG, "garbled")):
                if flag in a["flags"]:
                    o.groups.setdefault(group, []).append(a["id"])
        for s in self.doc["stories"]:
            for claim in s["claims"]:
                if not claim["disputes"]:
                    continue
                for name in {self.outlet[x] for x in claim["articles"] if x in self.outlet}:
                    outlets[name].disputed_claims += 1
                for aid in claim["articles"]:
                    o = outlets.get(self.outlet.get(aid, ""))
                    if o is not None and aid not in o.ids("disputed"):
                        o.groups.setdefault("disputed", []).append(aid)
        return dict(sorted(outlets.items(), key=lambda kv: (-len(kv[1].articles), kv[0].lower())))

    def sentence(self, article_id: str, n: Any) -> str | None:
        """Sentence n of an article, or None when the reference points nowhere."""
        a = self.arts.get(article_id)
        if a is None or not isinstance(n, int) or not 0 <= n < len(a["sentences"]):
            return None
        return a["sentences"][n]

    def title(self, article_id: str) -> str:
        a = self.arts.get(article_id)
        if a is None:
            return article_id
        return a["title"] or (a["sentences"][0][:80] if a["sentences"] else a["id"])


def _load_brief(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text("utf-8"))
    if not isinstance(doc, dict) or doc.get("schema") != brief_mod.SCHEMA_ID:
        raise ValueError(f"{path} is not a {brief_mod.SCHEMA_ID} document")
    return doc


def _compute_brief(workspace_path: Path) -> dict[str, Any]:
    from . import pipeline  # the pipeline and its models load only when a brief is computed

    with Workspace(workspace_path) as ws:  # stored per-story analysis makes this quick when little changed
        return brief_mod.to_dict(pipeline.run(ws))


def _empty_brief() -> dict[str, Any]:
    return {"schema": brief_mod.SCHEMA_ID, "generated_at": "", "articles": [], "stories": []}


UPLOAD_MAX_BYTES = 50 * 1024 * 1024
UPLOAD_MAX_FILES = 50


@dataclass
class Upload:
    """Files or a pasted page being read into the workspace, as the Upload page reports it."""

    id: int
    what: str
    state: str = "reading"  # reading | analysing | done | failed
    read: int = 0
    added: list[str] = field(default_factory=list)
    existing: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Change:
    """What the last update brought: new articles and the stories they are in."""

    at: str
    articles: int
    stories: list[tuple[str, str, bool]]  # (id, headline, is a new story)


class Live:
    """Keeps the app's view in step with the workspace.

    `check()` compares the workspace's article count with the view's; when articles were added (by a
    separate `newsweave ingest`, or uploaded here) it says so, computes the brief again and swaps it in.
    `serve` runs it every few seconds in a thread (`start`); an upload runs it as soon as its articles are in.
    """

    def __init__(self, app: FastAPI, workspace_path: Path, brief_path: Path | None, poll: float) -> None:
        self.app, self.workspace_path, self.brief_path, self.poll = app, workspace_path, brief_path, poll
        self.updating: str | None = None
        self.change: Change | None = None
        self.error: str | None = None
        self.uploads: list[Upload] = []
        self.seen: int | None = None  # workspace article count the view reflects; None: not computed yet
        self.brief_mtime = brief_path.stat().st_mtime if brief_path is not None else None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def articles_in_workspace(self) -> int:
        conn = sqlite3.connect(self.workspace_path / DB_NAME, timeout=10)
        try:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        finally:
            conn.close()

    def check(self, force: bool = False) -> None:
        """One round: reload a rewritten brief.json, or recompute when the workspace has new articles."""
        with self._lock:
            if self.brief_path is not None and self.brief_path.exists():
                mtime = self.brief_path.stat().st_mtime
                if mtime != self.brief_mtime:  # `newsweave run` wrote it again
                    self.brief_mtime = mtime
                    self._swap(lambda: _load_brief(self.brief_path), None)
            if not (self.workspace_path / DB_NAME).exists():
                return
            now = self.articles_in_workspace()
            shown = len(self.app.state.view.doc["articles"])
            if self.seen is None and self.brief_path is not None and now == shown:
                self.seen = now  # the brief given already shows every article
            if now == self.seen and not force:
                return
            new = now - shown
            self.updating = (f"Preparing the brief from {count(now, 'article')}…" if not shown else
                             f"{count(new, 'new article')} — updating" if new > 0 else "Updating the brief…")
            self._swap(lambda: _compute_brief(self.workspace_path), now)

    def _swap(self, load: Any, seen: int | None) -> None:
        old = self.app.state.view
        try:
            view = View(load())
        except Exception as e:  # noqa: BLE001 - any failure leaves the old brief up, with one line why
            self.error = f"Updating failed; still showing the earlier brief. ({type(e).__name__}: {e})"
            view = None
        finally:
            self.updating = None
        if seen is not None:
            self.seen = seen  # also after a failure: try again when more articles arrive, not in a loop
        if view is None:
            return
        self.error = None
        self.app.state.view = view
        added = [a for a in view.arts if a not in old.arts]
        if added and old.arts:
            touched = {s["id"]: s for a in added for s in view.stories_of.get(a, [])}
            self.change = Change(datetime.now().strftime("%H:%M:%S"), len(added),
                                 [(s["id"], s["headline"], s["id"] not in old.stories) for s in touched.values()])

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except (sqlite3.Error, OSError) as e:  # e.g. locked by a long write, brief.json replaced: next round
                self.error = f"Could not read the workspace ({e}); trying again."
            self._wake.wait(self.poll)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="newsweave-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def ingest(self, job: Upload, paths: list[Path], records: list[RawDoc]) -> None:
        """Read uploaded files or a pasted page into the workspace, then update the view (in a thread)."""
        from .ingest import ingest

        def progress(_source: str) -> None:
            job.read += 1

        try:
            with Workspace(self.workspace_path) as ws:
                report = ingest(ws, paths, records, on_progress=progress,
                                           on_error=lambda e: job.errors.append(f"{e.source}: {e.reason}"))
            job.added, job.existing = report.added, len(report.existing)
            job.state = "analysing"
            self.check(force=False)
            job.state = "done" if job.added or job.existing else "failed"
        except Exception as e:  # noqa: BLE001 - the upload page shows the reason; the server keeps running
            job.errors.append(f"{type(e).__name__}: {e}")
            job.state = "failed"


SORTS = {"recent": "latest first", "articles": "most articles", "sources": "most independent sources"}


def _day(text: str, what: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"The {what} date must be written YYYY-MM-DD.") from None


def filter_stories(v: View, since: str, until: str, lang: str, outlet: str, sort: str) -> list[dict[str, Any]]:
    """The home page's stories: those in the date range with an article in the language and from the outlet
    asked for, sorted. Raises ValueError (with a message for the reader) on a malformed date or sort."""
    if sort not in SORTS:
        raise ValueError(f"Sort by one of: {', '.join(SORTS)}.")
    since, until = (_day(since, "from") if since else ""), (_day(until, "to") if until else "")
    out = []
    for s in v.doc["stories"]:
        start, end = s.get("start"), s.get("end") or s.get("start")
        if (since or until) and not start:
            continue
        if (since and end < since) or (until and start > until):
            continue
        arts = [v.arts[a] for a in s["articles"] if a in v.arts]
        if lang and not any(a["language"] == lang for a in arts):
            continue
        if outlet and not any(v.outlet[a["id"]] == outlet for a in arts):
            continue
        out.append(s)
    if sort == "recent":
        out.sort(key=lambda s: s.get("end") or s.get("start") or "", reverse=True)
    else:
        out.sort(key=lambda s: len(s["articles"]) if sort == "articles" else s["independent_sources"], reverse=True)
    return out


def same_origin_only(request: Request, what: str) -> None:
    """Refuse a state-changing POST that a page of another site made the user's browser send.

    Browsers say where a request comes from in Sec-Fetch-Site; under this app's `Referrer-Policy:
    no-referrer` Chromium sends `Origin: null` even from the app's own form, so Origin decides only for
    browsers that send no Sec-Fetch-Site. A client sending neither (curl, scripts) is not a browser that a
    page could steer.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        ok = site in ("same-origin", "none")  # "none": the user's own action (typed, bookmarked)
    else:
        origin = request.headers.get("origin")
        ok = origin is None or urlsplit(origin).netloc == request.headers.get("host")
    if not ok:
        raise HTTPException(403, f"{what} is only accepted from this app's own pages.")


def create_app(workspace_path: str | Path, brief_path: Path | None = None,
               allowed_hosts: list[str] | None = None, live: bool = False, poll: float = 2.0) -> FastAPI:
    """The web app over a workspace and its brief.json (computed from the workspace when not given).

    With `live` (what `serve` uses) the app answers at once and keeps up with the workspace in a thread:
    the brief is computed in the background, and articles added later are noticed and brought in.
    Without it the brief is read or computed before this returns, and changes only on Refresh or upload.
    """
    workspace_path = Path(workspace_path)
    brief_path = Path(brief_path) if brief_path is not None else None
    has_workspace = (workspace_path / DB_NAME).exists()
    if brief_path is None and not has_workspace:
        raise FileNotFoundError(f"no workspace at {workspace_path} (and no brief.json given)")

    def load() -> dict[str, Any]:
        return _load_brief(brief_path) if brief_path is not None else _compute_brief(workspace_path)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if live:
            watcher.start()
        yield
        watcher.stop()

    app = FastAPI(title="newsweave", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    watcher = Live(app, workspace_path, brief_path, poll)
    app.state.live = watcher
    if live:
        app.state.view = View(_load_brief(brief_path) if brief_path is not None else _empty_brief())
    else:
        seen = watcher.articles_in_workspace() if has_workspace else None
        app.state.view = View(load())
        watcher.seen = seen
    refresh_lock = threading.Lock()
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOCAL_HOSTS)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def view() -> View:
        return app.state.view

    def page(name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        v = view()
        ctx.setdefault("autoreload", False)
        html = _env.get_template(name).render(v=v, doc=v.doc, has_workspace=has_workspace, live=watcher, **ctx)
        return HTMLResponse(html, status_code=status_code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return page("error.html.j2", status_code=exc.status_code, status=exc.status_code, detail=exc.detail)

    @app.get("/", response_class=HTMLResponse)
    def index(since: str = "", until: str = "", lang: str = "", outlet: str = "",
              sort: str = "recent") -> HTMLResponse:
        v = view()
        try:
            stories = filter_stories(v, since, until, lang, outlet, sort or "recent")
        except ValueError as e:
            raise HTTPException(400, str(e)) from None
        return page("index.html.j2", autoreload=True, stories=stories, f={"since": since, "until": until, "lang": lang,
                                                          "outlet": outlet, "sort": sort}, sorts=SORTS)

    @app.get("/story/{story_id}", response_class=HTMLResponse)
    def story(story_id: str) -> HTMLResponse:
        s = view().stories.get(story_id)
        if s is None:
            raise HTTPException(404, "No story with this id in the brief.")
        return page("story.html.j2", s=s, graph=copy_graph(s, view()), axis=timeline_axis(s))

    @app.get("/article/{article_id}", response_class=HTMLResponse)
    def article(article_id: str) -> HTMLResponse:
        a = view().arts.get(article_id)
        if a is None:
            raise HTTPException(404, "No article with this id in the brief.")
        return page("article.html.j2", a=a)

    @app.get("/outlets", response_class=HTMLResponse)
    def outlets() -> HTMLResponse:
        return page("outlets.html.j2", groups=OUTLET_GROUPS)

    @app.get("/outlet/{name:path}", response_class=HTMLResponse)
    def outlet(name: str) -> HTMLResponse:
        o = view().outlets.get(name)
        if o is None:
            raise HTTPException(404, "No outlet with this name in the brief.")
        return page("outlet.html.j2", o=o, groups=OUTLET_GROUPS)

    @app.get("/people", response_class=HTMLResponse)
    def people() -> HTMLResponse:
        return page("people.html.j2", types=ENTITY_TYPES)

    @app.get("/entity/{entity_id}", response_class=HTMLResponse)
    def entity(entity_id: str) -> HTMLResponse:
        p = view().people.get(entity_id)
        if p is None:
            raise HTTPException(404, "No person, organisation or place with this id in the brief.")
        return page("entity.html.j2", p=p)

    @app.get("/search", response_class=HTMLResponse)
    def search(q: str = "") -> HTMLResponse:
        shown = search_mod.clean(q)[:search_mod.MAX_CHARS]  # never echo a NUL or a 20 KB query
        if not q.strip():
            return page("search.html.j2", q="", results=None)
        if not has_workspace:
            return page("search.html.j2", status_code=400, q=shown, results=None,
                        problem="There is no workspace to search: start the app with --workspace.")
        try:
            with Workspace(workspace_path) as ws:  # per request: a connection belongs to its thread
                results = ws.search(q, SEARCH_LIMIT)
        except search_mod.QueryError as e:
            return page("search.html.j2", status_code=400, q=shown, results=None, problem=str(e))
        return page("search.html.j2", q=shown, results=results)

    @app.post("/refresh")
    def refresh(request: Request) -> Response:
        same_origin_only(request, "Refresh")
        if live:  # the watcher recomputes in its thread; the page says "updating" meanwhile
            watcher.updating = watcher.updating or "Updating the brief…"
            threading.Thread(target=watcher.check, kwargs={"force": True}, daemon=True).start()
            return RedirectResponse("/", status_code=303)
        with refresh_lock:
            try:
                seen = watcher.articles_in_workspace() if has_workspace else None
                app.state.view = View(load())
                watcher.seen = seen
            except (OSError, ValueError) as e:  # e.g. brief.json half-written by a running `newsweave run`
                detail = f"The brief could not be read again; still showing the old one. ({e})"
                raise HTTPException(500, detail) from e
        return RedirectResponse("/", status_code=303)

    @app.get("/upload", response_class=HTMLResponse)
    def upload_page() -> HTMLResponse:
        jobs = list(reversed(watcher.uploads))
        busy = any(j.state in ("reading", "analysing") for j in jobs)
        return page("upload.html.j2", jobs=jobs, autoreload=True, busy=busy)

    @app.post("/upload")
    async def upload(request: Request) -> Response:
        same_origin_only(request, "Upload")
        if not has_workspace:
            raise HTTPException(400, "There is no workspace to add articles to: start the app with --workspace.")
        size = request.headers.get("content-length")
        if size is None or not size.isdigit() or int(size) > UPLOAD_MAX_BYTES:
            raise HTTPException(413 if size and size.isdigit() else 411,
                                f"An upload can be at most {UPLOAD_MAX_BYTES // 2**20} MB, with its length given.")
        try:
            form = await request.form(max_files=UPLOAD_MAX_FILES, max_fields=10, max_part_size=UPLOAD_MAX_BYTES)
        except (ValueError, KeyError) as e:  # malformed multipart, too many parts
            raise HTTPException(400, f"The upload could not be read: {e}") from None
        job = Upload(len(watcher.uploads) + 1, "")
        folder = workspace_path / "uploads" / f"{datetime.now():%Y%m%d-%H%M%S}-{job.id}"
        paths: list[Path] = []
        for i, f in enumerate(form.getlist("files")):
            if isinstance(f, str) or not f.filename:
                continue
            name = re.sub(r"[^\w.-]+", "_", PurePath(f.filename.replace("\\", "/")).name)[-100:].lstrip(".")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{i}-{name or 'upload'}"
            path.write_bytes(await f.read())
            paths.append(path)
        records = []
        html = form.get("html")
        if isinstance(html, str) and html.strip():
            url = form.get("url")
            url = safe_url(url.strip()) if isinstance(url, str) and url.strip() else None
            records.append(RawDoc(source=url or f"pasted page {job.id}", html=html, url=url))
        await form.close()
        if not paths and not records:
            raise HTTPException(400, "Choose one or more files, or paste a page's HTML.")
        job.what = ", ".join([p.name.split("-", 1)[1] for p in paths] + ["pasted page"] * len(records))
        watcher.uploads.append(job)
        threading.Thread(target=watcher.ingest, args=(job, paths, records), daemon=True).start()
        return RedirectResponse("/upload", status_code=303)

    @app.get("/api/brief")
    def api_brief() -> JSONResponse:
        return JSONResponse(view().doc)

    @app.get("/api/stories/{story_id}")
    def api_story(story_id: str) -> JSONResponse:
        s = view().stories.get(story_id)
        if s is None:
            raise HTTPException(404, "No story with this id in the brief.")
        return JSONResponse(s)

    return app


def server_config(app: FastAPI, port: int = DEFAULT_PORT) -> Any:
    """uvicorn's settings for the app on 127.0.0.1 (only there: the workspace is private)."""
    import uvicorn

    # Room for a request line far over the search cap, so an overlong query gets the app's own 400 and message.
    return uvicorn.Config(app, host=HOST, port=port, log_level="warning", h11_max_incomplete_event_size=64 * 1024)


def serve(app: FastAPI, port: int = DEFAULT_PORT) -> None:
    """Run the app until Ctrl+C or SIGTERM."""
    import uvicorn

    uvicorn.Server(server_config(app, port)).run()
