"""Optional LLM writer: an OpenAI-compatible endpoint rewords the extractive summary, then every written
sentence is checked against the sentences it cites and kept only when they support it.

A written sentence is supported when it is close in meaning to its sources (MiniLM) and keeps their
names, numbers and negations (none dropped, none added). Unsupported sentences are dropped and the
extractive sentences they stood for come back verbatim (flagged "writer-fallback"). Sentences that
assert or deny a disputed claim are never sent: they stay verbatim, in order. When the endpoint fails
(timeout, error, unusable answer) the extractive summary is returned unchanged.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import replace

import numpy as np

from . import embed
from .model import Article, SummarySentence

log = logging.getLogger(__name__)

SUPPORTED = 0.7  # MiniLM cosine to the cited sentences a written sentence needs

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n['\u2019]t\b",
                       re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w\u00c0-\u024f'-]+")
_LINE = re.compile(r"^\s*(?:[-*\d.)]+\s+)?(.+?)\s*\[(\d+(?:\s*,\s*\d+)*)\]\s*[.]?\s*$")

PROMPT = (
    "Rewrite these numbered news sentences as a short, fluent summary in plain English. Rules: use only "
    "facts stated in the sentences; keep every name, number and negation; do not add opinions or "
    "background. Write one sentence per line and end each line with the numbers of the sentences it "
    "uses in square brackets, like [1] or [2, 3]. No other text.\n\n"
)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _names(text: str) -> set[str]:
    return {m.lower() for m in _NAME.findall(text)}


def check(written: str, sources: list[str]) -> list[str]:
    """Why `written` is not supported by `sources` (empty when it is)."""
    problems = []
    joined = " ".join(sources)
    vecs = embed.english().encode([written, joined, *sources])
    if float(np.max(vecs[1:] @ vecs[0])) < SUPPORTED:
        problems.append("meaning differs from the cited sentences")
    if extra := _numbers(written) - _numbers(joined):
        problems.append(f"numbers not in the sources: {', '.join(sorted(extra))}")
    if missing := _numbers(joined) - _numbers(written):
        problems.append(f"numbers dropped: {', '.join(sorted(missing))}")
    source_words = set(re.findall(r"[\w'-]+", joined.lower()))
    if extra_names := {n for n in _names(written) if n not in source_words}:
        problems.append(f"names not in the sources: {', '.join(sorted(extra_names))}")
    if bool(_NEGATION.search(written)) != bool(_NEGATION.search(joined)):
        problems.append("negation added or dropped")
    return problems


def _endpoint(llm_url: str) -> str:
    url = llm_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


def _complete(prompt: str, llm_url: str, model: str, timeout: float) -> str:
    body = json.dumps({"model": model, "temperature": 0, "messages": [{"role": "user", "content": prompt}]})
    req = urllib.request.Request(_endpoint(llm_url), data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.load(resp)["choices"][0]["message"]["content"]


def _source_texts(s: SummarySentence, articles_by_id: dict[str, Article]) -> list[str]:
    texts = []
    for c in s.citations:
        a = articles_by_id.get(c.article)
        if a is not None and 0 <= c.sentence < len(a.sentences):
            texts.append(a.sentences[c.sentence])
    return texts or [s.text]


def rewrite(
    summary: list[SummarySentence],
    articles_by_id: dict[str, Article],
    llm_url: str,
    model: str = "local",
    timeout: float = 60,
) -> list[SummarySentence]:
    """The summary reworded by the LLM at `llm_url`, each kept sentence checked against its sources."""
    free = [i for i, s in enumerate(summary) if not {"disputed", "dispute"} & set(s.flags)]
    if not free:
        return summary
    prompt = PROMPT + "\n".join(f"[{n + 1}] {summary[i].text}" for n, i in enumerate(free))
    try:
        answer = _complete(prompt, llm_url, model, timeout)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError, TypeError) as e:
        log.warning("LLM writer at %s failed (%s); keeping the extractive summary", llm_url, e)
        return summary
    written: list[tuple[int, SummarySentence]] = []  # (position of its first source, sentence)
    covered: set[int] = set()
    for line in answer.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        refs = sorted({int(x) - 1 for x in m.group(2).split(",")} & set(range(len(free))))
        if not refs:
            continue
        sources = [summary[free[r]] for r in refs]
        problems = check(m.group(1), [t for s in sources for t in _source_texts(s, articles_by_id)])
        if problems:
            log.info("writer sentence dropped (%s): %s", "; ".join(problems), m.group(1))
            continue
        citations = list({(c.article, c.sentence): c for s in sources for c in s.citations}.values())
        also = list({(c.article, c.sentence): c for s in sources for c in s.also}.values())
        written.append((free[refs[0]], SummarySentence(m.group(1), citations, also, written=True)))
        covered.update(free[r] for r in refs)
    if not written:
        log.warning("LLM writer at %s gave no supported sentence; keeping the extractive summary", llm_url)
        return summary
    # Extractive sentences no kept sentence covers come back verbatim, in their place.
    out = written + [(i, summary[i] if i not in free else replace(summary[i], flags=[*summary[i].flags,
                                                                                     "writer-fallback"]))
                     for i in range(len(summary)) if i not in covered]
    out.sort(key=lambda t: (t[0], not t[1].written))
    return [s for _, s in out]

