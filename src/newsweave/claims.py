"""Claims: the propositions a story turns on, who asserts them, how widely, and who disputes them.

Candidates are the asserted sentences of every article plus the contents of reported speech and of
"reports that ..." clauses. They are grouped across articles by meaning (MiniLM cosine) around the
candidate that the most independent articles support, greedily, so that no chain of near-neighbours
drifts from one proposition to another. Denials come from the parse, since no entailment model
ships here (../shared/models.md): denial verbs, denial phrases ("never heard", "misinformation") and
negated statements, each only with its polarity: a negated denial or doubt affirms ("did not deny",
"had no doubt that ..."), and a word like "disinformation" contradicts only when the statement asserts it
("called the reports misinformation"), not when it sits inside a noun phrase ("media promoting Russian
disinformation campaigns"). A denial verb must take on something said: "rejected claims that ...", not
"rejected calls for a ceasefire", "denied him bail" or a judge's "dismissed the charges"; a doubt no one casts
("beyond a reasonable doubt", "in doubt") and a question about why are none.

Precision comes first (issue 14: a dispute is shown only when it denies *that* claim). A bare negated
statement ("the team will not sign him", "no one was hurt") is never a dispute: it says what did not happen,
and sentence embeddings cannot tell it from the claim it seems to answer. Nobody disputes a claim they or
their side are cited for (by name, by the stem of a name: "the Sudanese military" is Sudan's side, or by a
role in a case: "his attorneys" and "Mr. Gigante's lawyers"). A denial is attached to the claim its content
matches best (negation taken out; for content as short as "denied arson", its whole sentence too), only
above SIM_DISPUTE. An anaphoric denial ("never heard anything like that", "denied the claims") answers,
among the claims its article stated before it (cited there or restated by one of its sentences), the one
it matches best. Thresholds were chosen on ECB+ disputes judged by hand and checked on GVC, PolNeAR and the
seed story (bench/disputes.py). A sentence that only reports a non-answer ("did not address the reports")
is no claim, nor is a line without a verb (a timestamp).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .clean import chrome_reason
from .copies import aligned_sentences, independent_sources
from .entities import readable
from .model import Article, Citation, Claim, CopyRelation, Dispute, Quote
from .quotes import cue_lemma

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Phrases that deny or contradict whatever they answer, with the relation they express.
_DENIAL_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\bnever (heard|asked|requested|sought)\b|\bno (such|knowledge)\b|"
            r"(?<!was )(?<!were )(?<!been )(?<!be )\bnot (asked|requested|sought)\b|\bnot true\b",
            re.I,
        ),
        "denies",
    ),
    (
        re.compile(
            r"\b(mis|dis)information\b|\bfake news\b|\b(false|baseless|groundless|untrue|fabricat\w+|"
            r"lies|smear|fantasy|fiction|nonsense|hoax)\b",
            re.I,
        ),
        "contradicts",
    ),
    (re.compile(r"(?<!in )\b(doubt\w*|skeptic\w*|sceptic\w*|unverified|unconfirmed)\b", re.I), "questions"),
]
_DENIAL_CUES = {
    "deny": "denies",
    "reject": "denies",
    "dismiss": "denies",
    "refute": "contradicts",
    "rebut": "contradicts",
    "contradict": "contradicts",
    "dispute": "contradicts",
    "question": "questions",
    "doubt": "questions",
    "challenge": "questions",
}
# What "rejected" or "dismissed" must have rejected to dispute a claim: a claim-like noun or a clause;
# "rejected calls for a ceasefire" or "dismissed the charges" (a judge) dispute nothing anyone said.
_DISPUTED_NOUNS = {
    "report", "claim", "allegation", "accusation", "suggestion", "speculation", "rumor", "rumour",
    "notion", "idea", "story", "assertion", "criticism", "account", "version", "characterization",
    "characterisation", "finding", "conclusion", "statement", "assessment", "theory", "narrative", "premise",
    "talk", "reporting", "contention", "insinuation", "news",
}
# What "denied" refuses rather than disputes: "denied bail", "denied the request", "denied him entry".
_REFUSED = {
    "request", "requests", "offer", "bail", "permission", "access", "entry", "visa", "application", "motion",
    "appeal", "petition", "bid", "parole", "admission", "service", "benefits", "coverage", "license", "licence",
}
# Verbs that make "doubt" a challenge: "cast doubt on", "raised doubts about", "expressed doubts".
_DOUBT_VERBS = re.compile(r"^(cast|rais|express|voic|ha[sdv]|sow|throw|throws|threw)", re.I)
_NEGATORS = {"not", "n't", "never", "no", "nothing", "none", "neither", "nobody"}
# Dependencies along which a word stays part of what a statement asserts (a clause's predicate or
# arguments); any other (acl, relcl, appos, poss, nmod) puts it inside a noun phrase that only mentions it.
_ASSERTING = {
    "ROOT", "dobj", "attr", "oprd", "acomp", "ccomp", "xcomp", "advcl", "conj", "pcomp", "prep", "pobj",
    "nsubj", "nsubjpass", "dep", "parataxis",
}
# An anaphor naming a request ("never heard of such a request") points at a claim that reports asking for
# something; sentence embeddings of the bare phrase do not tell such claims from others near them.
_REQUEST_NOUN = re.compile(r"\b(requests?|demands?|appeals?)\b", re.I)
_REQUEST_VERB = re.compile(r"\b(ask(s|ed|ing)?|request(s|ed|ing)?|sought|seek(s|ing)?|demand(s|ed|ing)?|"
                           r"appeal(s|ed|ing)?)\b", re.I)
# Nouns whose clause is a reported proposition: "in reports that Russia has demanded ..."
_REPORT_NOUNS = {
    "report",
    "reports",
    "claim",
    "claims",
    "allegation",
    "allegations",
    "news",
    "rumors",
    "rumours",
    "suggestion",
    "suggestions",
    "assertion",
}

# Verbs of answering (stems): "did not address the reports", "declined to comment" report a non-answer.
_ANSWERING = re.compile(
    r"^(say|said|comment|respond|answer|repl|confirm|describ|disclos|reveal|explain|address|mention|nam|"
    r"discuss|elaborat|specif|detail)",
    re.I,
)

_NEGATION = re.compile(r"\b(not|never|no)\b|n't\b", re.I)
SIM_CLAIM = 0.6  # members of one claim: mean cosine between them
SIM_DISPUTE = 0.72  # a denial answers a claim: cosine of its negation-stripped text to a member (bench/disputes.py)
ANAPHOR_TIE = 0.05  # an anaphoric denial's scores closer than this do not rank claims


@dataclass
class _Cand:
    article: str
    sentence: int
    text: str
    attributed: list[str] = field(default_factory=list)
    speakers: list[str] = field(default_factory=list)  # entity ids of the attributed sources
    reported: bool = False  # someone's statement in the text, not the article's own voice


@dataclass
class _Denial:
    quote: Quote
    relation: str
    strong: bool  # a denial verb or phrase, not just a negation


def _doubting(tok: Token) -> bool:
    """A word of denial or doubt ("doubt", "denied", "questions"), whose negation affirms."""
    return tok.lower_.startswith("doubt") or cue_lemma(tok.text) in _DENIAL_CUES


def _negated(tok: Token) -> bool:
    """Whether a word is negated: "did not deny", "never doubted", "no doubt", "little doubt", "without doubt"."""
    return tok.head.lower_ == "without" or any(
        c.dep_ == "neg" or c.lower_ in _NEGATORS | {"little"} for c in tok.children
    )


def _negates(tok: Token, region: Span) -> bool:
    """A negation of the statement's proposition: of its main predicate ("Russia had not asked ...", "it needs
    no help"), not of a side clause ("... and that the government cannot watch"), not one that cancels a
    doubt ("no doubt that ..."), and not the additive "not only"."""
    if tok.lower_ not in _NEGATORS and tok.dep_ != "neg":
        return False
    only = tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ == "only"
    if only or _doubting(tok.head):
        return False
    clause = tok.head
    while clause.pos_ not in ("VERB", "AUX") and clause.head.i != clause.i:
        clause = clause.head
    return clause.i == region.root.i or clause.dep_ == "ROOT"


def _asserted(tok: Token) -> bool:
    """Whether a word is part of what its sentence asserts: "the reports were misinformation", "accused
    Washington of spreading misinformation", but not "media promoting Russian disinformation campaigns"."""
    if tok.dep_ in ("amod", "compound"):  # the word as a modifier of its own noun: "false reports", "fake news"
        noun = tok.head.lower_[:-1] if tok.head.lower_.endswith("s") else tok.head.lower_
        if tok.pos_ == "ADJ" and noun not in _DISPUTED_NOUNS and noun != "information":
            return False  # "a false happiness": an adjective calls a claim false only as its noun's word
        tok = tok.head
    while tok.head.i != tok.i:
        if tok.dep_ not in _ASSERTING or tok.dep_ == "prep" and tok.head.pos_ not in ("VERB", "AUX", "ADJ"):
            return False
        tok = tok.head
    return True


def _locate(q: Quote, sentence: Doc | None) -> tuple[Span, Token | None]:
    """The statement's text as parsed tokens (in its sentence when it is written there, else parsed alone)
    and its cue verb in the sentence."""
    from . import nlp

    at = sentence.text.find(q.text) if sentence is not None else -1

    def alone() -> Span:  # through the shared parse cache: copies repeat the same statements
        return nlp.parse_sentences([q.text])[0][:]

    if sentence is None or at < 0:
        region = alone()
    else:
        # never the whole sentence: the narrator's words around a statement ("unconfirmed reports ...;
        # the spokeswoman said only that ...") are not the speaker's
        region = sentence.char_span(at, at + len(q.text), alignment_mode="expand") or alone()
    cues = [
        t
        for t in (sentence or [])
        if q.cue and t.lower_ == q.cue.lower() and not region.start_char <= t.idx < region.end_char
    ]
    return region, cues[0] if cues else None


def denial_relation(q: Quote, sentence: Doc | None = None) -> tuple[str, bool] | None:
    """(relation, strong) when a statement denies, contradicts or questions something, else None.

    `sentence` is the parse of the statement's sentence (to read its cue's polarity and where its words
    sit); without it the statement's text is parsed alone.
    """
    region, cue = _locate(q, sentence)
    lemma = cue_lemma(q.cue or "") if q.cue else None
    asking = lemma == "question" and re.match(r"(why|how|what|when|where|who)\b", q.text, re.I)
    if cue is not None and any(c.lower_ in ("initially", "originally", "first") for c in cue.children):
        return None  # "she initially dismissed the report": a doubt the text goes on to withdraw
    if lemma in _DENIAL_CUES and not asking and not (
        cue is not None and (_negated(cue) or not _disputes_something(cue, lemma))
    ):  # "questioned why the prisons stopped searching visitors" asks; it doubts nothing
        return _DENIAL_CUES[lemma], True
    for pattern, relation in _DENIAL_PHRASES:
        for m in pattern.finditer(region.text):
            span = region.doc.char_span(region.start_char + m.start(), region.start_char + m.end(),
                                        alignment_mode="expand")
            word = span.root if span is not None else None
            if word is not None and relation == "questions" and _negated(word):
                continue  # "had no doubt that ..." affirms
            if word is not None and word.pos_ == "NOUN" and any(c.dep_ == "poss" and c.pos_ == "PROPN"
                                                                for c in word.children):
                continue  # "Trump's skepticism on climate change", said by Graham: someone else's doubt
            if word is not None and word.lower_.startswith("doubt") and word.pos_ == "NOUN" \
                    and not _DOUBT_VERBS.match(word.head.lower_):
                continue  # "beyond a reasonable doubt": a doubt someone casts or raises questions, not any doubt
            if word is not None and relation == "contradicts" and not _asserted(word):
                continue
            return relation, True
    if any(_negates(t, region) for t in region):
        return "denies", False
    return None


def _disputes_something(cue: Token, lemma: str) -> bool:
    """Whether a denial verb takes on something said: "denied the reports", "rejected claims that ...",
    "dismissed it", "denied that ...", not "rejected calls for a ceasefire" or "denied him bail"."""
    objects = [c for c in cue.children if c.dep_ in ("dobj", "nsubjpass")]
    if lemma == "deny":
        # "Nixon denied him", "denied him bail" (which the parser may read as a clause), "denied the request":
        # a refusal
        after = cue.doc[cue.i + 1 : cue.i + 4]
        return not any(c.dep_ == "dative" for c in cue.children) and not any(
            t.lower_ in _REFUSED or t.lower_ in ("him", "her", "them", "me", "us") for t in after
        ) and not any(o.ent_type_ == "PERSON" for o in objects)
    # A clause is what is disputed ("doubted her brother was armed"), unless it is the object's relative clause
    # misread as the verb's ("questioned NASA's approach that minimizes ...": "that" is its subject)
    if any(c.dep_ in ("ccomp", "xcomp") and not (objects and not any(
            g.dep_ in ("nsubj", "nsubjpass", "expl") and g.lower_ not in ("that", "which") for g in c.children))
           for c in cue.children):
        return True
    for o in objects:  # "rejected it" may be an order or an offer as well as a claim: only a named claim counts
        if _claim_noun(o):
            return True
        if any(c.dep_ in ("acl", "ccomp") and any(d.dep_ == "mark" for d in c.children) for c in o.children):
            return True  # "rejected suggestions that ..."
    return False


def _denied(q: Quote, sentence: Doc | None) -> str | None:
    """What a denial says is wrong, when it says: a denial verb's content ("denied that he was there"), the
    clause a doubt governs ("he doubted [any court would enforce it]"), the content of "never heard of" or "not
    asked"; None for a word that calls something false without saying what ("calling out Trump for his lies"),
    which can only answer a claim it points back to ("that is not true", "the reports are misinformation")."""
    region, cue = _locate(q, sentence)
    if cue_lemma(q.cue or "") in _DENIAL_CUES:
        if cue is not None and cue.dep_ == "relcl" and not any(c.dep_ in ("ccomp", "xcomp") for c in cue.children):
            # "concerns about him leaking information, a prospect he denied": the phrase the clause hangs on
            head = cue.head.head if cue.head.dep_ == "appos" else cue.head
            inside = {t.i for t in cue.subtree}
            return " ".join(t.text for t in head.subtree if t.i not in inside)
        if cue is not None and q.kind != "direct" and any(c.dep_ == "ccomp" and c.i < cue.i for c in cue.children):
            # "..., a prospect Vindman denied" misread as "[...] Vindman denied": English puts what is denied
            # after the verb, so a clause before it is a parse that cannot say what was denied
            return None
        return q.text
    for t in region:
        if t.lower_.startswith("doubt") and t.pos_ in ("VERB", "NOUN"):
            clause = next((c for c in t.children if c.dep_ in ("ccomp", "acl", "prep")), None)
            if clause is not None:
                return " ".join(w.text for w in clause.subtree)
    if _DENIAL_PHRASES[0][0].search(region.text):
        return q.text
    return None


def _accused(sentence: Doc | None) -> str | None:
    """Whom a sentence says spreads falsehoods: the object of "accused X of spreading misinformation" or
    "urged X to stop spreading false information", or the subject of "X is spreading misinformation"."""
    m = _DENIAL_PHRASES[1][0].search(sentence.text) if sentence is not None else None
    span = sentence.char_span(m.start(), m.end(), alignment_mode="expand") if m else None
    if span is None:
        return None
    tok, first = span.root, True
    while tok.head.i != tok.i:
        tok = tok.head
        if tok.pos_ not in ("VERB", "AUX"):
            continue
        # the phrase's own verb may name the spreader as subject; the verbs above it only as object
        deps = ("dobj", "nsubj") if first else ("dobj",)
        first = False
        who = next((c for c in sorted(tok.children, key=lambda c: c.dep_ != "dobj")
                    if c.dep_ in deps and (c.pos_ == "PROPN" or c.ent_type_) and not span.start <= c.i < span.end),
                   None)
        if who is not None:
            return " ".join(t.text for t in who.subtree if t.pos_ in ("PROPN", "NOUN", "ADJ") or t.ent_type_)
    return None


_POINTING = {"it", "that", "this", "these", "those", "them", "such"}
_DEFINITE = {"the", "these", "those", "this", "that", "such"}
# Nouns that name an accusation: the accused is whoever denies it ("Assange denies the accusation").
_ACCUSATION = re.compile(r"^(accusation|allegation|charge|claim)s?$", re.I)
_ACCUSING = re.compile(r"\b(charg|accus|arrest|suspect|blam|alleg|convict|indict)\w*", re.I)


def _answers(denied: str, claim: str) -> bool:
    """Whether a denial too short to compare alone ("denied arson") can answer a claim: only one that names
    what it denies or accuses someone, not one its sentence's setting matched ("a fire at a supermarket")."""
    words = re.findall(r"[a-z]{4,}", denied.lower())
    if len(denied.split()) >= 4 or not words:
        return True
    return bool(_ACCUSING.search(claim)) or any(w[:5] in claim.lower() for w in words)


def _points_back(tok: Token) -> bool:
    """Whether a noun phrase refers to something said before: a pronoun ("denied it"), a definite or owned claim
    noun ("the reports", "these accusations", "the Russian and Syrian claims", "Swift's claims"), or "such ..."."""
    if tok.lower_ in _POINTING:
        return tok.dep_ != "det"  # "on this issue": the noun decides ("these accusations" points back)
    if not _claim_noun(tok):
        return any(c.lower_ == "such" for c in tok.children)
    if any(c.dep_ in ("acl", "ccomp") and any(d.dep_ == "mark" for d in c.children) for c in tok.children):
        return False  # "denied reports that he was there" says what it denies
    return any(c.dep_ == "poss" or c.lower_ in _DEFINITE or c.ent_type_ == "NORP" for c in tok.children)


def _claim_noun(tok: Token) -> bool:
    """Whether a word names something said: "the allegations", "those claims" (not "such a conversation")."""
    return tok.lower_ in _DISPUTED_NOUNS or tok.lower_.removesuffix("s") in _DISPUTED_NOUNS


def _pointer(q: Quote, sentence: Doc | None) -> Token | None:
    """The words by which a denial points back at something said before ("denied the claims", "rejected these
    accusations", "the Russian claims are false", "that is not true", "never heard anything like that"); None
    when it says what it denies ("denied that he was there", "denied any wrongdoing"). A pronoun inside what is
    denied ("denied that *it* had settled") refers to a party, not to a claim."""
    region, cue = _locate(q, sentence)
    if cue is not None and cue_lemma(q.cue or "") in _DENIAL_CUES:
        clauses = [c for c in cue.children if c.dep_ in ("ccomp", "xcomp")]
        if clauses:  # "denied making any such request" points back; "denied that it had settled" does not
            return next((o for c in clauses for o in c.children if o.dep_ in ("dobj", "nsubj", "nsubjpass", "attr")
                         and any(d.lower_ == "such" for d in o.children)), None)
        # in a relative clause the object is the noun it hangs on, not the relative pronoun: "the accusation,
        # which he denies"
        obj = cue.head if cue.dep_ == "relcl" else next(
            (c for c in cue.children if c.dep_ in ("dobj", "nsubjpass")), None)
        return obj if obj is not None and _points_back(obj) else None
    for t in region:
        if t.lower_ == "heard" and _negated(t):  # "never heard of a request": the request said to have been made
            heard = next((g for c in t.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"), None)
            if heard is not None:
                return heard
    for t in region:
        if t.pos_ in ("NOUN", "PRON", "DET") and _points_back(t) and not (
            t.lower_ == "that" and (t.dep_ == "mark" or t.head.dep_ == "relcl")
        ):
            if t.lower_ == "it" and any(c.dep_ in ("ccomp", "csubj") for c in t.head.children):
                continue  # "it is not true that I was jealous": the clause, not "it", is what is denied
            if any(a.dep_ == "ccomp" and a.head.lower_.startswith("doubt") for a in t.ancestors):
                continue  # "doubted any court would enforce it": the doubt is the clause's, "it" is its object
            if t.lower_ in _POINTING and t.dep_ in ("nsubj", "nsubjpass") and t.head.i != region.root.i:
                continue  # the subject of a clause inside what is denied
            return t
    return None


def _titles(sentences: list[Doc], name: str) -> set[str]:
    """The words an article calls a named speaker by: "mayor" in "Mayor Lena Ortiz" or "Ortiz, the mayor,",
    "south", "sudan" in "South Sudan's President Salva Kiir", so that "the mayor ordered ..." or "Sudan accuses
    South Sudan ..." is known to be about them."""
    last = name.split()[-1] if name.split() else ""
    words: set[str] = set()
    for t in (t for doc in sentences for t in doc):
        if t.text != last:
            continue
        for c in t.children:
            if c.dep_ in ("compound", "appos") and c.text != name.split()[0]:
                words |= {w.lower_ for w in c.subtree if w.pos_ in ("NOUN", "PROPN") and w.lower_ not in last.lower()}
    return words


def _owner(pointer: Token) -> str | None:
    """Whose claim a pointing phrase names: "Swift" in "Swift's claims", "Russian and Syrian" in "the Russian
    and Syrian claims"; None when it names no one."""
    words = [w for c in pointer.children if c.dep_ == "poss" or (c.dep_ in ("amod", "compound") and
             (c.ent_type_ or c.pos_ == "PROPN")) for w in c.subtree]
    names = [w.text for w in sorted(words, key=lambda w: w.i) if w.dep_ != "case" and w.lower_ not in ("his", "her",
                                                                                                    "its", "their")]
    return " ".join(names) or None


# Words for one side's representatives: "His attorneys" and "Mr. Gigante's lawyers" argue one case.
_ROLE_KIN = {"attorney": "lawyer", "attorneys": "lawyer", "lawyers": "lawyer", "counsel": "lawyer",
             "defense": "lawyer", "defence": "lawyer", "prosecutors": "prosecutor", "prosecution": "prosecutor"}


# News names governments by their capitals ("Washington accused Beijing ..."): a capital is its country's side.
# Written out because no library here maps them; keys and values are _party stems.
_CAPITALS = {
    "washi": "us", "beiji": "china", "mosco": "russi", "kreml": "russi", "kyiv": "ukrai", "kiev": "ukrai",
    "londo": "uk", "paris": "franc", "berli": "germa", "tokyo": "japan", "tehra": "iran", "jerus": "israe",
    "khart": "sudan", "pyong": "north korea", "seoul": "south korea", "taipe": "taiwa", "ankar": "turke",
    "damas": "syria", "baghd": "iraq", "kabul": "afgha", "riyad": "saudi", "cairo": "egypt", "minsk": "belar",
}


def _party(name: str) -> set[str]:
    """What identifies a speaker's side: each run of capitalised words, cut to stems ("The Sudanese military"
    -> "sudan", "South Sudan" -> "south sudan"), and its role among a case's sides ("lawyer", "prosecutor")."""
    keys, run = set(), []
    name = re.sub(r"\b([A-Z])\.(?=[A-Z])|(?<=[A-Z])\.", r"\1", name)  # "U.S." is "US"
    for w in [*re.findall(r"[A-Za-z]+", name), ""]:
        low = w.lower()
        if low in _ROLE_KIN or low in _ROLE_KIN.values():
            keys.add(_ROLE_KIN.get(low, low))
        if w[:1].isupper() and low not in ("the", "mr", "mrs", "ms", "dr", "his", "her", "their", "its"):
            run.append(low[:5])
        elif run:
            keys.add(" ".join(run))
            run = []
    return keys | {_CAPITALS[k] for k in keys if k in _CAPITALS}


def _same_party(name: str, asserters: list[str]) -> bool:
    """Whether a speaker is one of those a claim is attributed to, or of their side: the Sudanese military does
    not dispute "Sudan accuses ...", nor Gigante's lawyers what his attorneys argued."""
    if name in asserters:
        return True
    mine = _party(name)
    return bool(mine) and any(mine & _party(a) for a in asserters)


def strip_negation(text: str) -> str:
    """The proposition a denial is about: "Russia had not asked China" -> "Russia had asked China"."""
    text = re.sub(r"\b(never|not|no)\s+|n't\b", "", text, flags=re.I)
    return re.sub(
        r"\b(mis|dis)information\b|\b(denied|denies|deny|rejected|dismissed)\s+", "", text, flags=re.I
    )


# Speakers too vague to hold to a dispute: "officials", "some", "critics" (a named group or a titled person is fine).
_VAGUE = re.compile(r"^(the |some |many |other |several |unnamed |anonymous )*(officials?|sources?|people|critics|"
                    r"analysts|observers|experts|reports?|media|others|some|many|all|both|everyone|they|he|she|it|"
                    r"we|i|you)$", re.I)


# Head nouns of a group described in common words: whoever they are, the text does not say.
_GROUPS = {"official", "source", "analyst", "expert", "observer", "critic", "resident", "witness", "people",
           "diplomat", "lawmaker", "activist", "person", "member", "insider", "aide", "employee", "worker"}


def _identifiable(q: Quote) -> bool:
    """Whether a statement's speaker is someone a reader can hold to it: a resolved entity, a name, or a title;
    not a group described in common words ("both independent analysts") nor a name that owns the speaker
    ("Nisan Ahmado's [source]")."""
    name = (q.speaker_name or "").strip()
    if re.search(r"['\u2019]s?$", name):
        return False
    if q.speaker:
        return True
    words = name.split()
    if words and name == name.lower() and re.sub(r"s$", "", words[-1].lower()) in _GROUPS:
        return False
    return bool(name) and not _VAGUE.match(name)


def _non_answer(doc: Doc) -> bool:
    """Whether a sentence only reports that someone did not answer ("Petrov did not address the reports",
    "the officials declined to comment"): nothing is asserted about the world, so it is no claim."""
    root = doc[:].root
    if _ANSWERING.match(root.lower_) and _negated(root):
        return True
    return bool(re.match(r"^(declin|refus)", root.lower_)) and any(
        c.dep_ == "xcomp" and _ANSWERING.match(c.lower_) for c in root.children
    )


def _within(sentence: str, quote: str) -> bool:
    """Whether a sentence's words (outside its quotation marks) are part of a quotation's text."""
    words = sentence.strip(' "\'').strip()
    return len(words) > 10 and words in quote


def _readings(doc: Doc, read: dict[int, tuple[bool, list[str]]]) -> tuple[bool, list[str]]:
    """Whether a sentence can assert a proposition, and the clauses its report nouns carry; read once per
    parse (`read`, by Doc identity): the copies of a wire story share their sentences' parses."""
    if id(doc) not in read:
        asserts = len(doc) >= 6 and not _non_answer(doc) and any(t.pos_ in ("VERB", "AUX") for t in doc)
        clauses = []
        for tok in doc:
            if tok.lower_ in _REPORT_NOUNS:
                for c in tok.children:
                    # a clause with its own subject ("reports that Russia asked ..."), not a participle
                    # that describes the reports ("reports, published by Valdorian media on Sunday")
                    if (
                        c.dep_ in ("acl", "ccomp")
                        and sum(1 for _ in c.subtree) >= 5
                        and any(g.dep_ in ("nsubj", "nsubjpass", "expl") for g in c.children)
                    ):
                        clauses.append(re.sub(r"^that\s+", "", doc[c.left_edge.i : c.right_edge.i + 1].text))
        read[id(doc)] = (asserts, clauses)
    return read[id(doc)]


def _candidates(articles: list[Article], quotes: list[Quote], skip: set[tuple[str, int]]) -> list[_Cand]:
    from . import nlp

    by_article = {a.id: a for a in articles}

    parses = nlp.parse(articles)
    by_sentence: dict[tuple[str, int], list[Quote]] = {}
    for q in quotes:
        by_sentence.setdefault((q.article, q.sentence), []).append(q)
    # A direct quotation that runs over several sentences is its speaker's words in each of them, not a
    # proposition the story asserts (and not something its own speaker can dispute).
    quoted = {(q.article, s) for q in quotes if q.kind == "direct" and q.article in by_article
              for s in range(q.sentence + 1, len(by_article[q.article].sentences))
              if _within(by_article[q.article].sentences[s], q.text)}
    cands: list[_Cand] = []
    read: dict[int, tuple[bool, list[str]]] = {}
    for a in articles:
        for s, doc in enumerate(parses[a.id]):
            if (a.id, s) in skip or (a.id, s) in quoted:
                continue
            here = by_sentence.get((a.id, s), [])
            direct = sum(len(q.text) for q in here if q.kind == "direct")
            if direct > 0.3 * len(a.sentences[s]):
                continue  # a quotation is an opinion of its speaker, not a proposition the story asserts
            reported = [q for q in here if q.kind == "reported"]
            # an article's own voice is attributed to no one: its outlet is its source, listed with its
            # articles, and a speaker only when the text says so ("Reuters reported ...")
            names = [q.speaker_name for q in reported]
            ids = [q.speaker for q in reported if q.speaker]
            asserts, clauses = _readings(doc, read)
            if asserts:
                # a dateline or timestamp ("Thu, 10 Nov 2011 02:45 PM") asserts nothing
                cands.append(_Cand(a.id, s, a.sentences[s], names, ids, bool(reported)))
            for q in reported:
                if len(q.text.split()) >= 5:
                    cands.append(_Cand(a.id, s, q.text, [q.speaker_name], [q.speaker] if q.speaker else [], True))
            cands += [_Cand(a.id, s, sub, names, ids, True) for sub in clauses]
    return cands


def _entities_of(articles: list[Article], entities: Any | None) -> dict[tuple[str, int], set[str]]:
    """Entities named in each sentence: resolved ids when an index is given, else lower-cased names."""
    from . import nlp

    parses = nlp.parse(articles)
    out: dict[tuple[str, int], set[str]] = {}
    for a in articles:
        for s, doc in enumerate(parses[a.id]):
            keys = set()
            for ent in doc.ents:
                if ent.label_ not in ("PERSON", "ORG", "GPE", "NORP"):
                    continue
                resolved = entities.entity_of(a.id, s, ent.start_char, ent.end_char) if entities else None
                keys.add(resolved.id if resolved is not None else ent.text.lower().removeprefix("the "))
            out[(a.id, s)] = keys
    return out


def find_claims(
    articles: list[Article],
    quotes: list[Quote],
    entities: Any | None = None,
    copies: Iterable[CopyRelation] = (),
    max_claims: int = 8,
) -> list[Claim]:
    """The salient claims of a story, most independent sources first, with their disputes."""
    from . import embed, nlp

    copies = list(copies)
    # Only English articles are parsed: the English model reads any other language as junk.
    articles = [a for a in articles if readable(a)]
    by_id = {a.id: a for a in articles}
    quotes = [q for q in quotes if q.article in by_id]
    parses = nlp.parse(articles)
    denials: list[_Denial] = []
    # A statement a wire story's copies repeat is read once: the relation depends on its words, cue and kind
    # and on its sentence's parse (one object per distinct sentence).
    read: dict[tuple[Any, ...], tuple[str, bool] | None] = {}
    for q in quotes:
        if q.article not in by_id or not _identifiable(q) or chrome_reason(by_id[q.article].sentences[q.sentence]):
            continue  # a dispute is someone's statement in the news, never a caption or a video title
        doc = parses[q.article][q.sentence]
        key = (q.text, q.cue, q.kind, id(doc))
        if key not in read:
            read[key] = denial_relation(q, doc)
        rel = read[key]
        if rel is not None:
            denials.append(_Denial(q, *rel))
    skip = {(d.quote.article, d.quote.sentence) for d in denials if d.strong or d.quote.kind == "reported"}
    # A bare negation ("the team will not sign him", "no one was hurt") says what did not happen: on ECB+ two
    # thirds of those that matched a claim closely (cosine 0.85) did not dispute it (bench/disputes.py).
    denials = [d for d in denials if d.strong]

    cands = _candidates(articles, quotes, skip)
    if not cands:
        return []
    model = embed.english()
    vec = model.encode([c.text for c in cands])
    sim = vec @ vec.T
    min_sources = 2 if independent_sources(by_id, copies) >= 2 else 1

    # Average linkage keeps a group's members close on the whole, so neither a chain of near-neighbours
    # nor one sentence that mentions everything (a hub) can merge two propositions.
    if len(cands) > 1:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1 - SIM_CLAIM
        ).fit_predict(np.clip(1 - sim, 0, 2))
    else:
        labels = np.zeros(1, dtype=int)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        groups.setdefault(lab, []).append(i)
    claims: list[tuple[Claim, list[int]]] = []
    for members in groups.values():
        arts = {cands[m].article for m in members}
        if independent_sources(arts, copies) >= min_sources:
            claims.append((_claim(cands, sim, members, copies), members))
    claims.sort(key=lambda cm: (-cm[0].independent_sources, -len(cm[0].articles), -len(cm[1])))
    claims = claims[:max_claims]
    _attach_disputes(claims, cands, denials, articles, entities, copies)
    return [c for c, _ in claims]


def _claim(cands: list[_Cand], sim: np.ndarray, members: list[int], copies: list[CopyRelation]) -> Claim:
    # The wording: the member closest to all others, among the short ones (a sentence that also says
    # other things is a worse statement of the proposition than a reported clause that says only it).
    short = [m for m in members if len(cands[m].text.split()) <= 30] or members
    text_i = max(short, key=lambda m: float(sim[m, members].mean()))
    arts = list(dict.fromkeys(cands[m].article for m in members))
    attributed = list(dict.fromkeys(n for m in members for n in cands[m].attributed))
    # "Moravec" beside "Lena Moravec" is the same source named twice.
    attributed = [n for n in attributed if not any(o != n and o.endswith(" " + n) for o in attributed)]
    citations = list(dict.fromkeys((cands[m].article, cands[m].sentence) for m in members))
    cid = "claim-" + hashlib.blake2b(cands[text_i].text.encode(), digest_size=5).hexdigest()
    return Claim(
        cid,
        cands[text_i].text,
        arts,
        independent_sources(arts, copies),
        attributed,
        [],
        [Citation(a, s) for a, s in citations],
    )


def _in_reach(q: Quote, claims: list[tuple[Claim, list[int]]], cands: list[_Cand], member_vecs: list[np.ndarray],
              shown: list[int], sentences: list[str], model: Any, where: range) -> list[bool]:
    """For each claim, whether the article states it, as the brief words it, in the sentences `where` (before the
    statement): "the reports of a request for drones" before "denied making any such request". A member of the
    claim stated there counts only when it is close to the shown wording (a claim's group may hold a
    neighbouring proposition)."""
    if not where:
        return [False] * len(claims)
    there = model.encode([sentences[i] for i in where])
    out = []
    for k, (_, members) in enumerate(claims):
        vecs = member_vecs[k]
        shown_vec = vecs[members.index(shown[k])]
        stated = [i for i, m in enumerate(members) if cands[m].article == q.article and cands[m].sentence in where]
        out.append(float((there @ shown_vec).max()) >= SIM_CLAIM
                   or any(float(vecs[i] @ shown_vec) >= SIM_CLAIM for i in stated))
    return out


# Stems of the words a noun pointer repeats from its antecedent: "the allegations" points at the last sentence
# that alleged something, "the reports" at the last that reported.
_ANTECEDENT_STEMS = {"allegation": "alleg|accus|charg", "accusation": "alleg|accus|charg",
                     "charge": "alleg|accus|charg", "claim": "claim", "report": "report", "rumor": "rumo",
                     "rumour": "rumo", "suggestion": "suggest", "assertion": "assert", "speculation": "speculat",
                     "story": "stor", "criticism": "critic"}
POINTER_WINDOW = 3  # a pronoun ("that is not true") answers what the last few sentences said


def _antecedent_window(pointer: Token, q: Quote, sentences: list[str]) -> range:
    """The sentences a denial's pointer can refer to: for a noun, the last one before it that uses the noun's
    word ("the allegations" -> the sentence that reported them), else any before it ("denied Swift's claims"
    after "according to Swift, ..."); for a pronoun, the few sentences before the statement."""
    word = pointer.lower_  # the parse has no lemmatizer
    stem = _ANTECEDENT_STEMS.get(word) or _ANTECEDENT_STEMS.get(word[:-1] if word.endswith("s") else word)
    said_before = any(t.i < pointer.i and t.pos_ == "VERB" and
                      any(c.dep_ == "ccomp" and c.right_edge.i < pointer.i for c in t.children) for t in pointer.doc)
    if said_before or stem is not None and re.search(rf"\b({stem})", pointer.doc.text[: pointer.idx], re.I):
        # "some speculated that Felt was the source, but he denied the accusations": the sentence says itself
        return range(q.sentence, q.sentence + 1)
    if pointer.pos_ not in ("NOUN", "PROPN"):
        return range(max(0, q.sentence - POINTER_WINDOW), q.sentence)
    for j in range(q.sentence - 1, -1, -1):
        if stem is not None and re.search(rf"\b({stem})", sentences[j], re.I):
            return range(j, j + 1)
    return range(q.sentence)


def _attach_disputes(
    claims: list[tuple[Claim, list[int]]],
    cands: list[_Cand],
    denials: list[_Denial],
    articles: list[Article],
    entities: Any | None,
    copies: list[CopyRelation],
) -> None:
    from . import embed, nlp

    if not claims or not denials:
        return
    by_id = {a.id: a for a in articles}
    model = embed.english()
    ents = _entities_of(articles, entities)
    member_vecs = [model.encode([cands[m].text for m in members]) for _, members in claims]
    claim_ents = [
        set().union(*(ents.get((c.article, c.sentence), set()) for c in cl.citations)) for cl, _ in claims
    ]
    asserters = [{i for m in members for i in cands[m].speakers} for _, members in claims]
    seen: set[tuple[str, int, str]] = set()
    # A denial's content is what it denies; only when that is too short to compare ("denied arson") is its
    # whole sentence compared too (on ECB+ and PolNeAR the whole sentence matched claims on the same topic
    # that the statement did not answer).
    parses = nlp.parse(articles)
    denied = [_denied(d.quote, parses[d.quote.article][d.quote.sentence]) for d in denials]
    texts = [
        [strip_negation(t or d.quote.text)]
        + ([] if len((t or d.quote.text).split()) >= 4
           else [strip_negation(by_id[d.quote.article].sentences[d.quote.sentence])])
        for d, t in zip(denials, denied, strict=True)
    ]
    flat = model.encode([t for ts in texts for t in ts])
    bounds = np.cumsum([0] + [len(ts) for ts in texts])
    pointers = [_pointer(d.quote, parses[d.quote.article][d.quote.sentence]) if d.strong else None for d in denials]
    anaphoric = [p is not None for p in pointers]
    # The wording a claim is shown in, and who that wording is attributed to: a denial must answer what the
    # reader sees, not another member the claim's group happened to absorb.
    shown = [next(m for m in members if cands[m].text == cl.text) for cl, members in claims]
    all_scores = []
    for n, d in enumerate(denials):
        q = d.quote
        probes = flat[bounds[n] : bounds[n + 1]]
        d_ents = ents.get((q.article, q.sentence), set())
        scores = []
        for k, (cl, _) in enumerate(claims):
            if (
                any(c.article == q.article and c.sentence == q.sentence for c in cl.citations)
                or _same_party(q.speaker_name, cl.attributed_to)
                or q.speaker in asserters[k]
            ):  # nobody disputes what they assert
                scores.append(-1.0)
                continue
            sims = (probes @ member_vecs[k].T).max(axis=1)
            # the content says what is denied; when it is too short, its whole sentence stands in for it
            s = max(float(sims[0]), float(sims[1:].max(initial=-1.0)) - 0.08)
            s += 0.05 * min(len(d_ents & claim_ents[k]), 2)
            if _NEGATION.search(cl.text):
                # "a judge may not enforce the subpoena" against "he doubted any court would enforce it": a
                # denial of what a negated claim says is not the case agrees with it
                s = -1.0
            scores.append(s)
        all_scores.append(np.array(scores))
    # A sentence and its copies (a republished or spun version) are one statement: they answer one claim,
    # chosen on their scores together, so that a readout is not listed against one claim here and another
    # in its rewrite because the rewrite's words drifted.
    copied = aligned_sentences(copies)
    statement = [copied.get((d.quote.article, d.quote.sentence), (d.quote.article, d.quote.sentence))
                 for d in denials]
    together: dict[tuple[str, int], list[int]] = {}
    for n in range(len(denials)):
        if not anaphoric[n]:
            together.setdefault(statement[n], []).append(n)
    def _anaphor_claim(n: int) -> int | None:
        """"denied making any such request", "never heard anything like that": of the claims its article
        stated before, the one its words match best (not simply the first: the anaphor has a meaning)."""
        q, scores = denials[n].quote, all_scores[n]
        sentences = by_id[q.article].sentences
        where = _antecedent_window(pointers[n], q, sentences)
        stated = _in_reach(q, claims, cands, member_vecs, shown, sentences, model, where)
        reach = [k for k, ok in enumerate(stated) if ok and scores[k] > -1.0]
        owner = _owner(pointers[n])
        if pointers[n].pos_ in ("NOUN", "PROPN") and _claim_noun(pointers[n]):
            # "denied the allegations", "the reports are false": something someone alleged or reported,
            # not what the article states in its own voice ("Assange faces 18 charges in the US")
            reach = [k for k in reach if cands[shown[k]].reported]
        if owner:  # "the Russian and Syrian claims": only what those named are cited for
            reach = [k for k in reach if _same_party(owner, cands[shown[k]].attributed)]
        elif _ACCUSATION.match(pointers[n].lower_):
            # "denies the accusation": an accusation against the one who denies it, so a claim that names them
            mine = _party(q.speaker_name or "")
            titles = _titles(parses[q.article], q.speaker_name or "")
            reach = [k for k in reach if (q.speaker and q.speaker in claim_ents[k])
                     or mine & _party(claims[k][0].text)
                     or titles & set(re.findall(r"[a-z]+", claims[k][0].text.lower()))]
        if _REQUEST_NOUN.search(q.text):  # "denied making any such request" answers a request, or nothing
            reach = [k for k in reach if _REQUEST_VERB.search(claims[k][0].text)]
        if not reach:
            return None
        # words as bare as "the reports" barely tell near claims apart: then the most salient one
        best = max(scores[k] for k in reach)
        return min(k for k in reach if scores[k] >= best - ANAPHOR_TIE)

    # An anaphoric denial and its copies answer one claim too (a spun copy's words drift, and with them what
    # its article states before it): the one the surest of them found.
    found = {n: k for n in range(len(denials)) if anaphoric[n] and (k := _anaphor_claim(n)) is not None}
    pick: dict[tuple[str, int], int] = {}
    for n, k in sorted(found.items(), key=lambda nk: -all_scores[nk[0]][nk[1]]):
        pick.setdefault(statement[n], k)
    for n, d in enumerate(denials):
        q = d.quote
        sentence = by_id[q.article].sentences[q.sentence]
        scores = all_scores[n]
        if anaphoric[n]:
            k = pick.get(statement[n], -1)
            if k < 0 or scores[k] <= -1.0:
                continue
        elif denied[n] is None:
            # "accused Washington of spreading misinformation": what the accused side asserts, if anything;
            # "calling out Trump for his lies" answers no claim Trump's side is cited for
            accused = _accused(parses[q.article][q.sentence])
            mine = [k for k, (cl, _) in enumerate(claims)
                    if accused and scores[k] > -1.0 and _same_party(accused, cl.attributed_to)]
            if not mine:
                continue
            k = max(mine, key=lambda k: scores[k])
        else:
            group = together[statement[n]]
            joint = np.mean([all_scores[m] for m in group], axis=0)
            joint[np.min([all_scores[m] for m in group], axis=0) <= -1.0] = -1.0  # nobody disputes their own
            k = int(np.argmax(joint))
            if scores[k] < SIM_DISPUTE or not _answers(denied[n], claims[k][0].text):
                continue
        key = (q.article, q.sentence, claims[k][0].id)
        if key in seen:
            continue
        seen.add(key)
        claims[k][0].disputes.append(
            Dispute(q.speaker, q.speaker_name, d.relation, sentence, q.article, q.sentence)
        )
