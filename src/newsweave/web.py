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
import threading
from collections import Counter
from dataclasses import dataclass, field
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
OUTLET_GROUPS = (("originals", "originals", "copy no other article"),
                 ("copies", "copies", "copy another article word for word or nearly"),
                 ("rewrites", "rewrites", "reword another article"),
                 ("translations", "translations", "translate another article"),
                 ("copied", "copied by others", "are copied or rewritten by another outlet"),
                 ("mt", "machine-translated", "show signs of machine translation"),
                 ("garbled", "garbled names", "misspell names that other articles spell right"),
                 ("disputed", "carry disputed claims", "carry a claim that someone in the brief disputes"))


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
    from . import api  # the pipeline and its models load only when a brief is computed

    with Workspace(workspace_path) as ws:
        return brief_mod.to_dict(api.run(ws))


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
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """The web app over a workspace and its brief.json (computed from the workspace when not given)."""
    workspace_path = Path(workspace_path)
    brief_path = Path(brief_path) if brief_path is not None else None
    has_workspace = (workspace_path / DB_NAME).exists()
    if brief_path is None and not has_workspace:
        raise FileNotFoundError(f"no workspace at {workspace_path} (and no brief.json given)")

    def load() -> dict[str, Any]:
        return _load_brief(brief_path) if brief_path is not None else _compute_brief(workspace_path)

    app = FastAPI(title="newsweave", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.view = View(load())
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
        html = _env.get_template(name).render(v=v, doc=v.doc, has_workspace=has_workspace, **ctx)
        return HTMLResponse(html, status_code=status_code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return page("error.html.j2", status_code=exc.status_code, status=exc.status_code, detail=exc.detail)

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return page("index.html.j2")

    @app.get("/story/{story_id}", response_class=HTMLResponse)
    def story(story_id: str) -> HTMLResponse:
        s = view().stories.get(story_id)
        if s is None:
            raise HTTPException(404, "No story with this id in the brief.")
        return page("story.html.j2", s=s)

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
        with refresh_lock:
            try:
                app.state.view = View(load())
            except (OSError, ValueError) as e:  # e.g. brief.json half-written by a running `newsweave run`
                detail = f"The brief could not be read again; still showing the old one. ({e})"
                raise HTTPException(500, detail) from e
        return RedirectResponse("/", status_code=303)

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
