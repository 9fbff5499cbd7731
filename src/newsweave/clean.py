"""Clean article text: normalise, drop boilerplate lines with a reason, split sentences.

Boilerplate is scored, not matched: each line gets evidence from several signals (cue phrases, code or
error shapes, being a short fragment outside the body, repeating the title or lines of other articles of
the same outlet, an author bio after a byline) and is dropped when the evidence passes a threshold.
A real sentence in the body of an article needs strong evidence to go, a short fragment at the edge
of a page needs little.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .model import Removal

_QUOTES = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
}
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\ufeff]")


def normalize(text: str) -> str:
    """NFKC, straight quotes, no control characters, single spaces, paragraphs kept as blank lines."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    text = text.translate(str.maketrans(_QUOTES))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2026", "...")
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(lines).strip()


def text_key(text: str) -> str:
    """The form of a text that identity hashes are taken from: case and spacing folded."""
    return re.sub(r"\s+", " ", normalize(text)).strip().lower()


# Cue phrases of page furniture. Each hit is evidence, not a verdict: a cue inside a long sentence
# that reads as prose ("readers were asked to subscribe ...") scores too low to be removed.
_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("comment-prompt", re.compile(
        r"^(leave a (comment|reply)|post a comment|add a comment|click to comment|\d* ?comments?$|"
        r"please enter your (comment|name|email)|you must be logged in to post|"
        r"log ?in to (comment|reply)|cancel reply|your email address will not be published|"
        r"required fields are marked|save my name, email|notify me of)", re.I)),
    ("navigation", re.compile(
        r"^(previous (article|post|story)|next (article|post|story)|read (more|next|also)\b|"
        r"related (articles?|posts?|stories)|most (popular|read|viewed)|latest (posts?|news|stories)|"
        r"to top|back to top|skip to content|home ?[»>|/]|you may also like|recommended( for you)?|"
        r"trending( now)?|more from|see also|continue reading|tags?:|filed under|categor(y|ies):)", re.I)),
    ("share-subscribe", re.compile(
        r"^(share( this)?( (article|story|post))?( on)?\b|share via|tweet$|email$|print$|"
        r"(facebook|twitter|whatsapp|linkedin|telegram|pinterest|reddit)( ?[|,/] ?\w+)*$|"
        r"follow us|subscribe|sign up for|join our newsletter|get the latest|download our app|"
        r"advertisement$|sponsored( content)?$|copyright|\u00a9|all rights reserved)", re.I)),
    ("about-author", re.compile(r"^(about the author|author bio|written by\b|posted by\b)", re.I)),
    ("code-error", re.compile(
        r"((warning|notice|fatal error|parse error|deprecated)\s*:.*\bon line \d+|"
        r"\bundefined (variable|index|offset)\b|\.php\b|/home/\w+/|/public_html/|"
        r"Server Error in '/' Application|Microsoft OLE DB|Stack trace:|Traceback \(most recent)", re.I)),
]

_VERB_HINT = re.compile(
    r"\b(is|are|was|were|be|been|has|have|had|will|would|can|could|may|might|should|must|did|does|do|"
    r"said|says|told|asked|\w+ed|\w+s)\b", re.I)
_BYLINE = re.compile(r"^(?i:by)\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})\s*[:,|-]\s*", re.U)


@dataclass
class Cleaned:
    text: str
    paragraphs: list[str]
    title: str | None
    author: str | None
    removed: list[Removal]


def _looks_like_sentence(line: str) -> bool:
    words = line.split()
    return len(words) >= 8 and bool(re.search(r"[.!?\"')\]]$", line)) and bool(_VERB_HINT.search(line))


def _looks_like_headline(line: str) -> bool:
    words = line.split()
    if not 4 <= len(words) <= 25 or line.endswith((".", ":", ";", ",")):
        return False
    capitals = sum(1 for w in words if w[:1].isupper())
    return capitals >= 2


def score_line(line: str, *, at_edge: bool, title: str | None, outlet_lines: frozenset[str]) -> tuple[float, str]:
    """Evidence that `line` is page furniture, and the strongest reason. 1.0 or more means drop."""
    evidence: list[tuple[float, str]] = []
    words = line.split()
    sentence_like = _looks_like_sentence(line)
    for reason, pattern in _CUES:
        if pattern.search(line):
            # A cue at the start of a short line is furniture; inside prose it is weak evidence.
            weight = 0.6 if sentence_like and reason != "code-error" else 1.2
            evidence.append((weight, reason))
    if at_edge and len(words) <= 4 and not re.search(r"[.!?]$", line):
        evidence.append((0.7, "short-fragment-at-edge"))
    if title and line.lower().rstrip(" .") == title.lower().rstrip(" ."):
        evidence.append((1.2, "repeats-title"))
    if line.lower() in outlet_lines:
        evidence.append((0.9 if not sentence_like else 0.5, "repeated-across-outlet"))
    if re.search(r"[{}$<>]|&\w+;|\b\w+\(\)", line):
        evidence.append((0.4, "markup-or-code"))
    if not evidence:
        return 0.0, ""
    total = sum(w for w, _ in evidence)
    if at_edge:
        total += 0.3
    return total, max(evidence)[1]


def clean_text(text: str, *, title: str | None = None, outlet_lines: Iterable[str] = ()) -> Cleaned:
    """Clean text that arrives already stripped of HTML (or extracted from it).

    `outlet_lines` are lines (lower-cased) seen in other articles of the same outlet: a line every page of
    a site repeats is furniture of that site.
    """
    lines = [ln for ln in normalize(text).split("\n")]
    known = frozenset(outlet_lines)
    removed: list[Removal] = []
    author: str | None = None

    # The body is the span between the first and last sentence-like lines; lines outside it are "at the edge".
    content_idx = [i for i, ln in enumerate(lines) if ln and _looks_like_sentence(ln)]
    first_body = content_idx[0] if content_idx else 0
    last_body = content_idx[-1] if content_idx else len(lines) - 1

    # A headline-like line before the body becomes the title, when the input gave none.
    found_title = title
    keep: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if not line:
            keep.append((i, ""))
            continue
        at_edge = i < first_body or i > last_body
        score, reason = score_line(line, at_edge=at_edge, title=found_title, outlet_lines=known)
        if score >= 1.0:
            removed.append(Removal(line, reason))
            continue
        if found_title is None and i < first_body and _looks_like_headline(line):
            found_title = re.sub(r"\s+[|\u2013\u2014-]\s+[^|]{1,30}$", "", line)  # "Headline | Section"
            removed.append(Removal(line, "title"))
            continue
        keep.append((i, line))

    # A byline opening the body ("By Jane Doe: ...") names the author; a closing paragraph that starts
    # with that name is the author's bio, not news.
    for k, (i, line) in enumerate(keep):
        if not line:
            continue
        m = _BYLINE.match(line)
        if m:
            author = m.group(1)
            removed.append(Removal(line[: m.end()].strip(), "byline"))
            keep[k] = (i, line[m.end():])
        break
    if author:
        surname = author.split()[-1]
        tail = [k for k, (i, ln) in enumerate(keep) if ln and i >= last_body - 1]
        for k in tail:
            ln = keep[k][1]
            if ln.startswith(author) or (ln.startswith(surname) and " is " in ln[:80]):
                if re.search(r"\b(is|was) (a |an |the )?(professor|journalist|reporter|editor|writer|"
                             r"correspondent|author|analyst|fellow|columnist)", ln, re.I) or \
                        re.search(r"\s[-\u2013\u2014]\s+is\b", ln):
                    removed.append(Removal(ln, "author-bio"))
                    keep[k] = (keep[k][0], "")

    # A line break is a paragraph break, except in hard-wrapped text: a line that stops mid-sentence
    # and a next line that starts in lower case are one paragraph.
    paragraphs: list[str] = []
    for _, line in keep:
        if not line:
            continue
        if paragraphs and not re.search(r"[.!?:\"')\]]$", paragraphs[-1]) and line[:1].islower():
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
    return Cleaned("\n\n".join(paragraphs), paragraphs, found_title, author, removed)


@lru_cache(maxsize=1)
def _sentencizer():  # noqa: ANN202 - spaCy Language
    import spacy

    # spaCy's tokenizer knows abbreviations ("U.S.", "Mr.") so the rule-based sentencizer does not split
    # on them; it runs at tens of thousands of sentences a second, unlike a parser.
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


_ORPHAN = re.compile(r'^["\')\].,;:]+$|^\.\.+$')


def split_sentences(paragraphs: list[str]) -> tuple[list[str], list[int]]:
    """Sentences of each paragraph, and the paragraph index of each sentence."""
    nlp = _sentencizer()
    sentences: list[str] = []
    para_of: list[int] = []
    for p_idx, doc in enumerate(nlp.pipe(paragraphs, batch_size=64)):
        for sent in doc.sents:
            s = sent.text.strip()
            if not s:
                continue
            # A lone closing quote or dot split off a sentence belongs to the one before it.
            if _ORPHAN.match(s) and sentences and para_of[-1] == p_idx:
                sentences[-1] = sentences[-1] + s
                continue
            # An opening quote left dangling at the end belongs to the next sentence.
            if sentences and para_of[-1] == p_idx and sentences[-1].endswith(' "') \
                    and sentences[-1].count('"') % 2 == 1:
                sentences[-1] = sentences[-1][:-2]
                s = '"' + s
            sentences.append(s)
            para_of.append(p_idx)
    return sentences, para_of
