"""Attributed statements: who said what, in every article.

Direct quotes are found from quotation marks across the sentences of a paragraph (and across
paragraphs, by the news convention that a quote running on into the next paragraph leaves its mark
open and reopens it there). Each quote gets its speaker from a speech frame in its own sentences
("... ," Sullivan said / said Ryan Hass / Zhao Lijian said: "...") read off spaCy's dependency parse;
a quote without a frame continues the nearest statement before it in the same or previous paragraph.
Reported speech ("X said that ...", "X told CNN ...", "X denied seeking ...", "according to X") comes
from the same frames: cue verb, its subject as the source, its clausal complement as the content.
"he said" is resolved to the most recent person in the text before it ("the spokesman" included),
preferring subjects; a name counts as a person when tagged so, when a role or honorific stands beside
it ("Tomasz Wieland, a senior fellow", "Mr Lentz"), or when the article names that person so elsewhere,
since the small model often tags a lone surname ORG. "he added" presupposes that he spoke just before,
so it continues the latest statement of a compatible speaker in the same or the previous paragraph.
A medium ("said on Twitter"), a place ("met in Lisvana") or a name inside the reported content is never
what a pronoun refers to; a passive cue's subject ("is expected to") is never a speaker.

A quote split by its frame ('"A," she said. "B."') is one statement; a frame may sit inside the clause it
reports ("The museum, Mr. Bush said, celebrated ..."), open a transcript line ("WALLACE: ...") or sign a
quote after a dash; quoted words inside a reported clause stay in it, so no quote is cut before its object.
Besides the hand-listed speech verbs, cue verb forms are learned on PolNeAR train (bench/attribution.py).

Every attribution is kept as a Statement (the attribution bench scores them all), but "who said what"
(extract_quotes) lists only those whose source can speak (a person, organisation, group or outlet, not
"rumors" or "a poll") and whose content is a proposition, not a topic ("about the sources"), a thing
("condemned the attack") or a quoted noun phrase ("restraint on all sides"); a "he said" resolved beyond
the previous paragraph is not listed either.

Written by hand because no packaged library does this with spaCy 3.8 (textacy's extractor handles
only direct quotes in a single Doc, see bench/attribution.py for the comparison).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .entities import TITLES, titled
from .model import Article, Quote

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Speech and attribution verbs (base form). Grouped only to keep the list readable.
_CUE_VERBS = """
say tell add warn deny state claim announce explain insist argue note report reveal confirm acknowledge admit
accuse assert declare emphasize emphasise stress suggest write tweet post predict promise reject dismiss urge
ask question respond reply answer agree believe think fear hope expect estimate recall comment describe
criticize criticise condemn allege contend maintain indicate conclude complain caution concede testify
disclose learn quote cite refute rebut counter retort charge vow pledge threaten demand call brief
inform signal
assure remark observe recount acknowledge lament praise blame slam blast mock deride decry urge demand predict
promise pledge order want know find show doubt deny contradict challenge dispute
""".split()
_IRREGULAR = {
    "say": ["said"],
    "tell": ["told"],
    "write": ["wrote", "written"],
    "think": ["thought"],
    "know": ["knew", "known"],
    "find": ["found"],
    "show": ["showed", "shown"],
    "learn": ["learned", "learnt"],
}
# Verb forms that PolNeAR's annotators marked as the cue of an attribution in at least half of their uses
# as a verb in its train split, and at least 3 times ("boasted", "railed", "touted"): printed by
# `bench/attribution.py --learn-cues`. They widen what counts as an attribution; what they report is listed
# only when it says something (a clause or a predication), never a bare object ("touted her record").
_LEARNED_CUES = frozenset("""
according accuse accused accuses accusing acknowledge acknowledged acknowledges acknowledging acquiesced added
adding adds admits admitted advocate advocates agreed aiming alleges alleging alluding angered announce
announced announces announcing applauded argue argued argues arguing articulated asking asks assailed asserted
assured attacked authored balked bemoaned blamed blames blaming blasted blasting blasts boast boasted boasts
bragged brushed called calling calls cautioned championed chanted chanting chided chiding cited cites citing
claimed claiming claims clarified coined commented commenting complain complained concede conceded conceding
conclude concluded concludes condemned condemning confirmed confirming congratulated congratulating considers
contemplate contends continued contradicted convinced credited crediting criticized criticizing declare
declared declares declaring declined decried decrying defended demands denied denies denounced denouncing
derided described describes describing detailing discuss discussed discussing disliked dismissed dismisses
dismissing distanced doubt downplayed dubbed dwelled echoed echoing elaborated emailed emphasize emphasized
emphasizing encouraged endorsed envision envisioned estimates expecting explained explaining explains express
expressed fear fearing finds focuses forecast foresee hailed highlighted hinted hints hoped hopes hoping
imagined implied implying indicate indicated indicates insist insisted insisting insists insulted interjected
invoked joked lambasted lamented lamenting laments lashed lays likened lining listing lists mention mentioned
mentioning mentions mocked mocking mulling mused negotiated note noted notes noting observed offered opined
ordered outlined outlining pivoted pleaded pledging point pointed pointing points portray portrayed portraying
posted posts praised praises praising predicted predicting preferred prefers proclaimed promised promises
promising promotes pronounced proposes questioned questioning quoted quoting railed reacted reads reaffirmed
realized rebuked rebut recalled recalling recommended recounted referenced referred referring refers refused
refuses refusing reiterated rejected rejecting remarked remarking remembered remembers reminded reminding
repeating replied report reported reports resisted responded responds restricting retweeted reveal revealed
reveals said saying says scared seeks shouted showed shows shrugged sided signaled singled slammed slamming
slams sounded sparred speculate speculated startled stated stating stressed stressing suggest suggested
suggesting suggests talked telling tells thanked thanking thrilled ticked told tout touted touting touts
trumpeting tweeted tweeting unveiled urged urging uttered views voiced vouched vowed vowing vows warn warned
warning withdrew wondered wondering worried writes wrote yelled
""".split())
_DENIAL_VERBS = {"deny", "reject", "dismiss", "refute", "rebut", "contradict", "dispute"}
# Cues whose object is what the statement is about rather than a proposition: "denied the reports",
# "accused Washington of ...", "called the reports misinformation". Other cues need a clause.
_OBJECT_CUES = _DENIAL_VERBS | {"accuse", "call", "announce", "confirm", "admit", "acknowledge", "report"}
# Objects that make "claimed X" a statement: "the group claimed responsibility for the blast".
_CLAIMED = {"responsibility", "credit", "victory"}
# Cues whose object is the hearer: "told reporters that ..." says nothing until its clause.
_HEARER_CUES = {"tell", "inform", "brief", "assure", "notify"}
# Common nouns that name a person, an organisation or a group of people, so can be a speaker; a noun
# outside them ("rumors", "a report", "the meeting") is not, though its author may be ("Norvessa's readout").
_AGENT_NOUNS = frozenset("""
official people person man men woman women expert observer critic witness resident citizen voter activist
campaigner supporter opponent protester protestor worker member employee staff government administration
ministry department office embassy agency authority authorities council committee commission parliament
congress court police military army party campaign company firm bank group team delegation side newspaper
paper outlet media broadcaster network magazine organisation organization union association institute
university family relative friend colleague neighbour neighbor investigator scientist doctor lawyer student
teacher parent victim survivor soldier politician legislator candidate executive manager owner farmer
engineer nurse organiser organizer participant insider prosecutor cabinet presidency kremlin palace master
brother sister wife husband son daughter mother father crew public
""".split()) | TITLES
# Agent suffixes ("exporters", "economists", "historians", "residents") have a few common non-agents.
_AGENT_SUFFIXES = ("er", "or", "ist", "ian", "ant", "ent")
_NOT_AGENTS = frozenset("rumor letter order chapter poster banner number error sector factor".split())
# Sources that cannot speak but that news cites for what it reports: unnamed sources, polls, reports, records.
# "sources said", "according to the poll", "the report added" are listed with the source as written.
_DOCUMENT_NOUNS = frozenset("""
source poll survey study report analysis data figure statistic record document video footage transcript book
filing memo estimate census research audit review assessment intelligence readout release indictment complaint
lawsuit affidavit ruling projection forecast
""".split())


def _forms(base: str) -> list[str]:
    """Inflected forms of a regular English verb (the shared spaCy pipeline runs without a lemmatizer)."""
    if base.endswith("e"):
        past, ing = base + "d", base[:-1] + "ing"
    elif base.endswith("y") and base[-2] not in "aeiou":
        past, ing = base[:-1] + "ied", base + "ing"
    else:
        past, ing = base + "ed", base + "ing"
    third = (
        base[:-1] + "ies"
        if base.endswith("y") and base[-2] not in "aeiou"
        else (base + "es" if base.endswith(("s", "sh", "ch", "x")) else base + "s")
    )
    return [base, third, ing, *(_IRREGULAR.get(base) or [past])]


CUE_LEMMA: dict[str, str] = {f: b for b in _CUE_VERBS for f in _forms(b)}
# Nouns that make "the words of X" / "X's statement" a frame.
_FRAME_NOUNS = {"words", "statement", "remarks", "comments"}
# Nouns that report what their possessor said when a clause follows: "Trump's claim that ...".
_CLAIM_NOUNS = {
    "claim", "assertion", "allegation", "accusation", "argument", "warning", "promise", "insistence", "contention",
    "suggestion", "prediction", "statement", "denial", "admission", "charge", "pledge", "vow",
}
_CAUSATIVES = {"let", "lets", "letting", "make", "makes", "made", "making", "help", "helps", "helped"}
# Sources that name no one a reader could look up ("Others reported ...", "some find ...", "his health
# continued to ...", "I said ..." in a column): the attribution stands, but no speaker is shown for it.
_NO_ONE = frozenset("others other some many most few several people all both one his her its their this that "
                    "these those it i me we us you".split())
_PRONOUNS_PERSON = {"he", "she", "him", "her"}
_PRONOUNS_GROUP = {"they", "them"}
_NAME_TYPES = {"PERSON", "ORG", "GPE", "NORP"}
_SUBJ = {"nsubj", "nsubjpass"}
# Cues that presuppose the speaker has just spoken: "he added" continues the previous statement.
_CONTINUING = {"add"}


def cue_lemma(word: str) -> str | None:
    """Base form of a speech cue verb, or None when the word is not one."""
    return CUE_LEMMA.get(word.lower())


@dataclass
class Segment:
    sentence: int
    start: int  # char offsets of the quoted text (without its marks) in the sentence
    end: int


@dataclass
class QuoteSpan:
    segments: list[Segment]


@dataclass
class Statement:
    """One attributed statement with the evidence a reader (or the claims stage) needs."""

    quote: Quote
    speaker_at: tuple[int, int, int] | None  # (sentence, char start, char end) of the named speaker
    content_at: list[Segment] = field(default_factory=list)
    negated: bool = False
    source_at: tuple[int, int, int] | None = (
        None  # the source as the frame writes it ("he"), None if no frame
    )
    # Whether it belongs in "who said what": its source can speak and it says something. "A poll shows ...",
    # "sources said ..." and "questioned the health of X" are attributions all the same.
    listed: bool = True


# -- quotation marks -----------------------------------------------------------------------------


# A quotation mark: the double mark, or two single marks as some papers typeset it (''like this'').
_MARK = re.compile(r"\"|''")


def _mark_kind(text: str, i: int, n: int = 1) -> str:
    """'open', 'close' or '?' for the quotation mark of `n` characters at text[i], from the characters
    around it."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + n] if i + n < len(text) else " "
    if i + n >= len(text.rstrip()):
        return "close"  # a mark ending a paragraph closes whatever is open
    space_before = before.isspace() or before in "([{\u2014\u2013-:"
    space_after = after.isspace() or after in ".,;:!?)]"
    if space_before and not space_after:
        return "open"
    if space_after and not space_before:
        return "close"
    return "?"


def find_quote_spans(article: Article) -> list[QuoteSpan]:
    """Quoted passages of an article, each as segments of sentences; unbalanced stray marks are dropped."""
    paragraphs: dict[int, list[int]] = {}
    para_of = article.paragraph_of or [0] * len(article.sentences)
    for s, p in enumerate(para_of):
        paragraphs.setdefault(p, []).append(s)
    order = sorted(paragraphs)
    spans: list[QuoteSpan] = []
    carry: list[Segment] | None = None  # a quote left open at the end of the previous paragraph
    for k, p in enumerate(order):
        sents = paragraphs[p]
        text, offsets = "", []
        for s in sents:
            offsets.append((len(text), s))
            text += article.sentences[s] + " "
        text = text[:-1]

        def to_segments(
            a: int, b: int, offsets: list[tuple[int, int]] = offsets, size: int = len(text)
        ) -> list[Segment]:
            segs = []
            for j, (off, s) in enumerate(offsets):
                end_off = offsets[j + 1][0] - 1 if j + 1 < len(offsets) else size
                lo, hi = max(a, off), min(b, end_off)
                if hi > lo and article.sentences[s][lo - off : hi - off].strip(" \"'"):
                    segs.append(Segment(s, lo - off, hi - off))
            return segs

        marks = [(m.start(), len(m.group())) for m in _MARK.finditer(text)]
        before = len(spans)
        open_at: int | None = None
        if carry is not None:
            # The news convention: a continuing quote reopens the next paragraph with a mark.
            if marks and marks[0][0] == 0:
                open_at = marks[0][1]
                marks = marks[1:]
            else:
                carry = None
        for i, n in marks:
            kind = _mark_kind(text, i, n)
            if open_at is None and kind in ("open", "?"):
                open_at = i + n
            elif open_at is not None and kind in ("close", "?"):
                segs = (carry or []) + to_segments(open_at, i)
                carry = None
                if segs:
                    spans.append(QuoteSpan(segs))
                open_at = None
            elif open_at is None and kind == "close":
                # A closing mark whose opening was lost: the quote starts with its sentence.
                start = max(off for off, _ in offsets if off <= i)
                segs = to_segments(start, i)
                if segs:
                    spans.append(QuoteSpan(segs))
            else:  # an opening mark inside an open quote: the previous one was never closed
                open_at = i + n
        if open_at is not None:
            nxt = order[k + 1] if k + 1 < len(order) else None
            continues = nxt is not None and bool(_MARK.match(article.sentences[paragraphs[nxt][0]]))
            carry = ((carry or []) + to_segments(open_at, len(text))) if continues else None
            if carry and len(spans) > before and spans[-1].segments[0].sentence in sents:
                # '"A," Rubio said. "B ... | "C," he continued.': the quote left open goes on with the one its
                # paragraph framed; the next paragraph's quote has a frame of its own
                spans.append(QuoteSpan(carry))
                carry = []
        else:
            carry = None
    return spans


def quote_text(article: Article, span: QuoteSpan) -> str:
    parts = [article.sentences[g.sentence][g.start : g.end].strip(' "') for g in span.segments]
    return re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip(" ,")


# -- frames --------------------------------------------------------------------------------------


@dataclass
class Frame:
    sentence: int
    cue: Token
    lemma: str
    source: Token | None  # head token of the source (None for a pronoun resolved later)
    content: list[Token]
    agent: bool = True  # the source can speak (a person, organisation, group or outlet), not "a poll"
    relative: Token | None = None  # the relative pronoun written for the source ("lawmakers who say")
    rest: bool = False  # the content runs on to the end of the paragraph ("WALLACE: ...")
    closing: bool = False  # it closes the sentence and reports all of it ("X said Y, the Ledger reported")


def _inside(tok: Token, quoted: list[tuple[int, int]]) -> bool:
    return any(a <= tok.idx < b for a, b in quoted)


def _subject(verb: Token) -> Token | None:
    subjects = [c for c in verb.children if c.dep_ in _SUBJ]
    if subjects:
        # "London-based newspaper The Financial Times said" parses as two subjects: the name is the speaker
        return next((c for c in subjects if c.ent_type_ in _NAME_TYPES), subjects[0])
    # "..., saying that ..." / "and added ..." / "wants to say": the subject of the governing verb
    if verb.dep_ in ("advcl", "conj", "xcomp") and verb.head.i != verb.i:
        return _subject(verb.head)
    return None


# Subordinators of a clause that says when, why or while something was said, never what was said.
_SCENE_MARKS = {"as", "while", "when", "whenever", "after", "before", "because", "since", "although", "though",
                "until", "unless", "once"}


# Nouns for where or how something was said: "said X in an interview", "told reporters at a rally".
_OCCASIONS = {"interview", "interviews", "statement", "statements", "speech", "speeches", "letter", "rally", "rallies",
              "conference", "call", "email", "e-mail", "post", "tweet", "appearance", "hearing", "debate", "event",
              "remarks", "meeting", "briefing", "show", "program", "podcast", "video", "op-ed", "message", "campaign"}


_WHEN_WHERE = {"during", "at", "after", "before", "on", "following", "amid", "since", "until", "within", "throughout"}


def _trails(child: Token) -> bool:
    """Whether a word the parser hung on a cue verb after its content qualifies what was said ("in 17 years",
    "because of the weak oil price"), not when, where or how it was said ("on Tuesday", "in an interview")."""
    if child.dep_ == "prep":
        obj = next((d for d in child.children if d.dep_ == "pobj"), None)
        return obj is not None and obj.ent_type_ not in ("DATE", "TIME", "GPE", "FAC", "LOC") \
            and obj.lower_ not in _OCCASIONS and child.lower_ not in _WHEN_WHERE
    if child.dep_ == "advcl":
        marks = {d.lower_ for d in child.children if d.dep_ == "mark"}
        return bool(marks & {"because", "while", "although", "though", "if", "unless", "whereas"})
    return False


def _goes_on(verb: Token, conj: Token) -> bool:
    """Whether a clause the parser joined to a cue verb goes on with what was said: "said that X and that
    Y", "said she hoped to X, and then would Y", "urged the party to X, replace Y" (a bare verb cannot be
    joined to "urged"), where "said X and left" is what the speaker did next."""
    kids = list(conj.children)
    if any(k.dep_ == "mark" and k.lower_ == "that" for k in kids):
        return True
    but = any(k.dep_ == "cc" and k.lower_ == "but" and verb.i < k.i < conj.i for k in list(verb.children) + kids)
    if but and not cue_lemma(conj.text):
        return True  # "said idealism is nice, but sometimes realism takes over"
    if conj.pos_ not in ("VERB", "AUX") or any(k.dep_ in _SUBJ for k in kids):
        return False
    if any(k.dep_ == "aux" and k.lower_ in ("would", "could", "might", "should", "'d") for k in kids):
        return True
    return conj.tag_ == "VB" and verb.tag_ in ("VBD", "VBZ", "VBP") and not any(k.dep_ == "aux" for k in kids)


def _content_of(verb: Token, exclude: set[int], lemma: str) -> list[Token]:
    toks: list[Token] = []
    for c in verb.children:
        if c.dep_ in ("dobj", "dative") and lemma in _HEARER_CUES:
            continue  # "told reporters": the hearer, not what was said
        if c.dep_ == "ccomp" and any(m.dep_ == "mark" and m.lower_ in _SCENE_MARKS for m in c.children):
            continue  # '"...," Spencer said, as fighters worked out': the parser's ccomp is the scene around it
        if c.dep_ in ("ccomp", "xcomp", "dobj", "parataxis", "attr", "oprd", "prep") and c.i not in exclude:
            if c.dep_ == "prep" and c.lower_ not in ("about", "of"):
                # "blasted the media for ...", "derided the deal as toothless", "called for a repeal"
                has_object = any(d.dep_ == "dobj" for d in verb.children)
                if not (c.lower_ in ("for", "as") and (has_object or lemma == "call")):
                    continue
            toks.extend(t for t in c.subtree if t.i not in exclude)
    if toks and not any(t.text in ('"', "''", "``") for t in verb.doc):  # a quotation ends where its marks do
        end = max(t.i for t in toks)
        for c in verb.children:
            if c.i > end and c.i not in exclude and _trails(c):
                # "reported its smallest profit in 17 years because of ...": the parser hangs what qualifies the
                # statement on its verb
                toks.extend(t for t in c.subtree if t.i not in exclude)
    if toks:
        end = max(t.i for t in toks)
        for c in verb.children:
            if c.dep_ == "conj" and c.i > end and c.i not in exclude and _goes_on(verb, c):
                toks.extend(t for t in c.subtree if t.i not in exclude)
                toks.extend(k for k in verb.children if k.dep_ == "cc" and end < k.i < c.i)  # "and", "but"
    before = [t for t in toks if t.i < verb.i]
    if before and len(before) < len(toks) and all(t.tag_ == "WRB" or t.is_punct for t in before):
        # "where they pledged to keep ...": the parser hangs the relative "where" on "keep", so the content
        # would reach back over its own cue; what is reported follows the cue.
        toks = [t for t in toks if t.i > verb.i]
    return sorted(toks, key=lambda t: t.i)


def _agentive(tok: Token) -> bool:
    """Whether a source word can name who spoke: a name, or a noun for a person, organisation or group."""
    if tok.ent_type_ in _NAME_TYPES or tok.pos_ in ("PROPN", "PRON"):
        return True
    if any(c.dep_ == "appos" and c.ent_type_ in _NAME_TYPES for c in tok.children):
        return True  # "her brother, trade minister Petar Kovac"
    w = tok.lower_
    singular = w[:-3] + "y" if w.endswith("ies") else w[:-1] if w.endswith("s") else w
    if w in _AGENT_NOUNS or singular in _AGENT_NOUNS:
        return True
    return singular.endswith(_AGENT_SUFFIXES) and singular not in _NOT_AGENTS and not singular.endswith("ment")


def _documentary(tok: Token | None) -> bool:
    """Whether a source that cannot speak is one news cites for what it reports ("sources", "the poll")."""
    if tok is None or tok.pos_ not in ("NOUN", "PROPN"):
        return False
    w = tok.lower_
    return w in _DOCUMENT_NOUNS or w.endswith("s") and w[:-1] in _DOCUMENT_NOUNS


def _author(tok: Token) -> Token | None:
    """The speaker behind a source that cannot speak itself: its possessor ("Norvessa's readout") or the
    agent that put it out ("rumors reported by the Financial Times"); None when there is neither."""
    if _agentive(tok):
        return tok
    for c in tok.children:
        if c.dep_ == "poss" and _agentive(c):
            return c
        if c.dep_ == "acl":
            by = next((a for a in c.children if a.dep_ == "agent"), None)
            who = next((p for p in by.children if p.dep_ == "pobj"), None) if by is not None else None
            if who is not None and _agentive(who):
                return who
    return None


def _proposition(content: list[Token], lemma: str) -> bool:
    """Whether reported content says something: a clause ("that the talks failed", "seeking help"), not a
    topic ("about the intelligence sources") or a thing ("condemned the attack"), unless the cue takes its
    object as the statement ("denied the reports")."""
    if lemma in _OBJECT_CUES:
        return True
    ids = {t.i for t in content}
    tops = [t for t in content if t.head.i not in ids or t.head.i == t.i]
    if any(t.dep_ == "dobj" for t in tops) and any(t.dep_ == "oprd" or t.lower_ == "as" for t in tops):
        return True  # a predication: "described the fire as suspicious", "called the plan a fantasy"
    if lemma.startswith("claim") and any(t.dep_ == "dobj" and t.lower_ in _CLAIMED for t in tops):
        return True
    return any(t.pos_ in ("VERB", "AUX", "ADJ") for t in tops)


def _clausal(docs: list[Doc], sp: QuoteSpan) -> bool:
    """Whether a quotation says something rather than naming it: some part of it is headed by a verb or a
    predicate adjective ("will damage the recovery", "unfit to serve"), where "restraint on all sides" or
    "a fantasy invented in X" is a noun phrase."""
    for g in sp.segments:
        span = docs[g.sentence].char_span(g.start, g.end, alignment_mode="expand")
        if span is None:
            return True
        tops = [t for t in span if not span.start <= t.head.i < span.end or t.head.i == t.i]
        if any(t.pos_ in ("VERB", "AUX", "ADJ") for t in tops):
            return True
    return False


def _aside(verb: Token) -> bool:
    """Whether a cue verb is set off from the clause it governs grammatically: parataxis, "as X said", or
    a finite clause between commas that the parser hung on the main verb as an adverbial."""
    if verb.dep_ == "parataxis" or _closing(verb):
        return True
    if verb.dep_ != "advcl" or verb.tag_ == "VBG":  # ", referring to Trump" says what it refers to
        return False
    marks = [c.lower_ for c in verb.children if c.dep_ == "mark"]
    if marks:
        return marks == ["as"]
    first = min(t.i for t in verb.subtree)
    return first > 0 and verb.doc[first - 1].text == ","


def _ends_sentence(tok: Token) -> bool:
    """Whether a phrase closes its sentence after a comma: ", the Ledger reported.", ", according to X." """
    words = [t.i for t in tok.subtree if not t.is_punct]  # the parser may hang the comma on the phrase
    first, last = min(words), max(words)
    return first > 1 and tok.doc[first - 1].text == "," and all(t.is_punct for t in tok.doc[last + 1 :])


def _closing(verb: Token) -> bool:
    """A frame with its own subject that closes the sentence, which the parser hung inside the clause it
    reports ("Velde acknowledged X, the Ledger reported"): it reports the whole sentence."""
    return verb.dep_ in ("ccomp", "conj") and _ends_sentence(verb) and any(c.dep_ in _SUBJ for c in verb.children)


def _frames(doc: Doc, sentence: int, quoted: list[tuple[int, int]]) -> list[Frame]:
    frames: list[Frame] = []
    for tok in doc:
        if _inside(tok, quoted):
            continue
        verb = tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB")
        lemma = cue_lemma(tok.text) if verb else None
        learned = verb and not lemma and tok.lower_ in _LEARNED_CUES and tok.lower_ != "according"
        if learned:
            lemma = tok.lower_
        if lemma and tok.dep_ == "acl" and tok.tag_ == "VBN":
            continue  # "the shadowy character believed to have helped ...": believed by others, not by it
        if lemma:
            subj = _subject(tok)
            inverted = None
            if subj is None and tok.dep_ == "ROOT":
                # '"...," added another Democrat': the parser reads the speaker after the verb as its object
                if any(c.dep_ in ("ccomp", "parataxis") and c.i < tok.i for c in tok.children):
                    inverted = next((c for c in tok.children if c.dep_ == "dobj" and c.i > tok.i), None)
                subj = inverted
            if subj is None and tok.dep_ == "ROOT":
                # a misparse such as "..., Li Pengyu, said he ..." leaves the verb without a subject:
                # take the name just before the verb
                prev = next((t for t in reversed(doc[: tok.i]) if not t.is_punct), None)
                if prev is not None and prev.pos_ in ("PROPN", "NOUN"):
                    subj = prev
            dateline = _dateline_end(doc)
            if subj is not None and subj.i < dateline:
                # "CLEVELAND - Former Attorney General Michael Mukasey told ...": the place is no speaker
                alt = [c for c in subj.children if c.dep_ == "appos" and c.i > dateline]
                alt += [c for c in tok.children if c.dep_ in _SUBJ and c.i > dateline]
                subj = alt[0] if alt else None
            relative = None
            if subj is not None and subj.lower_ in ("who", "that", "which") and tok.dep_ == "relcl":
                relative, subj = subj, tok.head  # "lawmakers who say ...": the relative pronoun stands for the noun
            if (
                subj is None
                or _inside(subj, quoted)
                or subj.lower_ in ("that", "which")
            ):
                continue
            if subj.dep_ == "nsubjpass" and lemma != "quote":
                # "the meeting is expected to ...": the subject is what is spoken of; the speaker, if any,
                # is the agent ("was told by officials")
                by = next((c for c in tok.children if c.dep_ == "agent"), None)
                subj = next((c for c in by.children if c.dep_ == "pobj"), None) if by is not None else None
                relative = None
                if subj is None:
                    continue
            who = _author(subj)
            if lemma in ("know", "find", "show", "want", "call", "order", "demand") and not any(
                c.dep_ in ("ccomp", "xcomp", "oprd") or c.dep_ == "prep" and c.lower_ == "for" and lemma == "call"
                for c in tok.children
            ):
                continue  # "knew him" is not an attribution; "called it misinformation" is
            if tok.dep_ in ("ccomp", "xcomp") and tok.head.lower_ in _CAUSATIVES:
                continue  # "let them know that ...": what they are to learn, not what they said
            if lemma == "ask" and not any(c.dep_ == "ccomp" for c in tok.children):
                continue  # "asked China for help / to supply arms" is a request, the news itself, not speech
            exclude = {t.i for t in subj.subtree} - {t.i for t in tok.subtree}  # a relative clause is content
            if inverted is not None:
                exclude |= {t.i for t in inverted.subtree}
            content = _content_of(tok, exclude, lemma)
            closing = False
            if not content and tok.head.i != tok.i and _aside(tok):
                # "The museum, Mr. Bush said, celebrated ..." / "The talks failed, she said" / "As the Ledger
                # reported, the talks failed": the frame interrupts, trails or opens the clause it reports
                inner = {t.i for t in tok.subtree}
                content = [t for t in tok.head.subtree if t.i not in inner]
                closing = _closing(tok)
            frames.append(Frame(sentence, tok, lemma, who or subj, content, who is not None, relative, closing=closing))
        elif tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            to = next(c for c in tok.children if c.lower_ == "to")
            src = next((c for c in to.children if c.dep_ == "pobj"), None)
            if src is None or _inside(src, quoted):
                continue
            who = _author(src)
            drop = {t.i for t in tok.subtree}
            content = [t for t in tok.head.subtree if t.i not in drop] if tok.head.i != tok.i else []
            closing = _ends_sentence(tok)
            if closing:  # "The witness said X, according to the report": the report is the sentence's source
                content = [t for t in doc if t.i not in drop and not (t.is_punct and t.i > min(drop))]
            frames.append(Frame(sentence, tok, "according to", who or src, content, who is not None, closing=closing))
        elif tok.pos_ == "NOUN" and (tok.lower_ in _CLAIM_NOUNS or tok.lower_[:-1] in _CLAIM_NOUNS):
            poss = next((c for c in tok.children if c.dep_ == "poss"), None)
            clause = next((c for c in tok.children if c.dep_ in ("acl", "ccomp") and any(
                d.dep_ == "mark" and d.lower_ == "that" for d in c.children)), None)
            if poss is None or clause is None or _inside(poss, quoted) or poss.pos_ == "PRON":
                continue
            who = _author(poss)
            content = [t for t in clause.subtree if t.dep_ != "mark" or t.head.i != clause.i]
            frames.append(Frame(sentence, tok, "claim", who or poss, content, who is not None))
        elif tok.lower_ in _FRAME_NOUNS and tok.dep_ in _SUBJ | {"attr"}:
            of = next((c for c in tok.children if c.lower_ == "of"), None)
            src = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
            if src is not None and src.ent_type_ in _NAME_TYPES:
                frames.append(Frame(sentence, tok, "say", src, []))
    # A frame inside another's content is nested ("Hass said he didn't expect ..."): PolNeAR-style
    # attribution gives each token one attribution, and the outer one carries the speaker.
    # A frame that closes the sentence holds the others ("Velde acknowledged X, the Ledger reported").
    held = [{t.i for t in f.content} for f in frames]

    def nested(k: int) -> bool:
        return not frames[k].closing and any(frames[k].cue.i in held[j] for j in range(len(frames)) if j != k)

    return [f for k, f in enumerate(frames) if not nested(k)]


_DASHES = {"\u2015", "\u2014", "\u2013", "--", "-"}


def _signature(docs: list[tuple[int, Doc]], after: int) -> Frame | None:
    """A quote signed with a dash and a name ('"..." \u2015 Sonya Herr, Dallas'): the words after char
    `after` of the first sentence given, and the sentences after it (the splitter may cut off the name)."""
    toks = [
        (s, t)
        for k, (s, doc) in enumerate(docs)
        for t in doc
        if (k or t.idx >= after) and not (t.is_space or t.text in ('"', "''"))
    ]
    if len(toks) < 2 or toks[0][1].text not in _DASHES:
        return None
    name = []
    for s, t in toks[1:]:
        if t.pos_ != "PROPN" and t.ent_type_ != "PERSON" or name and s != name[-1][0]:
            break
        name.append((s, t))
    rest = toks[1 + len(name) :]
    if not name or rest and not rest[0][1].is_punct:
        return None
    return Frame(name[-1][0], toks[0][1], "say", name[-1][1], [])


def _bare(doc: Doc) -> bool:
    """Whether a sentence is only a speech frame: a few words around a verb, "Clinton said." """
    words = [t for t in doc if not t.is_punct and not t.is_space]
    return 0 < len(words) <= 8 and doc[-1].text in (".", ":") and not any(t.text == '"' for t in doc)


def _dateline_end(doc: Doc) -> int:
    """The index of the dash that closes a dateline opening the sentence ("WASHINGTON (AP) \u2014",
    "NEW YORK, June 26 -"), or -1."""
    for t in doc[:10]:
        if t.text in _DASHES:
            head = doc[: t.i]
            caps = any(w.is_alpha and w.is_upper and len(w) > 1 for w in head)
            plain = all(w.is_punct or w.like_num or w.is_upper or w.pos_ == "PROPN" for w in head)
            return t.i if head and caps and plain else -1
    return -1


def _colon_frame(doc: Doc, sentence: int, known: set[str]) -> Frame | None:
    """A paragraph that opens with a name and a colon: a headline ("Pence: Flowers won't be at debate") or a
    transcript ("WALLACE: If I may, ..."). Only a name the article uses elsewhere counts, so that
    "UPDATE:" or "Photo:" never speaks."""
    colon = next((t for t in doc[:5] if t.text == ":"), None)
    if colon is None or colon.i == 0 or len(doc) - colon.i < 4:
        return None
    name = doc[: colon.i]
    if not all(t.pos_ == "PROPN" or t.ent_type_ in _NAME_TYPES or t.text[:1].isupper() for t in name):
        return None
    if name[-1].lower_ not in known:
        return None
    content = [t for t in doc[colon.i + 1 :] if not t.is_space]
    return Frame(sentence, colon, "say", name[-1], content, rest=True)


# -- speakers ------------------------------------------------------------------------------------


def _name_span(tok: Token) -> Span:
    """The speaker as written: a named entity, or the noun phrase trimmed of clauses and appositions."""
    doc = tok.doc
    if tok.ent_type_ in _NAME_TYPES:
        for ent in doc.ents:
            if ent.start <= tok.i < ent.end:
                return ent
    for c in tok.children:  # "Chinese embassy spokesman in Washington, Li Pengyu, said"
        if c.dep_ in ("appos", "compound") and c.ent_type_ in ("PERSON", "ORG") and c.i > tok.i:
            return _name_span(c)
        if c.dep_ == "acl" and c.lower_ in ("known", "called", "named"):  # "the group known as the ETA"
            for d in c.subtree:
                if d.ent_type_ in ("PERSON", "ORG") and d.i > c.i:
                    return _name_span(d)
    left = tok.i
    for c in sorted((c for c in tok.lefts), key=lambda c: -c.i):
        if (
            c.dep_ in ("det", "amod", "compound", "nummod", "poss", "nmod", "quantmod")
            and c.i == left - 1
            or c.dep_ in ("det", "amod", "compound", "nummod", "poss", "nmod")
            and c.right_edge.i == left - 1
        ):
            left = c.left_edge.i
    dateline = _dateline_end(doc)
    if left <= dateline < tok.i:  # "HONOLULU, Hawaii (KHNL) - NASA scientists said": the dateline is no name
        left = dateline + 1
    right = tok.i + 1
    for c in tok.rights:
        if c.dep_ in ("compound", "flat") and c.i == right:
            right = c.i + 1
        elif tok.pos_ == "NOUN" and c.i == right and _qualifies(c):
            right = c.right_edge.i + 1  # "a group of employees", "people familiar with the matter"
    return doc[left:right]


_QUALIFYING = frozenset("of from for at with in close familiar".split())


def _qualifies(c: Token) -> bool:
    """Whether a phrase after a common noun says whose voice it is ("data from MarketAxess", "two people
    familiar with the matter", "a spokesman for the ministry"): short, and no clause of its own."""
    sub = list(c.subtree)
    return (c.lower_ in _QUALIFYING and c.dep_ in ("prep", "amod") and len(sub) <= 6
            and not any(t.pos_ in ("VERB", "AUX") or t.text in ',;"' for t in sub))


@dataclass
class _Mention:
    sentence: int
    span: Span
    subject: bool
    person: bool
    plural: bool


def _mentions(doc: Doc, sentence: int, quoted: list[tuple[int, int]]) -> list[_Mention]:
    out = []
    for ent in doc.ents:
        if ent.label_ in _NAME_TYPES and not _inside(ent[0], quoted):
            root = ent.root
            if root.dep_ == "pobj" and root.head.lower_ in ("on", "via") and cue_lemma(root.head.head.text):
                continue  # "said on Twitter": the medium, never the speaker a later "he" refers to
            prep = root.head.lower_
            place = prep in ("in", "at", "near") or ent.label_ == "GPE" and prep in ("to", "from")
            if root.dep_ == "pobj" and ent.label_ != "PERSON" and place:
                continue  # "met in Lisvana": a place, not a party a "they" could stand for
            if ent.label_ == "NORP" and root.dep_ == "amod":
                continue  # "the Democratic nominee": a modifier, not a group a "they" could stand for
            person = ent.label_ == "PERSON" or (ent.label_ in ("ORG", "GPE") and titled(ent))
            out.append(
                _Mention(
                    sentence,
                    ent,
                    root.dep_ in _SUBJ,
                    person,
                    not person and ent.label_ in ("ORG", "GPE", "NORP"),
                )
            )
    for tok in doc:  # groups ("US officials", "sources") and people named by their role ("the chief engineer")
        if tok.dep_ not in _SUBJ or _inside(tok, quoted) or tok.ent_type_:
            continue
        if tok.pos_ == "PROPN" and tok.tag_ == "NNP" and tok.text[:1].isupper():
            # a name the small model left untagged ("Ham made it clear"): a person once the article names
            # that person in full (_mark_people), else an organisation a "they" can stand for
            out.append(_Mention(sentence, _name_span(tok), True, False, True))
            continue
        if tok.tag_ in ("NNS", "NNPS") and _agentive(tok):  # "they" can be officials, not "the talks"
            out.append(_Mention(sentence, _name_span(tok), True, False, True))
        elif tok.tag_ == "NN" and tok.lower_ in TITLES:
            out.append(_Mention(sentence, _name_span(tok), True, True, False))
    return sorted(out, key=lambda m: m.span.start)


def _surname(span: Span) -> str:
    return span[-1].text.lower()


def _mark_people(article: Article, mentions: list[list[_Mention]], entities: Any | None) -> set[str]:
    """Count as people the ORG- or GPE-tagged names that the entity index, or a surer mention, says are.

    A surer mention is a full name tagged PERSON or a titled one; only one-word names take its type, the way
    "Wieland" (tagged ORG) is the "Tomasz Wieland, a senior fellow" of the paragraph before.
    """
    sure = {
        _surname(m.span)
        for ms in mentions
        for m in ms
        if m.person and (len(m.span) > 1 and m.span.label_ == "PERSON" or titled(m.span))
    }
    for ms in mentions:
        for m in ms:
            if m.person or m.span.label_ not in ("ORG", "GPE", ""):
                continue
            ent = (
                entities.entity_of(article.id, m.sentence, m.span.start_char, m.span.end_char)
                if entities is not None
                else None
            )
            if (ent is not None and ent.type == "PERSON") or (len(m.span) == 1 and _surname(m.span) in sure):
                m.person, m.plural = True, False
    return sure


def _add_surnames(docs: list[Doc], mentions: list[list[_Mention]], sure: set[str], quoted: list) -> None:
    """Subjects written with the surname of someone the article names in full are that person, whatever the
    tagger made of the word ("Ham went on to explain" after "Gen. Norman Ham": a noun to the small model)."""
    for s, doc in enumerate(docs):
        taken = {t.i for m in mentions[s] for t in m.span}
        extra = [
            _Mention(s, doc[t.i : t.i + 1], True, True, False)
            for t in doc
            if t.dep_ in _SUBJ and t.i not in taken and t.lower_ in sure and t.text[:1].isupper()
            and not _inside(t, quoted[s])
        ]
        if extra:
            mentions[s] = sorted(mentions[s] + extra, key=lambda m: m.span.start)


# -- the stage -----------------------------------------------------------------------------------


def _speaker(
    pron: Token,
    sentence: int,
    mentions: list[list[_Mention]],
    para_of: list[int] | None = None,
    window: int = 6,
    content: frozenset[int] = frozenset(),
) -> _Mention | None:
    """The most recent compatible mention before a pronoun: the nearest sentence with one, subjects first;
    with `para_of`, only in the pronoun's paragraph and the one before. A name inside what the pronoun's
    frame reports (`content`, token indices) is never its referent: "a mission to Stavik would go ahead, he
    said" is not Stavik speaking."""
    person = pron.lower_ in _PRONOUNS_PERSON
    for s in range(sentence, max(-1, sentence - window), -1):
        if para_of is not None and para_of[s] < para_of[sentence] - 1:
            break
        cands = [
            m
            for m in mentions[s]
            if (m.person if person else m.plural)
            and (s < sentence or m.span.end <= pron.i and m.span.root.i not in content)
        ]
        if cands:
            subjects = [m for m in cands if m.subject]
            return (subjects or cands)[-1]
    return None


def extract_statements(articles: list[Article], entities: Any | None = None) -> list[Statement]:
    """Every attributed statement of every article, with where its speaker and content are written."""
    from . import nlp

    parses = nlp.parse(articles)
    result: list[Statement] = []
    # An exact copy (same sentences, same paragraphs) says what its original says: its statements are the
    # original's, moved to it, instead of being read again (wire copy republished by dozens of sites).
    made: dict[tuple[Any, ...], tuple[str, list[Statement]]] = {}
    for article in articles:
        key = (nlp.language(article), tuple(article.sentences), tuple(article.paragraph_of))
        if key in made:
            result.extend(_moved(*made[key], article.id, entities))
            continue
        if nlp.language(article) == "fr":  # read off the French parse (Universal Dependencies labels)
            from .quotes_fr import extract_statements as french

            mine = french([article], parses, entities)
        else:
            mine = _article_statements(article, parses[article.id], entities)
        made[key] = (article.id, mine)
        result.extend(mine)
    return result


def _moved(original: str, statements: list[Statement], article: str, entities: Any | None) -> list[Statement]:
    """`statements` of article `original` as statements of its exact copy `article`, each speaker resolved
    again in the copy (where the entity index has the copy's own mentions)."""
    out = []
    for st in statements:
        q = st.quote
        speaker = q.speaker
        if speaker is not None and entities is not None:
            here = entities.entity_of(article, *st.speaker_at) if st.speaker_at is not None else None
            there = entities.entity_of(original, *st.speaker_at) if st.speaker_at is not None else None
            # the speaker found where the original names it is the copy's entity at the same place
            speaker = here.id if here is not None and there is not None and there.id == speaker else speaker
        out.append(replace(st, quote=replace(q, article=article, speaker=speaker),
                           content_at=list(st.content_at)))
    return out


def _resolve_entity(
    entities: Any | None, article: str, at: tuple[int, int, int] | None, name: str
) -> str | None:
    if entities is None:
        return None
    ent = entities.entity_of(article, *at) if at is not None else None
    if ent is None:
        ent = entities.lookup(name, article)
    return ent.id if ent is not None else None


def _article_statements(article: Article, docs: list[Doc], entities: Any | None) -> list[Statement]:
    spans = find_quote_spans(article)
    quoted: list[list[tuple[int, int]]] = [[] for _ in docs]
    for sp in spans:
        for g in sp.segments:
            quoted[g.sentence].append((g.start, g.end))
    mentions = [_mentions(doc, s, quoted[s]) for s, doc in enumerate(docs)]
    sure = _mark_people(article, mentions, entities)
    _add_surnames(docs, mentions, sure, quoted)
    frames = [_frames(doc, s, quoted[s]) for s, doc in enumerate(docs)]
    for fr in (f for fs in frames for f in fs):
        if not fr.agent and fr.source is not None and fr.source.lower_ in sure and fr.source.text[:1].isupper():
            fr.agent = True  # "Ham said" where the tagger read a noun
    para_of = article.paragraph_of or [0] * len(docs)
    named_in: dict[str, set[int]] = {}  # the last word of each name, and the sentences that name it
    for ms in mentions:
        for m in ms:
            if m.span.label_ in ("PERSON", "ORG"):
                named_in.setdefault(m.span[-1].lower_, set()).add(m.sentence)
    for s, doc in enumerate(docs):
        if s and para_of[s] == para_of[s - 1]:
            continue
        col = _colon_frame(doc, s, {w for w, where in named_in.items() if where - {s}})
        if col is not None:
            said = {t.i for t in col.content}  # one attribution per token, as in PolNeAR
            frames[s] = [col] + [f for f in frames[s] if f.cue.i not in said]
    out: list[Statement] = []  # the statements so far, in reading order

    def fits(pron: Token, at: tuple[int, int, int] | None) -> bool:
        """Whether a statement's speaker, written at `at`, can be what the pronoun refers to."""
        if at is None:
            return False
        m = next((m for m in mentions[at[0]] if m.span.start_char == at[1]), None)
        if m is None:
            span = docs[at[0]].char_span(at[1], at[2], alignment_mode="expand")
            if span is None or span.root.ent_type_ in ("GPE", "NORP"):
                return False
            plural = span.root.tag_ in ("NNS", "NNPS")
            return plural if pron.lower_ in _PRONOUNS_GROUP else not plural
        return m.plural if pron.lower_ in _PRONOUNS_GROUP else m.person

    def named_at(at: tuple[int, int, int] | None) -> bool:
        """Whether a speaker is written as a name ("Ham"), not as a description ("the shadowy character")."""
        span = docs[at[0]].char_span(at[1], at[2], alignment_mode="expand") if at is not None else None
        return span is not None and (span.root.pos_ == "PROPN" or span.root.ent_type_ in _NAME_TYPES)

    def speaker_of(fr: Frame) -> tuple[str, tuple[int, int, int] | None, bool] | None:
        """The speaker's name, where it is written, and whether that is sure enough to list."""
        src = fr.source
        assert src is not None
        if src.lower_ in _PRONOUNS_PERSON | _PRONOUNS_GROUP:
            if fr.lemma in _CONTINUING:
                here = para_of[fr.sentence]
                for st in reversed(out):
                    if para_of[st.quote.sentence] < here - 1:
                        break
                    if fits(src, st.speaker_at):
                        return st.quote.speaker_name, st.speaker_at, True
            if out and out[-1].quote.sentence == fr.sentence - 1 and named_at(out[-1].speaker_at) \
                    and fits(src, out[-1].speaker_at) \
                    and not any(m.subject and m.span.end <= src.i for m in mentions[fr.sentence]):
                # 'According to Ham, ... Obama's policies. | "...," he said.': the one who just spoke, not a
                # name inside what he said
                last = out[-1]
                return last.quote.speaker_name, last.speaker_at, True
            # News paragraphs are short: a "he said" with no one named in its paragraph or the one before
            # may refer to someone the text no longer names nearby, so that guess is not listed.
            reported = frozenset(t.i for t in fr.content)
            m = _speaker(src, fr.sentence, mentions, para_of, content=reported)
            near = m is not None
            m = m or _speaker(src, fr.sentence, mentions, content=reported)
            if m is None:
                # an attribution all the same, to someone the text does not name: never listed
                return src.text, None, False
            return m.span.text, (m.sentence, m.span.start_char, m.span.end_char), near
        span = _name_span(src)
        name = span.text.strip(" ,")
        if not name or not any(ch.isalpha() for ch in name):
            return None
        return name, (fr.sentence, span.start_char, span.end_char), True

    def make(fr: Frame, text: str, kind: str, sentence: int, content_at: list[Segment]) -> Statement | None:
        who = speaker_of(fr)
        if who is None or not text:
            return None
        name, at, sure = who
        span = docs[at[0]].char_span(at[1], at[2], alignment_mode="expand") if at is not None else None
        # "Western officials" is not the entity "Western" its modifier names: a common-noun speaker resolves
        # only by role ("the spokesman"), and a group of them to no one entity
        named = span is None or span.root.ent_type_ in _NAME_TYPES or span.root.pos_ == "PROPN"
        group = not named and span is not None and span.root.tag_ in ("NNS", "NNPS")
        neg = any(t.dep_ == "neg" or t.lower_ in ("never", "no") for t in fr.cue.children) or bool(
            re.search(r"\b(not|never|no)\b|n't\b", text, re.I)
        )
        q = Quote(
            None if group or at is None else _resolve_entity(entities, article.id, at if named else None, name),
            name,
            text,
            kind,
            "according to" if fr.lemma == "according to" else fr.cue.text.lower(),
            article.id,
            sentence,
        )
        # the source as written: a pronoun, relative ones included, is what the text says
        own = fr.relative or fr.source
        written = _name_span(own) if own is not None and own.pos_ != "PRON" and fr.relative is None else None
        src_at = (
            (fr.sentence, written.start_char, written.end_char)
            if written is not None
            else (fr.sentence, own.idx, own.idx + len(own))
            if own is not None
            else None
        )
        listed = (
            sure
            and name.lower() not in _NO_ONE
            and (fr.agent or _documentary(fr.source))
            and (kind == "direct" or _proposition(fr.content, fr.lemma))
        )
        return Statement(q, at, content_at, neg, src_at, listed)

    def frame_near(sp: QuoteSpan) -> Frame | None:
        first, final = sp.segments[0], sp.segments[-1]
        # a frame after the quote in its last sentence, or before it in its first sentence
        # a frame after the quote frames it only when it reports nothing, or something from the quote on:
        # in '... had "set out its position" and urged Valdoria to ...', "urged" reports what follows it
        cands = [
            (f.cue.idx - final.end, f)
            for f in frames[final.sentence]
            if f.cue.idx >= final.end
            and (not f.content or f.content[0].idx < final.end or f.content[0].lower_ in ("of", "about"))
        ]  # '"Absolutely not," he said of the plan': what it is about, not another statement
        cands += [(first.start - f.cue.idx, f) for f in frames[first.sentence] if f.cue.idx < first.start]
        nxt = final.sentence + 1
        if (
            not cands
            and nxt < len(docs)
            and para_of[nxt] == para_of[final.sentence]
            and article.sentences[nxt][:1].islower()
        ):
            # '"..." were the words of Sullivan': the splitter cut the frame off into its own sentence
            cands = [(f.cue.idx + 1000, f) for f in frames[nxt]]
        if not cands and nxt < len(docs) and para_of[nxt] == para_of[final.sentence]:
            # '"How many times ...?" | Clinton said.': after a question or exclamation mark the splitter leaves
            # the frame alone in the next sentence
            cands = [(f.cue.idx + 1000, f) for f in frames[nxt] if not f.content and _bare(docs[nxt])]
        prev = first.sentence - 1
        if not cands and first.start <= 1 and prev >= 0 and article.sentences[prev].rstrip().endswith(":"):
            # 'The New York Times reports: | "..."': a frame that closes on a colon introduces the next quote,
            # in its own paragraph or the next
            cands = [(2000, f) for f in frames[prev] if not f.content and para_of[first.sentence] - para_of[prev] <= 1]
        if not cands:
            after = [(final.sentence, docs[final.sentence])]
            if nxt < len(docs) and para_of[nxt] == para_of[final.sentence]:
                after.append((nxt, docs[nxt]))
            return _signature(after, final.end)
        return min(cands, key=lambda c: c[0])[1] if cands else None

    def overlaps(fr: Frame, sp: QuoteSpan) -> bool:
        return any(
            g.sentence == fr.sentence and any(g.start <= t.idx < g.end for t in fr.content)
            for g in sp.segments
        )

    # Events in reading order: (sentence, char, frame or None, quote span or None).
    events: list[tuple[int, int, Frame | None, QuoteSpan | None]] = []
    used: set[int] = set()
    for sp in spans:
        words = quote_text(article, sp).split()
        last = sp.segments[-1]
        ends = article.sentences[last.sentence][:last.end].rstrip(" \"'")[-1:] in (",", "?", "!", ".")
        if len(words) < 3 and not (words and ends) or _title(" ".join(words)):
            continue  # scare quotes, single quoted words and titles ("Face the Nation") leave their frame free
        fr = frame_near(sp)
        # a short quote is speech when it ends its clause before its frame ('"We're anxious," said ...') or
        # finishes a quote its frame split ('"The bridge," she said, "is safe."')
        after = fr is not None and fr.cue.idx > sp.segments[0].start and fr.sentence == last.sentence
        if len(words) < 3 and not (fr is not None and (after or id(fr) in used)):
            continue
        if fr is not None and fr.content and overlaps(fr, sp) and fr.sentence == sp.segments[-1].sentence:
            quoted_chars = sum(g.end - g.start for g in sp.segments)
            content_chars = fr.content[-1].idx + len(fr.content[-1]) - fr.content[0].idx
            # words of what the frame reports that no quotation mark covers: 'said that the offer was
            # "fair"', '"We stand ready to work with" the United States, Xi said'
            loose = [t for t in fr.content if not t.is_punct and not _inside(t, quoted[fr.sentence])]
            if fr.cue.idx > last.end:
                # 'As for the toll, "I write it off," Pike said': an adverbial set before the quote leads into it
                loose = [t for t in loose if t.idx > sp.segments[0].start or not _adverbial(t, sp.segments[0].start)]
            before = fr.cue.idx < sp.segments[0].start and quoted_chars < 0.5 * content_chars
            if (loose or before) and id(fr) not in used:
                # quoted words inside reported speech: the reported statement carries them (unless the frame
                # already took the quote before this one: '"A," Velde said, "and B."')
                continue
        if fr is not None:
            # the frame and any other frame around the same quote ("warned: '...', Sullivan said")
            used.add(id(fr))
            used.update(id(f) for g in sp.segments for f in frames[g.sentence] if overlaps(f, sp))
        events.append((sp.segments[0].sentence, sp.segments[0].start, fr, sp))
    for s, frs in enumerate(frames):
        events.extend((s, fr.cue.idx, fr, None) for fr in frs if id(fr) not in used)
    events.sort(key=lambda e: (e[0], e[1]))

    made: dict[int, Statement] = {}  # frame (by id) -> the direct statement it frames
    phrasal: set[int] = set()  # statements not listed only because their first part is a phrase
    for s, _, fr, sp in events:
        st: Statement | None = None
        if sp is not None:
            text = quote_text(article, sp)
            # the latest direct statement, past any that its own frame or sentence reports beside it ('"...,"
            # Ms. Hughes said, pointing out where the store used to be. "..."', '"...," said Dahl, who wrote ...')
            j = len(out) - 1
            while j >= 0 and out[j].quote.kind != "direct":
                j -= 1
            beside = j >= 0 and all(
                x.source_at is not None
                and (x.source_at == out[j].source_at
                     or x.quote.sentence in (out[j].content_at[-1].sentence, (out[j].source_at or (-1,))[0]))
                for x in out[j + 1 :]
            )
            last = out[j] if beside else out[-1] if out else None
            end = last.content_at[-1].sentence if last is not None else -1
            # '"...," Viguerie tells the paper. | "He is what we waited for."': a paragraph that is only a quote
            # with no frame goes on with the quote that closed the paragraph before it
            goes_on = (
                fr is None
                and para_of[s] == para_of[end] + 1
                and (end + 1 == len(docs) or para_of[end + 1] != para_of[end])
                and sp.segments[0].start <= 1
                and all(para_of[g.sentence] == para_of[s] for g in sp.segments)
            )
            joins = (
                last is not None
                and last.quote.kind == "direct"
                and (para_of[end] == para_of[s] or goes_on)
                and (made.get(id(fr)) is last if fr is not None else True)
            )
            if joins and last is not None:
                # '"The bridge is safe," she said. "We tested it twice."': a quote split by its frame, or
                # run on in the same paragraph without one, is one statement
                # an ellipsis stands for the frame left out between the parts, unless a sentence ended there
                gap = " " if last.quote.text[-1:] in ".?!" else " \u2026 "
                last.quote.text = f"{last.quote.text}{gap}{text}"
                last.content_at = last.content_at + sp.segments
                if id(last) in phrasal and _clausal(docs, sp):
                    last.listed = True  # '"Now that I am free to say it," he said, "it was a mistake."'
                    phrasal.discard(id(last))
                continue
            if fr is not None:
                st = make(fr, text, "direct", s, sp.segments)
                if st is not None and st.listed and not _clausal(docs, sp):
                    st.listed = False  # a quoted phrase ("called for 'restraint on all sides'") says nothing alone
                    phrasal.add(id(st))
                if st is not None:
                    made[id(fr)] = st
            else:
                # A quote with no frame continues the last statement of this or the previous paragraph.
                prev = [x for x in out if para_of[x.quote.sentence] in (para_of[s], para_of[s] - 1)]
                if prev:
                    src = prev[-1]
                    st = Statement(
                        Quote(src.quote.speaker, src.quote.speaker_name, text, "direct", None, article.id, s),
                        src.speaker_at,
                        sp.segments,
                        listed=src.listed,
                    )
        elif fr is not None:
            content = [t for t in fr.content if not t.is_punct or t.text in ("'", "-", '"')]
            if len(content) < (1 if fr.lemma in _DENIAL_VERBS else 3):  # "rejected the accusation" counts
                continue
            doc = docs[s]
            parts = _runs(doc, content)
            a, end = parts[0]
            if doc[a:end].text.count('"') % 2 and a > 0 and doc[a - 1].text == '"':
                parts[0] = (a - 1, end)  # the opening mark of a quote the content starts with
            a, end = parts[-1]
            if doc[parts[0][0] : end].text.count('"') % 2 and end < len(doc) and doc[end].text == '"':
                parts[-1] = (a, end + 1)  # the parser hangs a closing mark on the verb: 'messages "face to face".'
            text = " ".join(doc[a:b].text.strip(" ,") for a, b in parts)
            text = re.sub(r"^(that|whether|if)\s+", "", _unquote(text.strip(" ,")))
            segs = [Segment(s, doc[a].idx, doc[b - 1].idx + len(doc[b - 1])) for a, b in parts]
            nxt = s + 1
            while fr.rest and nxt < len(docs) and para_of[nxt] == para_of[s]:
                segs.append(Segment(nxt, 0, len(article.sentences[nxt])))
                text += " " + article.sentences[nxt]
                nxt += 1
            st = make(fr, text, "reported", s, segs)
        if st is not None:
            out.append(st)
    for st in out:
        if _DANGLING.search(st.quote.text):
            st.listed = False  # cut mid-phrase: the brief never shows it
    from . import cue_model  # imports this module

    return cue_model.revise(out, docs, article)  # the learned keep/drop, and unlisted stance and action frames


# Text that ends on a word that needs what follows ("stood ready to work with"): cut mid-phrase. Most
# prepositions are left out: English strands them ("everything we asked for", "proud of").
_DANGLING = re.compile(
    # "does not need to," leaves out a verb the reader already has: not cut off
    r"\b(with|(?<!need )(?<!needs )(?<!want )(?<!wants )(?<!have )(?<!has )(?<!had )(?<!ought )(?<!going )to|"
    r"the|a|an|and|or|but|their|its|our|my|your)"
    r"[\s\u2026,;:\"']*$",
    re.I,
)
_TITLE_SMALL = frozenset("a an the of in on at and or for to with by from is are".split())


def _adverbial(tok: Token, before: int) -> bool:
    """Whether a word before char `before` belongs to an adverbial phrase or a conjunction that stands
    outside the clause starting there ("As for the toll, ...", "But ..."), not to its subject or verb."""
    while tok.idx < before and tok.head.i != tok.i:
        if tok.head.idx >= before:
            return tok.dep_ in ("prep", "advcl", "advmod", "npadvmod", "cc", "mark", "intj")
        tok = tok.head
    return False


def _title(text: str) -> bool:
    """Whether quoted words are a title ("Face the Nation", "A Change Is Gonna Come"), not speech: a few
    words, each capitalised but for short function words."""
    words = re.findall(r"[^\W\d_][\w'\u2019-]*", text)
    return 0 < len(words) <= 8 and all(w[0].isupper() or w.lower() in _TITLE_SMALL for w in words)


def _runs(doc: Doc, content: list[Token]) -> list[tuple[int, int]]:
    """The content as runs of consecutive tokens (start, end), bridging gaps of punctuation only, so that
    a frame written inside what it reports ("The museum, Mr. Bush said, celebrated ...") is left out."""
    ids = sorted({t.i for t in content})
    runs: list[list[int]] = [[ids[0], ids[0] + 1]]
    for i in ids[1:]:
        if all(doc[j].is_punct for j in range(runs[-1][1], i)):
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [(a, b) for a, b in runs]


def _unquote(text: str) -> str:
    """Reported content without quote marks around all of it or left over at an edge, keeping the marks of
    a quoted phrase inside it (messages "face to face", not messages "face to face)."""
    if len(text) > 1 and text[0] == text[-1] == '"' and text.count('"') == 2:
        return text[1:-1].strip()
    if text.count('"') % 2:
        text = text[1:] if text.startswith('"') else text[:-1] if text.endswith('"') else text
    return text.strip()


def extract_quotes(articles: list[Article], entities: Any | None = None) -> list[Quote]:
    """The statements of every article that say who said what, in reading order: direct quotes and
    reported speech whose source can speak and whose content is a proposition."""
    return [s.quote for s in extract_statements(articles, entities) if s.listed]
