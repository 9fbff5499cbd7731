"""Render a brief as Markdown and as one self-contained HTML file (no external assets, all text escaped)."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(
    loader=PackageLoader("newsweave", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _md(text: Any) -> str:
    """Article text made inert in Markdown: no HTML, links or emphasis from untrusted input."""
    s = str(text if text is not None else "")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", s).replace("\n", " ")


def _cite(c: dict[str, Any], short: dict[str, str]) -> str:
    return f"[{short.get(c['article'], c['article'])}:{c['sentence']}]"


def to_markdown(doc: dict[str, Any]) -> str:
    """The brief.json document as Markdown."""
    arts = {a["id"]: a for a in doc["articles"]}
    short = {a["id"]: f"A{i + 1}" for i, a in enumerate(doc["articles"])}
    out: list[str] = [f"# newsweave brief", "", f"Generated {doc['generated_at']}; "
                      f"{len(doc['articles'])} articles, {len(doc['stories'])} stories.", ""]
    for s in doc["stories"]:
        span = " to ".join(dict.fromkeys(x for x in (s.get("start"), s.get("end")) if x)) or "undated"
        out += [f"## {_md(s['headline'])}", "",
                f"{len(s['articles'])} articles, {s['independent_sources']} independent sources; {span}.", ""]
        if s["summary"]:
            out += ["### Summary", ""]
            out += [f"- {_md(x['text'])} {' '.join(_cite(c, short) for c in x['citations'])}" for x in s["summary"]]
            out.append("")
        if s.get("key_facts"):
            out += ["### Key facts", ""]
            out += [f"- {_md(k['text'])} ({k['independent_sources']} independent sources)" for k in s["key_facts"]]
            out.append("")
        disputed = [c for c in s["claims"] if c["disputes"]]
        if disputed:
            out += ["### Disputed", ""]
            for c in disputed:
                out.append(f"- **Claim:** {_md(c['text'])} — attributed to {_md(', '.join(c['attributed_to']) or 'unattributed')}; "
                           f"{c['independent_sources']} independent sources")
                for d in c["disputes"]:
                    out.append(f"  - **{_md(d['by_name'])} {d['relation']}:** {_md(d['text'])} "
                               f"{_cite(d, short)}")
            out.append("")
        if s["quotes"]:
            out += ["### Who said what", ""]
            for q in s["quotes"]:
                out.append(f"- **{_md(q['speaker_name'])}** ({q['kind']}): \"{_md(q['text'])}\" {_cite(q, short)}")
            out.append("")
        if s["entities"]:
            out += ["### People and organisations", ""]
            for e in s["entities"]:
                roles = f" — {_md('; '.join(e['roles']))}" if e["roles"] else ""
                aliases = [x for x in e["aliases"] if x != e["name"]]
                also = f" (also: {_md(', '.join(aliases))})" if aliases else ""
                out.append(f"- **{_md(e['name'])}** [{e['type']}]{roles}{also}")
            out.append("")
        if s["timeline"]:
            out += ["### Timeline", ""]
            out += [f"- {t['date'] or 'undated'}: {_md(t['text'])} {_cite(t, short)}" for t in s["timeline"]]
            out.append("")
        out += ["### Sources", "", "| | outlet | date | title | copy of | flags |", "|---|---|---|---|---|---|"]
        for aid in s["articles"]:
            a = arts[aid]
            copy = ", ".join(f"{short.get(c['of'], c['of'])} ({c['kind']}, {c['share']:.0%})" for c in a["copies"])
            out.append(f"| {short[aid]} | {_md(a['outlet'] or '—')} | {a['published'] or '—'} | "
                       f"{_md(a['title'] or a['sentences'][0][:80])} | {copy or '—'} | {_md(', '.join(a['flags'])) or '—'} |")
        out.append("")
    return "\n".join(out)


def to_html(doc: dict[str, Any]) -> str:
    """The brief.json document as one self-contained, escaped HTML page."""
    short = {a["id"]: f"A{i + 1}" for i, a in enumerate(doc["articles"])}
    return _env.get_template("brief.html.j2").render(doc=doc, short=short,
                                                     arts={a["id"]: a for a in doc["articles"]})
