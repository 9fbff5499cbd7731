"""Clean article text: normalise, drop boilerplate lines with a reason, split sentences.

Boilerplate is scored, not matched: each line gets evidence from several signals (cue phrases, code or
error shapes, being a short fragment outside the body, repeating the title or lines of other articles of
the same outlet, an author bio after a byline) and is dropped when the evidence passes a threshold.
A real sentence in the body of an article needs strong evidence to go, a short fragment at the edge
of a page needs little.
"""

from __future__ import annotations

import hashlib
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
_COMPAT = re.compile(r"[\ufb00-\ufb4f\uff01-\uff5e\u2000-\u200a\u202f\u205f\u3000]")
_GUILLEMET_SPACE = re.compile(r"\u00ab[ \t\u00a0]+|[ \t\u00a0]+\u00bb")
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
    # again: a folded ligature or a dropped control character can leave a letter beside its combining accent
    # (the "fi" ligature + U+0301), and a second pass must not change the text (identity keys are taken from it)
    text = unicodedata.normalize("NFC", text)
    # French typesetting spaces the inside of « »; a straight mark with a space on both sides reads as
    # neither opening nor closing, and the sentence splitter drops one that opens a sentence
    text = _GUILLEMET_SPACE.sub(lambda m: m.group().strip(" \t\u00a0"), text)
    text = text.translate(str.maketrans(_QUOTES))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2026", "...")
    text = _PUNCT_RUN.sub(lambda m: m.group()[:100], text)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(lines).strip()


def text_key(text: str) -> str:
    """The form of a text that identity hashes are taken from: case and spacing folded."""
    return re.sub(r"\s+", " ", normalize(text)).strip().lower()


def text_hash(text: str) -> str:
    """The identity of a cleaned text's wording (stored with each article): equal for exact copies."""
    return key_hash(text_key(text))


def key_hash(key: str) -> str:
    """`text_hash` of a text whose `text_key` is at hand."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


# Cue phrases of page furniture. Each hit is evidence, not a verdict: a cue inside a long sentence
# that reads as prose ("readers were asked to subscribe ...") scores too low to be removed.
_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("comment-prompt", re.compile(
        r"^(leave a (comment|reply)|post a comment|add a comment|click to comment|\d* ?comments?$|"
        r"please enter your (comment|name|email)|you must be logged in to post|"
        r"log ?in to (comment|reply)|cancel reply|your email address will not be published|"
        r"required fields are marked|save my name, email|notify me of)", re.I)),
    ("navigation", re.compile(
        r"^(previous (article|post|story)|next (article|post|story)|"
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
    ("read-more", re.compile(r"^(read (more|next|also|the full (story|article))|more on this story|related:|"
                             r"\w+ more:)", re.I)),
    # Picture and video furniture: credits, captions, icons (their wording comes from the page, not the story).
    ("photo-credit", re.compile(
        r"^(photo(graph)?|image|picture|pic|credit|video|source|illustration)( credit)?s?\s*:\s*\S|"
        r"^\(?(AP|AFP|Reuters|EPA|Getty|AAP|Xinhua|PA)( Photo| Images)?\)?$|"
        r"^[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}\s*/\s*(AP|AFP|Reuters|EPA|Getty|AAP|Xinhua|Bloomberg|"
        r"Shutterstock|Alamy|Sipa|PA|NurPhoto|Anadolu|Zuma|Pool)[\w /-]{0,30}$|"
        r"\((AP|AFP|Reuters|EPA)? ?(Photo|Pool photo|Picture|Image)s?( by)? ?[/:]? ?[^)]{0,60}\)$|"
        r"\b(Getty Images|Shutterstock|AP Photo|AFP via Getty|Reuters/[A-Z])", re.I)),
    ("caption", re.compile(
        r"^(camera ?icon|image caption|media caption|video caption|caption:|file (photo)?\s*[-:\u2013\u2014]|"
        r"watch:|listen:|play video|click to (play|enlarge|expand)|enlarge this image|hide caption|"
        r"toggle caption|show caption)|"
        r",\s*(\(?(left|right|center|centre|middle|front|rear|back|top|bottom)( (left|right|centre|center|rear|"
        r"front|row))?|(second |third )?from (left|right)|left to right)\)?\s*,", re.I)),
    # A link or a form talking to the reader, whatever its length and place ("Click here to get more information
    # or download this game.", "Sign up for the free daily newsletter.").
    ("call-to-action", re.compile(
        r"^((click|tap) here\b|(sign up|subscribe|register)( now| today| free)?( for| to)\b[^.!?]{0,60}"
        r"\b(newsletters?|alerts?|updates|emails?|briefings?)\b[^,;]{0,40}$|"
        r"share (it|this( \w+)?) with (a |your )?(friends?|family|others)\W*$)", re.I)),
    ("code-error", re.compile(
        r"((warning|notice|fatal error|parse error|deprecated)\s*:.*\bon line \d+|"
        r"\bundefined (variable|index|offset)\b|\.php\b|/home/\w+/|/public_html/|"
        r"Server Error in '/' Application|Microsoft OLE DB|Stack trace:|Traceback \(most recent)", re.I)),
]

_CHROME = frozenset({"photo-credit", "caption", "read-more", "code-error", "call-to-action"})

_VERB_HINT = re.compile(
    r"\b(is|are|was|were|be|been|has|have|had|will|would|can|could|may|might|should|must|did|does|do|"
    r"said|says|told|asked|\w+ed|\w+s)\b", re.I)
_READER = re.compile(r"\b(our|your|you|us)\b", re.I)
_BYLINE = re.compile(r"^(?i:by)\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})\s*[:,|-]\s*", re.U)


# A video's title and running time ("Taiwan rejects China's reunification plans 01:48"), as pages that embed
# players print them, sometimes run into the next paragraph. A clock time is not a running time ("at 10:30 a.m.").
_RUNNING_TIME = re.compile(
    r"^(?P<title>[^.!?]{0,160}?)\s*(?<![\d:])(?P<time>\d{1,2}:\d{2}(?::\d{2})?)(?![\d:])"
    r"(?!\s*(a\.?m\b|p\.?m\b|h\b|hrs?\b|gmt|utc|et\b|[ecmp][sd]t\b|bst|cet|local|uhr|o'clock))\s*(?P<rest>.*)$", re.I)
_CLOCK_WORDS = frozenset("at by from until till to before after around about since between and or than of".split())


def split_running_time(line: str) -> tuple[str, str] | None:
    """(video title with its running time, the rest of the line) when the line opens with one, else None."""
    m = _RUNNING_TIME.match(line)
    if not m:
        return None
    title = m.group("title")
    last = title.rsplit(" ", 1)[-1].lower() if title else ""
    if last in _CLOCK_WORDS or (title and title[-1] in ",;("):
        return None
    rest = m.group("rest")
    if rest and not (rest[:1].isupper() or rest[:1] in "\"'"):  # "... 3:15 into the game": a phrase goes on
        return None
    return line[: m.end("time")].strip(), rest


_READ_MORE_TAIL = re.compile(r"(?<=[.!?\"'])\s*read (more|full (story|article))\W*$", re.I)
_NO_WORDS = re.compile(r"^[-*|\u2022\u00b7_=~#\u2013\u2014]+$|^!\[[^\]]*\]\([^)]*\)$")


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
        if reason in _CHROME:
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


def chrome_reason(line: str) -> str | None:
    """Why a line is page chrome whatever its place on the page (a credit, a caption, a video title with its
    running time, "Read more"), else None. Stages that read stored text use it to never take such a line as news."""
    if _NO_WORDS.match(line):
        return "no-words"
    if split_running_time(line) is not None:
        return "video-title"
    for reason, pattern in _CUES:
        if reason in _CHROME and pattern.search(line):
            return reason
    return None


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
        if line and _NO_WORDS.match(line):  # "-", "![]()": layout, no words
            removed.append(Removal(line, "no-words"))
            line = ""
        video = split_running_time(line) if line else None
        if video is not None:
            removed.append(Removal(video[0], "video-title"))
            line = video[1]
        tail = _READ_MORE_TAIL.search(line) if line else None
        if tail is not None and tail.start() > 0:  # "... were candid. Read more": the link, not the sentence
            removed.append(Removal(tail.group().strip(), "read-more"))
            line = line[: tail.start()]
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
    # Never across a line removed between them: the two sides were not one sentence on the page.
    paragraphs: list[str] = []
    kept_at = {i for i, _ in keep}
    last = -1
    for i, line in keep:
        if not line:
            continue
        if paragraphs and all(k in kept_at for k in range(last + 1, i)) \
                and not re.search(r"[.!?:\"')\]]$", paragraphs[-1]) and (
                line[:1].islower() or paragraphs[-1].rsplit(" ", 1)[-1].lower() in _DANGLING):
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
        last = i
    # A page that prints its story twice or three times (a newsletter in several editions, an AMP copy) would
    # make each sentence its own corroboration: a long paragraph said again is removed.
    seen: set[str] = set()
    once: list[str] = []
    for para in paragraphs:
        key = " ".join(para.lower().split())
        if key in seen and len(key.split()) >= _REPEAT_WORDS:
            removed.append(Removal(para, "repeated-paragraph"))
            continue
        seen.add(key)
        once.append(para)
    return Cleaned("\n\n".join(once), once, found_title, author, removed)


_REPEAT_WORDS = 15  # shorter lines repeat for good reasons (a list of portions per day, a refrain)


# Titles and month names that spaCy's English exceptions lack ("Lt. Col. Vindman", "RCMP Sgt. Tim Shields",
# "MAR. 14, 2013"): without them a sentence breaks after the title. Only words that rarely end a sentence.
_ABBREVIATIONS = (
    "Adm. Ald. Amb. Atty. Brig. Capt. Cllr. Cmdr. Col. Const. Cpl. Det. Fr. Hon. Insp. Lt. Maj. Msgr. Pres. "
    "Pvt. Sgt. Supt. Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec.").split()


@lru_cache(maxsize=16)
def _sentencizer(language: str = "en"):  # noqa: ANN202 - spaCy Language
    import spacy

    # spaCy's tokenizer of each language knows its abbreviations ("U.S.", "Mr.", German "z. B." and ordinals
    # such as "13." in "Montag, den 13. März") so the rule-based sentencizer does not split on them; its
    # punctuation list knows "。" and "！". It runs at tens of thousands of sentences a second, unlike a parser.
    try:
        nlp = spacy.blank(language)
    except (ImportError, KeyError, ValueError):  # a language spaCy has no rules for: its multilingual rules
        nlp = spacy.blank("xx")
    if language == "en":
        for abbr in _ABBREVIATIONS:
            for form in {abbr, abbr.upper(), abbr.lower()}:
                nlp.tokenizer.add_special_case(form, [{"ORTH": form}])
    nlp.add_pipe("sentencizer")
    return nlp


_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def language_of(paragraphs: list[str]) -> str:
    """ISO 639-1 code of a text's language: by script for text without spaces, else by the word-based detector."""
    sample = "\n".join(paragraphs)[:2000]
    # Text without spaces between words is told by its script (the word-based detector needs spaces).
    if _KANA.search(sample):
        return "ja"
    if _HANGUL.search(sample):
        return "ko"
    if len(_HAN.findall(sample)) > 0.3 * len(sample.replace(" ", "")):
        return "zh"
    from .ingest import detect_language  # the detector lives with ingest, which imports this module

    return detect_language(sample) or "en"


_ORPHAN = re.compile(r'^["\')\].,;:]+$|^\.\.+$')


# Bounds on what a sentence can be: a run of text longer than this (a table dumped as one line, a
# 20,000-token "sentence") is cut at spaces into pieces of at most this size, so every later stage parses
# sentences of bounded length; a paragraph is fed to the sentencizer in chunks well under spaCy's max_length.
MAX_SENTENCE_CHARS = 1500
_CHUNK_CHARS = 100_000


def _pieces(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) slices of `text` of at most `limit` characters, cut at the last space before it."""
    out: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        end = cut if cut > start else start + limit
        out.append((start, end))
        start = end
    out.append((start, len(text)))
    return out


def split_sentences(paragraphs: list[str], language: str | None = None) -> tuple[list[str], list[int]]:
    """Sentences of each paragraph, and the paragraph index of each sentence, split by the rules of the
    text's language (ISO 639-1; detected when not given).

    Every sentence is a slice of its paragraph (spans are merged, never re-joined), so citing a sentence
    always quotes the text exactly. No sentence is longer than `MAX_SENTENCE_CHARS`.
    """
    if not paragraphs:
        return [], []
    nlp = _sentencizer((language or language_of(paragraphs)).lower()[:2])
    sentences: list[str] = []
    para_of: list[int] = []
    chunks = [(p_idx, paragraph[a:b]) for p_idx, paragraph in enumerate(paragraphs)
              for a, b in _pieces(paragraph, _CHUNK_CHARS)]
    for (p_idx, _), doc in zip(chunks, nlp.pipe((c for _, c in chunks), batch_size=64), strict=True):
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
            for a, b in _pieces(text[start:end], MAX_SENTENCE_CHARS):
                sentence = text[start + a:start + b].strip()
                if sentence:
                    sentences.append(sentence)
                    para_of.append(p_idx)
    return sentences, para_of
