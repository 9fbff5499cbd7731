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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .model import Removal

_QUOTES = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
}
_COMPAT = re.compile(r"[\ufb00-\ufb4f\uff01-\uff5e\u2000-\u200a\u202f\u205f\u3000]")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\ufeff]")


# spaCy's tokenizer peels punctuation off a token one mark at a time, rescanning the rest each time: a run
# of 8,000 quotation marks took 27 s, 50,000 would take hours. No wording has a longer run than this.
_PUNCT_RUN = re.compile(r"[^\w\s]{101,}")


def normalize(text: str) -> str:
    """NFC, straight quotes, no control characters, single spaces, paragraphs kept as blank lines."""
    # NFC keeps the wording as written ("1/2" stays "½", "km²" stays); only ligatures, full-width
    # forms and odd spaces get the compatibility fold, as they are layout, not wording.
    text = unicodedata.normalize("NFC", text)
    text = _COMPAT.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = _CONTROL.sub("", text)
    text = text.translate(str.maketrans(_QUOTES))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2026", "...")
    text = _PUNCT_RUN.sub(lambda m: m.group()[:100], text)
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
        r"^(share( this( article| story| post)?| on| via)?\b(?! (prices?|of|in|holders?)\b)|"
        r"tweet$|email$|print$|"
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
_READER = re.compile(r"\b(our|your|you|us)\b", re.I)
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


_DANGLING = frozenset("a an the of on in at to for from by with and or but as that than".split())


def _looks_like_headline(line: str) -> bool:
    words = line.split()
    if not 4 <= len(words) <= 25 or line.endswith((".", ":", ";", ",")):
        return False
    if words[-1].lower() in _DANGLING:  # a hard-wrapped line stops mid-sentence; a headline does not
        return False
    capitals = sum(1 for w in words if w[:1].isupper())
    return capitals >= 2


def score_line(
    line: str, *, at_edge: bool, title: str | None, outlet_lines: frozenset[str]
) -> tuple[float, str]:
    """Evidence that `line` is page furniture, and the strongest reason. 1.0 or more means drop."""
    evidence: list[tuple[float, str]] = []
    words = line.split()
    sentence_like = _looks_like_sentence(line)
    for reason, pattern in _CUES:
        m = pattern.search(line)
        if not m:
            continue
        if reason == "code-error":
            weight = 1.2
        elif sentence_like:
            # A cue inside prose is weak evidence, unless the line sits outside the body and talks to the
            # reader ("You must be logged in to post a comment."): that is the site, not the story.
            weight = 0.6 + (0.3 if at_edge and _READER.search(line) else 0.0)
        elif not re.search(r"\w", line[m.end():]):
            weight = 1.2  # the line is the cue ("Most Popular", "Leave a Reply", "Please enter your name")
        else:
            # A cue opening a longer line ("Previous article<headline>") is furniture at the edge of
            # the page but may be a subheading in the body ("Most popular routes"); the site talking
            # to its reader ("Sign up for our newsletter") tips it.
            weight = 0.7 + (0.4 if _READER.search(line) else 0.0)
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


_NAME_IS = re.compile(r"^([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})\s*(?:[,\u2013\u2014-]\s*)?"
                      r"(?:is|was|has been|joined)\b")
_ROLE = re.compile(
    r"\b(professor|lecturer|journalist|reporter|editor|writer|correspondent|author|analyst|fellow|columnist|"
    r"researcher|contributor|freelancer?|blogger|commentator|producer|student|graduate)\b", re.I)
_BIO_CUES = re.compile(
    r"\b(prior to (that|this|joining)|previously (worked|served|was)|before joining|is the author of|"
    r"(he|she|they) (holds|has written|writes|teaches|covers|lives|directed)|"
    r"(his|her|their) (work|writing) has|"
    r"has (written|reported) for|follow (him|her|them) on|can be reached at|graduated from|holds an? "
    r"(degree|ph\.?d|master)|where (he|she|they) also)\b", re.I)
_ATTRIBUTION = re.compile(r"\b(said|says|told|according to|announced)\b|\"", re.I)


def bio_score(paragraph: str, author: str | None, *, at_end: bool, after_about: bool) -> float:
    """Evidence that a paragraph describes the writer rather than the news; 1.1 or more means drop.

    A bio names a person and what they are ("X is Professor of ..."), says more about their career,
    and sits at the end of the page or under an "About the author" heading; news about a person
    quotes or attributes, which counts against.
    """
    score = 0.0
    m = _NAME_IS.match(paragraph)
    if m:
        score += 0.4
        if author and author.split()[-1] in m.group(1):
            score += 0.3
    head = " ".join(paragraph.split()[:18])
    if _ROLE.search(head):
        score += 0.3
    score += min(0.4, 0.2 * len(_BIO_CUES.findall(paragraph)))
    score += 0.3 if at_end else 0.0
    score += 0.6 if after_about else 0.0
    if _ATTRIBUTION.search(paragraph):
        score -= 0.5
    return score


def clean_text(text: str, *, title: str | None = None, outlet_lines: Iterable[str] = ()) -> Cleaned:
    """Clean text that arrives already stripped of HTML (or extracted from it).

    `outlet_lines` are lines (lower-cased) seen in other articles of the same outlet: a line every page of
    a site repeats is furniture of that site.
    """
    lines = [ln for ln in normalize(text).split("\n")]
    known = frozenset(outlet_lines)
    removed: list[Removal] = []
    removed_at: list[tuple[int, str]] = []
    author: str | None = None

    # The body is the span between the first and last sentence-like lines; lines outside it are "at the edge".
    # A sentence-shaped line that opens with a furniture cue does not extend the body.
    content_idx = [i for i, ln in enumerate(lines)
                   if ln and _looks_like_sentence(ln) and not any(p.search(ln) for _, p in _CUES)]
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
            removed_at.append((i, reason))
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
    nonempty = [k for k, (_, ln) in enumerate(keep) if ln]
    tail = set(nonempty[-2:])
    about_at = min((i for i, r in removed_at if r == "about-author"), default=None)
    for k in nonempty:
        i, ln = keep[k]
        after_about = about_at is not None and i > about_at
        at_end = k in tail
        if (at_end or after_about) and bio_score(ln, author, at_end=at_end, after_about=after_about) >= 1.1:
            removed.append(Removal(ln, "author-bio"))
            keep[k] = (i, "")

    # A line break is a paragraph break, except in hard-wrapped text: a line that stops mid-sentence
    # and a next line that starts in lower case (or after "on", "the", ...) are one paragraph.
    paragraphs: list[str] = []
    for _, line in keep:
        if not line:
            continue
        if paragraphs and not re.search(r"[.!?:\"')\]]$", paragraphs[-1]) and (
                line[:1].islower() or paragraphs[-1].rsplit(" ", 1)[-1].lower() in _DANGLING):
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
    return Cleaned("\n\n".join(paragraphs), paragraphs, found_title, author, removed)


# Titles and month names that spaCy's English exceptions lack ("Lt. Col. Vindman", "RCMP Sgt. Tim Shields",
# "MAR. 14, 2013"): without them a sentence breaks after the title. Only words that rarely end a sentence.
_ABBREVIATIONS = (
    "Adm. Ald. Amb. Atty. Brig. Capt. Cllr. Cmdr. Col. Const. Cpl. Det. Fr. Hon. Insp. Lt. Maj. Msgr. Pres. "
    "Pvt. Sgt. Supt. Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec.").split()


@lru_cache(maxsize=1)
def _sentencizer():  # noqa: ANN202 - spaCy Language
    import spacy

    # spaCy's tokenizer knows abbreviations ("U.S.", "Mr.") so the rule-based sentencizer does not split
    # on them; it runs at tens of thousands of sentences a second, unlike a parser.
    nlp = spacy.blank("en")
    for abbr in _ABBREVIATIONS:
        for form in {abbr, abbr.upper(), abbr.lower()}:
            nlp.tokenizer.add_special_case(form, [{"ORTH": form}])
    nlp.add_pipe("sentencizer")
    return nlp


_ORPHAN = re.compile(r'^["\')\].,;:]+$|^\.\.+$')
# Characters of a paragraph split at once. A longer one (no line breaks in a megabyte of text) is cut at a
# space: spaCy refuses texts over its max_length (E088), and tokenizing megabytes at once takes gigabytes.
PIECE_CHARS = 100_000


def _pieces(paragraphs: list[str]) -> Iterator[tuple[int, str]]:
    for p_idx, text in enumerate(paragraphs):
        while len(text) > PIECE_CHARS:
            cut = text.rfind(" ", PIECE_CHARS // 2, PIECE_CHARS)
            cut = cut if cut > 0 else PIECE_CHARS
            yield p_idx, text[:cut]
            text = text[cut:]
        yield p_idx, text


def split_sentences(paragraphs: list[str]) -> tuple[list[str], list[int]]:
    """Sentences of each paragraph, and the paragraph index of each sentence.

    Every sentence is a slice of its paragraph (spans are merged, never re-joined), so citing a sentence
    always quotes the text exactly.
    """
    nlp = _sentencizer()
    sentences: list[str] = []
    para_of: list[int] = []
    pieces = list(_pieces(paragraphs))
    for (p_idx, _), doc in zip(pieces, nlp.pipe((t for _, t in pieces), batch_size=64), strict=True):
        text = doc.text
        spans: list[list[int]] = []
        for sent in doc.sents:
            start, end = sent.start_char, sent.end_char
            s = text[start:end].strip()
            if not s:
                continue
            start += len(text[start:end]) - len(text[start:end].lstrip())
            end = start + len(s)
            # A lone closing quote or dot split off a sentence belongs to the one before it.
            if _ORPHAN.match(s) and spans:
                spans[-1][1] = end
                continue
            # An opening quote left dangling at the end belongs to the next sentence.
            if spans:
                prev = text[spans[-1][0]:spans[-1][1]]
                if prev.endswith(' "') and prev.count('"') % 2 == 1:
                    spans[-1][1] -= 2
                    start -= 1
            spans.append([start, end])
        for start, end in spans:
            sentence = text[start:end].strip()
            if sentence:
                sentences.append(sentence)
                para_of.append(p_idx)
    return sentences, para_of
