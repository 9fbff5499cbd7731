"""Render a brief as Markdown and as one self-contained HTML file (no external assets, all text escaped).

Both renderers read the brief.json document (newsweave.brief.to_dict), so what a user reads is exactly
what scripts read. Every string that came from an article (titles, sentences, outlets, URLs, names) is
untrusted: Markdown gets it inert (no HTML, links or emphasis), HTML gets it through Jinja autoescaping,
and only http(s) URLs ever become links.

Each story is rendered on its own, and a `Parts` store keeps what each story rendered to under a digest of
everything the rendering reads (the story, the articles it refers to, their short names, this code): a run
that changed a few stories of thousands renders only those, and one that changed nothing renders none.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

_env = Environment(
    loader=PackageLoader("newsweave", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def safe_url(url: Any) -> str | None:
    """The URL when it is a plain http(s) address, else None (no javascript:, data: or relative links)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"[\s\"'<>`]", url):
        return None
    return url


def when(entry: dict[str, Any]) -> str:
    """A timeline date shown no more precisely than the text gave it."""
    date, precision = entry.get("date"), entry.get("precision", "day")
    if not date:
        return "undated"
    return {"year": date[:4], "month": date[:7], "week": f"week of {date}"}.get(precision, date)


Origin = Callable[[str, int], tuple[str, int]]


def _origin(arts: dict[str, Any]) -> Origin:
    """Where a sentence comes from: a copy's sentence maps, through the aligned sentence pairs of its copy
    relations, to the original's sentence (followed through copies of copies). An article's pairs are read
    when a lookup first reaches it: a brief's every story asks, and most articles are never reached."""
    aligned: dict[str, dict[int, tuple[str, int]]] = {}

    def pairs(article: str) -> dict[int, tuple[str, int]]:
        if article not in aligned:
            mine: dict[int, tuple[str, int]] = {}
            for c in arts.get(article, {}).get("copies", []):
                for pair in c.get("evidence", []):
                    mine.setdefault(int(pair[0]), (c["of"], int(pair[1])))
            aligned[article] = mine
        return aligned[article]

    def origin(article: str, sentence: int) -> tuple[str, int]:
        at = (article, sentence)
        for _ in range(8):  # copy chains are short; the bound guards against a cycle in hand-edited input
            step = pairs(at[0]).get(at[1])
            if step is None:
                break
            at = step
        return at

    return origin


def collapse_repeats(items: list[dict[str, Any]], origin: Origin) -> list[dict[str, Any]]:
    """Items citing a sentence (quotes, disputes), each shown once: an item repeated by a copy (the same
    sentence through the copy's alignment) or word for word by another article is folded into the first,
    which takes the original's place when the original comes later; the repeats go under `also`."""
    out: list[dict[str, Any]] = []
    seen: dict[Any, dict[str, Any]] = {}
    for item in items:
        root = origin(item["article"], item["sentence"])
        words = " ".join(re.findall(r"\w+", item["text"].lower()))
        first = seen.get(root) or seen.get(words)
        if first is None:
            first = {**item, "also": []}
            out.append(first)
        elif root == (item["article"], item["sentence"]) == origin(first["article"], first["sentence"]):
            if (first["article"], first["sentence"]) != root:  # not two statements of the one sentence
                first["also"].append({"article": first["article"], "sentence": first["sentence"]})
            first.update({**item, "also": first["also"]})
        else:
            cite = {"article": item["article"], "sentence": item["sentence"]}
            if cite not in first["also"] and cite != {"article": first["article"], "sentence": first["sentence"]}:
                first["also"].append(cite)  # two quotes of one sentence cite it once
        seen.setdefault(root, first)
        seen.setdefault(words, first)
    return out


# Cues that only say someone spoke; any other ("denied", "rejected", "accused") is part of what was said.
_PLAIN_CUES = {"said", "say", "says", "saying", "told", "tell", "tells", "telling", "stated", "states",
               "according to", "informed", "reported", "added", "adds", "explained", "noted", "wrote"}


def speakers(story: dict[str, Any], arts: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Quotes grouped by speaker (entity when known, else the name as written), with the speaker's roles,
    most quoted first, each quote once (`collapse_repeats`)."""
    entities = {e["id"]: e for e in story.get("entities", [])}
    origin = _origin(arts or {})
    groups: dict[str, dict[str, Any]] = {}
    for q in story.get("quotes", []):
        ent = entities.get(q.get("speaker") or "")
        key = ent["id"] if ent else "name:" + q["speaker_name"].strip().lower()
        g = groups.setdefault(key, {"name": ent["name"] if ent else q["speaker_name"],
                                    "roles": list(ent["roles"]) if ent else [], "quotes": []})
        g["quotes"].append(q)
    for g in groups.values():
        g["quotes"] = collapse_repeats(g["quotes"], _with_quote_gaps(origin, g["quotes"], arts or {}))
    return sorted(groups.values(), key=lambda g: -len(g["quotes"]))


def _with_quote_gaps(origin: Origin, quotes: list[dict[str, Any]], arts: dict[str, Any]) -> Origin:
    """`origin`, plus one speaker's quoted sentences that a copy relation leaves unaligned.

    Copy evidence never includes words inside quotation marks, so a spun copy's rewording of a quote
    ("I informed him that this is a choice with penalties") is not aligned with the original ("I told him
    that this is a decision with consequences"). Between two aligned sentences of a copy and its original,
    the same speaker's quotes are the same quotes, in order, when both sides hold as many of them."""
    sentences: dict[str, set[int]] = {}
    for q in quotes:
        sentences.setdefault(q["article"], set()).add(int(q["sentence"]))
    extra: dict[tuple[str, int], tuple[str, int]] = {}
    for aid, mine in sentences.items():
        for rel in arts.get(aid, {}).get("copies", []):
            theirs = sentences.get(rel["of"])
            if not theirs:
                continue
            anchors = sorted((int(h), int(t)) for h, t, *_ in rel.get("evidence", []))
            if not anchors:  # nothing places the quotes relative to each other
                continue
            here_aligned, there_aligned = {h for h, _ in anchors}, {t for _, t in anchors}
            gaps: dict[int, tuple[list[int], list[int]]] = {}
            for i in sorted(mine - here_aligned):
                gaps.setdefault(sum(h < i for h, _ in anchors), ([], []))[0].append(i)
            for j in sorted(theirs - there_aligned):
                gaps.setdefault(sum(t < j for _, t in anchors), ([], []))[1].append(j)
            for here, there in gaps.values():
                if here and len(here) == len(there):
                    extra.update({(aid, i): (rel["of"], j) for i, j in zip(here, there, strict=True)})
    if not extra:
        return origin
    return lambda article, sentence: origin(*extra.get((article, sentence), (article, sentence)))


def disputes(claim: dict[str, Any], arts: dict[str, Any] | None = None,
             story: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A claim's disputes, each once (`collapse_repeats`): a copy's repeat of a denial is not a new one.
    `who` is the disputing entity's name when it is resolved (one person: "Ana Petrov", never also
    "Petrov"), else the name as written."""
    names = {e["id"]: e["name"] for e in (story or {}).get("entities", [])}
    return [{**d, "who": names.get(d.get("by") or "", d["by_name"])}
            for d in collapse_repeats(claim.get("disputes", []), _origin(arts or {}))]


_ENTITY_GROUPS = (("PERSON", "People"), ("ORG", "Organisations"), ("GPE", "Places"),
                  ("NORP", "Nationalities and groups"))


def entity_groups(story: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The story's entities by kind (people first), each kind in the brief's order (most mentioned first)."""
    known = dict(_ENTITY_GROUPS)
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in story.get("entities", []):
        groups.setdefault(known.get(e["type"], "Other"), []).append(e)
    order = [*known.values(), "Other"]
    return [(h, groups[h]) for h in order if h in groups]


def _also_known(e: dict[str, Any]) -> str:
    aliases = [x for x in e["aliases"] if x != e["name"]]
    return f" (also: {_md(', '.join(aliases))})" if aliases else ""


def _md(text: Any) -> str:
    """Article text made inert in Markdown: no HTML, links or emphasis from untrusted input."""
    s = str(text if text is not None else "")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]#|!])", r"\\\1", s).replace("\n", " ")


def _cite(c: dict[str, Any], short: dict[str, str]) -> str:
    return f"[{short.get(c['article'], _md(c['article']))}:{c['sentence']}]"


def _cites(cs: list[dict[str, Any]], short: dict[str, str]) -> str:
    return " ".join(_cite(c, short) for c in cs)


def count(n: int, one: str, many: str | None = None) -> str:
    """'1 story', '3 stories', '0 articles'."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def _md_story(s: dict[str, Any], arts: dict[str, Any], short: dict[str, str]) -> list[str]:
    span = " to ".join(dict.fromkeys(x for x in (s.get("start"), s.get("end")) if x)) or "undated"
    out = [f"## {_md(s['headline'])}", "",
           f"{count(len(s['articles']), 'article')}, {count(s['independent_sources'], 'independent source')}; "
           f"{span}.", ""]
    if s["summary"]:
        out += ["### Summary", ""]
        for x in s["summary"]:
            marks = " (denial)" if "dispute" in x.get("flags", []) else ""
            marks += " (disputed, see below)" if "disputed" in x.get("flags", []) else ""
            marks += " (reworded by the writer)" if x.get("written") else ""
            also = f" — also {_cites(x['also'], short)}" if x.get("also") else ""
            out.append(f"- {_md(x['text'])} {_cites(x['citations'], short)}{marks}{also}")
        out.append("")
    if s.get("key_facts"):
        out += ["### Key facts", ""]
        out += [f"- {_md(k['text'])} — {k['independent_sources']} independent "
                f"source{'s' if k['independent_sources'] != 1 else ''} {_cites(k['citations'], short)}"
                for k in s["key_facts"]]
        out.append("")
    disputed = [c for c in s["claims"] if c["disputes"]]
    if disputed:
        out += ["### Disputed", "", "| claim | disputed by |", "|---|---|"]
        for c in disputed:
            who = _md(", ".join(c["attributed_to"]) or "in the articles' own words")
            claim = (f"{_md(c['text'])} — {who}; {c['independent_sources']} independent sources "
                     f"{_cites(c.get('citations', []), short)}")
            denials = "<br>".join(f"**{_md(d['who'])}** {_md(d['relation'])}: {_md(d['text'])} "
                                  f"{_cite(d, short)}" + (f" — also {_cites(d['also'], short)}" if d["also"] else "")
                                  for d in disputes(c, arts, s))
            out.append(f"| {claim} | {denials} |")
        out.append("")
    if s["quotes"]:
        out += ["### Who said what", ""]
        for g in speakers(s, arts):
            roles = f" ({_md('; '.join(g['roles']))})" if g["roles"] else ""
            out.append(f"- **{_md(g['name'])}**{roles}")
            for q in g["quotes"]:
                text = f"\u201c{_md(q['text'])}\u201d" if q["kind"] == "direct" else _md(q["text"])
                if q["kind"] == "reported" and q.get("cue") and q["cue"].lower() not in _PLAIN_CUES:
                    text = f"*{_md(q['cue'])}* {text}"  # "denied his country had sought help", not the reverse
                also = f" — also {_cites(q['also'], short)}" if q["also"] else ""
                out.append(f"  - {text} {_cite(q, short)}{also}")
        out.append("")
    if s["entities"]:
        out += ["### People and organisations", ""]
        for heading, group in entity_groups(s):
            if heading == "People":
                for e in group:
                    roles = f" — {_md('; '.join(e['roles']))}" if e["roles"] else ""
                    out.append(f"- **{_md(e['name'])}**{roles}{_also_known(e)}")
            else:
                out.append(f"- {heading}: " + ", ".join(f"{_md(e['name'])}{_also_known(e)}" for e in group))
        out.append("")
    if s["timeline"]:
        out += ["### Timeline", ""]
        for t in s["timeline"]:
            expr = f" ({_md(t['expression'])})" if t.get("expression") and t.get("date") else ""
            also = f" — also {_cites(t['also'], short)}" if t.get("also") else ""
            out.append(f"- **{when(t)}**{expr}: {_md(t['text'])} {_cite(t, short)}{also}")
        out.append("")
    out += ["### Sources", "", "| | outlet | date | title | copy of | flags |", "|---|---|---|---|---|---|"]
    for aid in s["articles"]:
        a = arts[aid]
        copy = ", ".join(f"{short.get(c['of'], _md(c['of']))} ({_md(c['kind'])}, {c['share']:.0%})"
                         for c in a["copies"])
        title = _md(a["title"] or a["sentences"][0][:80])
        url = safe_url(a.get("url"))
        title = f"{title} <{url}>" if url and not re.search(r"[<>]", url) else title
        out.append(f"| {short[aid]} | {_md(a['outlet'] or '—')} | {a['published'] or '—'} | "
                   f"{title} | {copy or '—'} | {_md(', '.join(a['flags'])) or '—'} |")
    out.append("")
    return out


def _code(*templates: str) -> str:
    here = files("newsweave")
    code = here.joinpath("render.py").read_bytes() + b"".join(here.joinpath("templates", t).read_bytes()
                                                              for t in templates)
    return hashlib.blake2b(code, digest_size=8).hexdigest()


_CODE = _code("story.html.j2")  # what a story's part depends on
PAGE_CODE = _code("story.html.j2", "brief.html.j2")  # what the whole page depends on


class Parts:
    """Rendered stories by digest, kept beside the brief between runs (one file, `load`/`save`)."""

    def __init__(self, stored: dict[str, str] | None = None) -> None:
        self.stored = stored or {}
        self.used: dict[str, str] = {}
        self._digests: dict[int, tuple[dict[str, Any], str]] = {}  # by story object, for md and html alike

    def digest(self, s: dict[str, Any], arts: dict[str, Any], short: dict[str, str]) -> str:
        """A digest of everything rendering story `s` reads: it, its articles and those it cites or copies."""
        known = self._digests.get(id(s))
        if known is None or known[0] is not s:
            known = (s, _story_digest(s, arts, short))
            self._digests[id(s)] = known
        return known[1]

    # The file: one line of JSON, [[key, length in bytes], ...], then the parts' UTF-8 one after another. The
    # parts of a 10,000-article brief are ~100 MB of HTML: as one JSON document they took 0.7 s to read back.

    @classmethod
    def load(cls, path: str | Path) -> Parts:
        """The parts saved at `path`; none when it is missing or unreadable (they are only a cache)."""
        try:
            data = Path(path).read_bytes()
            head, _, body = data.partition(b"\n")
            index = orjson.loads(head)
            if sum(n for _, n in index) != len(body):
                return cls()  # cut short
            stored, at = {}, 0
            for key, n in index:
                stored[key] = body[at: at + n].decode("utf-8")
                at += n
        except (OSError, ValueError, TypeError):  # orjson's and UTF-8's errors are ValueErrors
            return cls()
        return cls(stored)

    def save(self, path: str | Path) -> None:
        """Keep the parts this render used (and no others); written beside, then renamed over the old file."""
        if self.used.keys() == self.stored.keys():
            return
        path = Path(path)
        partial = path.with_name(f".{path.name}.partial")
        texts = {k: v.encode("utf-8") for k, v in self.used.items()}
        with partial.open("wb") as f:
            f.write(orjson.dumps([[k, len(v)] for k, v in texts.items()]) + b"\n")
            for v in texts.values():
                f.write(v)
        os.replace(partial, path)

    def get(self, key: str, make: Callable[[], str]) -> str:
        text = self.stored.get(key)
        if text is None:
            text = make()
        self.used[key] = text
        return text


# Where a story's data cites an article (quotes, claims, summary, timeline and their "also").
_CITED = re.compile(rb'"article":"([^"\\]+)"')


def _story_digest(s: dict[str, Any], arts: dict[str, Any], short: dict[str, str]) -> str:
    story = orjson.dumps(s, option=orjson.OPT_NON_STR_KEYS)
    ids: set[str] = set(s["articles"]) | {m.decode() for m in _CITED.findall(story)}
    for aid in s["articles"]:
        if aid in arts:
            ids.update(c["of"] for c in arts[aid]["copies"])
    seen = sorted(ids)
    around = orjson.dumps([_CODE, [arts.get(a) for a in seen], [short.get(a) for a in seen]],
                          option=orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(story + around, digest_size=16).hexdigest()


def to_markdown(doc: dict[str, Any], parts: Parts | None = None) -> str:
    """The brief.json document as Markdown (stories already rendered are taken from `parts`)."""
    parts = parts or Parts()
    arts = {a["id"]: a for a in doc["articles"]}
    short = {a["id"]: f"A{i + 1}" for i, a in enumerate(doc["articles"])}
    out: list[str] = ["# newsweave brief", "", f"Generated {_md(doc['generated_at'])}; "
                      f"{count(len(doc['articles']), 'article')}, {count(len(doc['stories']), 'story', 'stories')}. "
                      "Citations [A1:3] name an article (see Sources) and a sentence number (from 0).", ""]
    if doc.get("notes"):
        out += ["**Not everything could be done:**", ""] + [f"- {_md(n)}" for n in doc["notes"]] + [""]
    for s in doc["stories"]:
        out.append(parts.get("md" + parts.digest(s, arts, short), lambda s=s: "\n".join(_md_story(s, arts, short))))
    return "\n".join(out)


def to_html(doc: dict[str, Any], parts: Parts | None = None) -> str:
    """The brief.json document as one self-contained, escaped HTML page (stories already rendered are taken
    from `parts`)."""
    parts = parts or Parts()
    short = {a["id"]: f"A{i + 1}" for i, a in enumerate(doc["articles"])}
    arts = {a["id"]: a for a in doc["articles"]}
    story = _env.get_template("story.html.j2")

    def section(s: dict[str, Any]) -> str:
        return story.render(s=s, short=short, arts=arts, safe_url=safe_url, when=when, speakers=speakers,
                            entity_groups=entity_groups, count=count, disputes=disputes)

    # Each part was rendered with autoescaping from the brief's data; joined as the markup it is.
    story_parts = [Markup(parts.get("html" + parts.digest(s, arts, short), lambda s=s: section(s)))
                   for s in doc["stories"]]
    return _env.get_template("brief.html.j2").render(doc=doc, story_parts=story_parts, count=count)
