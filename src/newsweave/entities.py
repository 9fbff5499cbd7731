"""Entities: named-entity mentions per sentence, resolved into canonical entities across articles.

Mentions come from the shared spaCy parses (`newsweave.nlp.parse`), with its known mistakes fixed: a title
word glued to a name ("Adviser Yang Jiechi"), part of a title tagged ORG ("U.S. National Security" in
"U.S. National Security Adviser Jake Sullivan"), a person's name token tagged GPE or ORG ("Jiechi", "Tangen")
when the same article names that person in full. Roles come from pre-modifiers ("Kremlin spokesman Dmitry
Peskov") and appositions ("Liu Pengyu, a spokesman for ...").

People are resolved in steps of falling confidence, and every merge is refused when it would put two
different full names of one article into one entity (an article that names two people names two people):

1. the same full name, or the same tokens in another order or with a middle name;
2. one name token the same and the other a spelling variant ("Jack"/"Jake", "Li"/"Liu"), when the two
   names share context (a role word or a co-mentioned name) and their roles do not conflict;
3. a surname-only mention ("Sullivan", "Mr Sullivan", "Chao" for Zhao in Wade-Giles) to the one person
   of its article, else of all the articles, who has that name token;
4. one token the same and the other unrelated ("Yang Kiyoshi", a machine translation of Yang Jiechi's given
   name), only when the odd variant appears only in articles flagged as machine-translated, is the only
   other person with that token, and is named in the same sentence as someone the other is named with.

Roles never merge people (two spokesmen stay two); a role-only mention ("the national security adviser")
is resolved only when one entity of the article (else of all articles) holds a matching role.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import jellyfish
from rapidfuzz.distance import JaroWinkler, Levenshtein

from . import nlp
from .model import Article, Entity

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

TYPES = ("PERSON", "ORG", "GPE", "NORP")
MT_FLAG = "machine-translation-signs"

# Words that head a role or title. spaCy has no notion of "title", so this short list is hand-written.
TITLES = frozenset("""
president vice-president adviser advisor minister secretary spokesman spokeswoman spokesperson chancellor
premier director chief ambassador senator governor mayor chairman chairwoman chair commander envoy diplomat
leader head king queen prince princess pope judge prosecutor professor researcher analyst ceo founder editor
correspondent reporter coach captain congressman congresswoman lawmaker deputy counsel attorney general
officer economist fellow representative negotiator strategist commissioner admiral colonel general marshal
sheriff inspector superintendent dean rector chancellor-elect president-elect spokesperson aide
""".split())
HONORIFICS = frozenset("mr mrs ms miss dr prof sir dame lord lady madam mme m herr frau".split())
# Last words of a phrase spaCy tags ORG when it is really the start of a title ("National Security Adviser").
_TITLE_FIELDS = frozenset("""
security affairs policy defense defence state trade finance health press foreign interior justice treasury
commerce energy education intelligence national homeland economic
""".split())
_ROLE_STOP = frozenset("a an the of for in at on to and 's ' now former then".split())
_SPELLING = {"advisor": "adviser", "u.s.": "us", "u.s": "us", "u.k.": "uk", "spokeswoman": "spokesperson",
             "spokesman": "spokesperson"}


@dataclass
class Mention:
    """One surface mention of a named entity (or a role that stands for one)."""

    text: str
    type: str
    article: str
    sentence: int
    start: int  # character offsets in the sentence
    end: int
    role: str | None = None
    entity: str = ""  # id of the resolved entity


# -- names and roles -----------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _fold(s: str) -> str:
    # Case folding first: some letters fold to a base plus a combining mark (Greek iota subscript).
    s = unicodedata.normalize("NFKD", s.replace("\u2019", "'").casefold())
    return "".join(c for c in s if not unicodedata.combining(c)).casefold()


def name_key(name: str) -> str:
    """Case, accent, period and spacing folded form under which two surface names are the same name."""
    return re.sub(r"\s+", " ", _fold(name).replace(".", "")).strip()


def _norm_word(w: str) -> str:
    w = _fold(w).strip(".,;:'\"")
    return _SPELLING.get(w, w)


@lru_cache(maxsize=65536)
def _role_words(role: str) -> frozenset[str]:
    return frozenset({_norm_word(w) for w in re.findall(r"[\w.'-]+", role)} - _ROLE_STOP - {""})


def _role_key(role: str) -> str:
    return " ".join(_norm_word(w) for w in role.split())


_WG_INITIALS = [("zh", "C"), ("ch", "C"), ("j", "C"), ("q", "C"), ("ts", "T"), ("tz", "T"), ("z", "T"),
                ("c", "T"), ("hs", "S"), ("x", "S"), ("sh", "H"), ("b", "P"), ("p", "P"), ("d", "D"),
                ("t", "D"), ("g", "K"), ("k", "K"), ("r", "R")]
_WG_FINALS = [("ung", "ong"), ("ieh", "ie"), ("ih", "i"), ("ü", "u")]


@lru_cache(maxsize=65536)
def romanization_key(token: str) -> str:
    """One key for the pinyin and Wade-Giles spellings of a syllable ("Zhao"/"Chao", "Xi"/"Hsi").

    Hand-written because no PyPI library converts between romanizations: initials that the two systems
    spell differently collapse to one class (aspiration marks dropped), finals are mapped to pinyin.
    """
    t = _fold(token).replace("'", "")
    for src, dst in _WG_INITIALS:
        if t.startswith(src):
            t = dst + t[len(src):]
            break
    for src, dst in _WG_FINALS:
        if t.endswith(src):
            t = t[: -len(src)] + dst
    return t


def spelling_variant(a: str, b: str) -> bool:
    """Two name tokens that are plausibly one name misspelt or romanized differently ("Jack"/"Jake")."""
    a, b = _fold(a), _fold(b)
    if a == b or romanization_key(a) == romanization_key(b):
        return True
    jw = JaroWinkler.similarity(a, b)
    return (jw >= 0.85 and jellyfish.metaphone(a) == jellyfish.metaphone(b)) or (
        jw >= 0.9 and Levenshtein.distance(a, b) <= 1)


def _short_variant(a: str, b: str) -> bool:
    """Stricter test for a lone name token against a full name's token: no context backs it up."""
    a, b = _fold(a), _fold(b)
    if a == b or romanization_key(a) == romanization_key(b):
        return True
    return min(len(a), len(b)) >= 5 and spelling_variant(a, b) and JaroWinkler.similarity(a, b) >= 0.9


# -- extraction ----------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A mention while it is being resolved."""

    mention: Mention
    tokens: tuple[str, ...]  # name tokens, folded
    node: int = -1  # resolution node (see _Resolver)


def _is_title(tok: Token) -> bool:
    return _fold(tok.text).strip(".") in TITLES


def _clean_person(span: Span) -> tuple[int, int] | None:
    """Token bounds of the name inside a PERSON span: leading titles and honorifics, trailing 's dropped."""
    start, end = span.start, span.end
    doc = span.doc
    # "Foreign Minister Kollberg", "Mr Anselm": the name starts after the last title word.
    for i in range(end - 2, start - 1, -1):
        if _is_title(doc[i]) or _fold(doc[i].text).strip(".") in HONORIFICS:
            start = i + 1
            break
    while start < end and doc[start].pos_ == "DET":
        start += 1
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].text in ("'s", "'", "\u2019s")
                           or doc[end - 1].is_punct):
        end -= 1
    if start >= end:
        return None
    words = [t.text for t in doc[start:end]]
    if any(ch.isdigit() for w in words for ch in w) or not any(w[:1].isupper() for w in words):
        return None
    return start, end


def _clean_other(span: Span) -> tuple[int, int] | None:
    start, end = span.start, span.end
    doc = span.doc
    while start < end and doc[start].lower_ == "the":
        start += 1
    # A span cut mid-name by the tagger ("Communist Party of" before "China's") ends on a function word.
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_punct
                           or doc[end - 1].pos_ in ("ADP", "CCONJ", "DET")):
        end -= 1
    return (start, end) if start < end else None


def _mistagged_title(span: Span) -> bool:
    """'U.S. National Security' in 'U.S. National Security Adviser Jake Sullivan': a title, not an ORG."""
    doc = span.doc
    return (span.label_ == "ORG" and span.end < len(doc) and _is_title(doc[span.end])
            and _fold(doc[span.end - 1].text) in _TITLE_FIELDS)


def _role_text(doc: Doc, start: int, end: int, keep_det: bool = False) -> str | None:
    skip = ("PUNCT", "CCONJ") if keep_det else ("DET", "PRON", "PUNCT", "CCONJ", "ADV")
    while start < end and doc[start].pos_ in skip and not _is_title(doc[start]):
        start += 1
    while end > start and doc[end - 1].is_punct:
        end -= 1
    if start >= end:
        return None
    return doc[start:end].text


# Nouns naming what a person is, beyond the title words: a role is shown only when its head is one of these
# or has the shape of one ("singer", "actor", "activist", "immigrant"); "events that can limit her time"
# set beside a name by a dash is not a role.
_PERSON_NOUNS = frozenset("""official candidate nominee celebrity star host member citizen resident mother father
wife husband son daughter mom dad widow victim suspect expert boss veteran native star chief head pastor priest
bishop player star athlete champion coach founder owner""".split())
_PERSON_SUFFIX = re.compile(r"(er|or|ist|ian|ant|ent|man|woman|person|ee|ier|eer|ive|ary)s?$")
_NOT_PERSON = frozenset("""center centre order paper matter number letter water power quarter border report
percent event events statement department government document moment agreement comment agent element
payment tournament term""".split())


def _role_like(tok: Token) -> bool:
    w = _fold(tok.text).strip(".")
    if w in TITLES or w in _PERSON_NOUNS or w.rstrip("s") in _PERSON_NOUNS:
        return True
    return tok.pos_ in ("NOUN", "PROPN") and w not in _NOT_PERSON and bool(_PERSON_SUFFIX.search(w))


def _role_of(doc: Doc, start: int, end: int, span_start: int) -> str | None:
    """Role of the name at tokens [start, end), when its head names what a person is."""
    role = _role_phrase(doc, start, end, span_start)
    if role is None or len(role.split()) > 14:
        return None
    return role


def _role_phrase(doc: Doc, start: int, end: int, span_start: int) -> str | None:
    """Role of the name at tokens [start, end): its pre-modifier or apposition, if any."""
    root = doc[start:end].root
    # Pre-modifier: the run of tokens right before the name (or before the title words stripped from
    # the entity) that hang off the name, ending in a title word or common noun.
    subtree = {t.i for t in root.subtree}
    i = start
    while i > 0 and (i - 1) in subtree and not doc[i - 1].is_punct:
        i -= 1
    if i < start:
        last = doc[start - 1]
        if _is_title(last) or (last.tag_ in ("NN", "NNS") and _role_like(last)):
            role = _role_text(doc, i, start)
            if role:
                return role
    # Apposition after the name: "Liu Pengyu, a spokesman for the embassy ...".
    for tok in doc[start:end]:
        for child in tok.children:
            if child.dep_ == "appos" and child.i >= end and child.pos_ == "NOUN" and _role_like(child):
                role = _role_text(doc, child.left_edge.i, child.right_edge.i + 1, keep_det=True)
                if role:
                    return role
    # Apposition before the name: "President Biden's national security adviser, Jake Sullivan".
    if span_start >= 2 and doc[span_start - 1].text == ",":
        stop = max((t.i for t in doc[: span_start - 1] if t.is_punct), default=-1)
        head = doc[span_start - 2]
        while not _is_title(head) and stop < head.head.i < span_start - 1 and head.head.i != head.i:
            head = head.head
        if _is_title(head) and head.pos_ in ("NOUN", "PROPN"):
            return _role_text(doc, max(head.left_edge.i, stop + 1), span_start - 1)
    return None


def _given_name_start(ent: Span) -> int:
    """Start of a PERSON span widened over a given name the model left out ("Anders" in "Anders Kollberg",
    or tagged as a place, "Marta" GPE + "Kollberg" PERSON): a capitalised proper-noun compound of the name."""
    doc = ent.doc
    start = ent.start
    while start > 0:
        tok = doc[start - 1]
        if not (tok.pos_ == "PROPN" and tok.dep_ == "compound" and ent.start <= tok.head.i < ent.end
                and tok.text[:1].isupper() and tok.text.isalpha() and not _is_title(tok)
                and _fold(tok.text) not in HONORIFICS):
            break
        if tok.ent_type_ and not (tok.ent_type_ in ("GPE", "ORG") and tok.ent_iob_ == "B"
                                  and (tok.i + 1 == ent.start)):
            break
        start -= 1
    return start


# Word forms, not lemmas: the shared parse runs without a lemmatizer.
_POSTING_VERBS = frozenset("say says said write writes wrote written post posts posted tweet tweets tweeted "
                           "announce announces announced state states stated publish published share shared".split())


def _is_medium(name: Span) -> bool:
    """"said on Twitter", "posted via Telegram": where something was said, which the small model sometimes
    tags PERSON; a person is not said "on"."""
    root = name.root
    return (root.dep_ == "pobj" and root.head.lower_ in ("on", "via")
            and root.head.head.lower_ in _POSTING_VERBS)


def titled(name: Span) -> bool:
    """A role or honorific beside a name: "Tomasz Wieland, a senior fellow", "spokesman Brandt", "Mr Lentz".

    Only outside the name: "General" in "the General Assembly" is part of it.
    """
    tok, words = name.root, TITLES | HONORIFICS
    after = name.doc[name.end] if name.end < len(name.doc) else None
    if after is not None and after.lower_ in ("himself", "herself"):  # "a conversation with Draghi himself"
        return True
    if any(
        c.dep_ in ("appos", "compound") and c.lower_.strip(".") in words and not name.start <= c.i < name.end
        for c in tok.children
    ):
        return True
    return tok.dep_ == "appos" and tok.head.lower_ in TITLES  # "the spokesman, Li Pengyu,"


_WORKS = frozenset("book books memoir novel film movie documentary song album show series play ship "
                   "report paper column poem painting".split())


def _extract(article: Article, docs: list[Doc]) -> list[_Raw]:
    out: list[_Raw] = []
    for si, doc in enumerate(docs):
        absorbed: set[int] = set()
        spans: list[Span] = []
        for ent in doc.ents:
            if ent.label_ in ("ORG", "GPE") and len(ent) <= 3 and all(t.pos_ == "PROPN" for t in ent) \
                    and titled(ent):
                # The small model tags some surnames ORG ("Tomasz Wieland, a senior fellow"); a name a role
                # or honorific stands beside is a person's.
                ent = doc[ent.start:ent.end]
                ent.label_ = "PERSON"
            if ent.label_ == "PERSON" and _is_medium(ent):
                ent = doc[ent.start:ent.end]
                ent.label_ = "ORG"
            if ent.label_ == "PERSON":
                start = _given_name_start(ent)
                if start < ent.start:
                    absorbed.update(range(start, ent.start))
                    ent = doc[start:ent.end]
                    ent.label_ = "PERSON"
            spans.append(ent)
        for ent in spans:
            if ent.label_ not in TYPES or _mistagged_title(ent):
                continue
            if ent.label_ != "PERSON" and ent.start in absorbed:
                continue
            bounds = _clean_person(ent) if ent.label_ == "PERSON" else _clean_other(ent)
            if bounds is None:
                continue
            s, e = bounds
            span = doc[s:e]
            # A title inside quotation marks is the speaker's word ("President Clinton, thank you ..." in a
            # reader's wish), not the reporter's: it is no evidence of a role.
            quoted = doc.text[: span.start_char].count('"') % 2 == 1
            role = _role_of(doc, s, e, ent.start) if ent.label_ == "PERSON" and not quoted else None
            label = ent.label_
            if label == "PERSON" and ent.root.dep_ == "appos" and ent.root.head.lower_ in _WORKS:
                label = "MISC"  # "her book, Living History, ...": a title, not a person
            if label == "NORP" and span.text.replace(".", "").isupper() and len(span.text.replace(".", "")) >= 3:
                label = "ORG"  # the small model tags acronyms NORP ("NYPD", "UPI"): they name organisations
            m = Mention(span.text, label, article.id, si, span.start_char, span.end_char, role)
            out.append(_Raw(m, tuple(_fold(t.text) for t in span if not t.is_punct or t.text == "-")))
    return out


# Word forms of verbs whose subject is a speaker: a capitalised word that opens a sentence is a name
# only when it does what people do ("Price added that ...", not "Price rose").
_SPEAKING = frozenset("""said says told tells added adds noted notes argued argues stated states explained
explains warned warns insisted insists denied denies declined declines wrote writes asked asks replied
replies continued continues stressed stresses acknowledged acknowledges""".split())


def _surname_use(tok: Token) -> bool:
    """A token written as a known surname is used as a name: tagged a proper noun, or (the small model tags
    "Price" a noun at the start of a sentence) the bare subject of a speech verb."""
    if tok.pos_ == "PROPN":
        return True
    return (tok.text[:1].isupper() and tok.dep_ == "nsubj" and tok.head.lower_ in _SPEAKING
            and not any(c.dep_ in ("det", "amod", "compound", "poss") for c in tok.children))


def _recall_known_names(articles: list[Article], docs: dict[str, list[Doc]],
                        raws_by_article: dict[str, list[_Raw]], model: Language | None = None) -> None:
    """Find untagged mentions of people the model tagged elsewhere.

    The small English model misses some unfamiliar names in one sentence and tags them in another; a name
    found in full anywhere in the articles is matched (spaCy PhraseMatcher) wherever no mention covers it,
    and so is the last token of a full name within the article that names that person.
    """
    from spacy.matcher import PhraseMatcher

    fulls = {r.mention.text for rs in raws_by_article.values() for r in rs
             if r.mention.type == "PERSON" and len(r.tokens) > 1}
    if not fulls:
        return
    # A lone surname of a person named in full anywhere in the story is that person ("Price" for "Ned
    # Price" in an article that never gives his first name); the resolver decides which one when two share it.
    surnames = {r.mention.text.split()[-1] for rs in raws_by_article.values() for r in rs
                if r.mention.type == "PERSON" and len(r.tokens) > 1}
    model = model or nlp.english()  # the names are tokenised as the articles' own model does
    matcher = PhraseMatcher(model.vocab)
    matcher.add("NAME", list(model.tokenizer.pipe(sorted(fulls))))
    found: dict[int, list[Span]] = {}  # by Doc identity: the copies of a wire story share their parses

    def names_in(doc: Doc) -> list[Span]:
        if id(doc) not in found:
            spans = [doc[s:e] for _, s, e in matcher(doc)]
            spans += [doc[t.i:t.i + 1] for t in doc if t.text in surnames and _surname_use(t)]
            found[id(doc)] = sorted(spans, key=lambda sp: sp.start - len(sp) / 100)
        return found[id(doc)]

    for a in articles:
        raws = raws_by_article[a.id]
        covered: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for r in raws:
            covered[r.mention.sentence].append((r.mention.start, r.mention.end))
        for si, doc in enumerate(docs[a.id]):
            for span in names_in(doc):
                if any(span.start_char < e and s < span.end_char for s, e in covered[si]):
                    continue
                if len(span) == 1 and span[0].ent_type_ not in ("", "PERSON"):
                    continue  # a lone token the model tagged as something else: _retype decides
                role = _role_of(doc, span.start, span.end, span.start)
                m = Mention(span.text, "PERSON", a.id, si, span.start_char, span.end_char, role)
                raws.append(_Raw(m, tuple(_fold(t.text) for t in span)))
                covered[si].append((span.start_char, span.end_char))
        raws.sort(key=lambda r: (r.mention.sentence, r.mention.start))


def _one_type_per_name(raws_by_article: dict[str, list[_Raw]]) -> None:
    """A name of several words written as an organisation in one place and a place in another ("Green Party"
    ORG and GPE) takes the type it has most often, an organisation on a tie when it holds an organisation word."""
    votes: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for rs in raws_by_article.values():
        for r in rs:
            if len(r.tokens) > 1 and r.mention.type in ("ORG", "GPE", "NORP"):
                votes[r.tokens][r.mention.type] += 1
    for rs in raws_by_article.values():
        for r in rs:
            v = votes.get(r.tokens) if r.mention.type in ("ORG", "GPE", "NORP") else None
            if v and len(v) > 1:
                (best, n), (_, m) = v.most_common(2)
                r.mention.type = "ORG" if n == m and _ORG_WORDS.search(r.mention.text) else best


def _retype(raws_by_article: dict[str, list[_Raw]]) -> None:
    """Fix the type of lone-token mentions the model tags inconsistently.

    A one-token GPE/ORG that is a token of a person named in full in its article is that person ("Jiechi",
    "Tangen"), when every article that tags it so also names such a person: "Washington" stays a place
    unless its only non-person uses sit beside a "George Washington". Any other lone token takes the type it
    has most often across the articles (a place tagged PERSON once stays a place).
    """
    full_tokens = {a: {t for r in rs if r.mention.type == "PERSON" and len(r.tokens) > 1 for t in r.tokens}
                   for a, rs in raws_by_article.items()}
    all_full = set().union(*full_tokens.values()) if full_tokens else set()
    other: dict[str, set[str]] = defaultdict(set)
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for a, rs in raws_by_article.items():
        for r in rs:
            if len(r.tokens) == 1:
                votes[r.tokens[0]][r.mention.type] += 1
                if r.mention.type in ("GPE", "ORG", "NORP"):
                    other[r.tokens[0]].add(a)
    # A token named with a title or role somewhere ("Governor Palin") is a person where the model reads a place.
    titled_tokens = {a: {r.tokens[0] for r in rs
                         if r.mention.type == "PERSON" and len(r.tokens) == 1 and r.mention.role}
                     for a, rs in raws_by_article.items()}
    to_person = {tok for tok, arts in other.items()
                 if all(tok in full_tokens[a] or tok in titled_tokens[a] for a in arts)}
    for rs in raws_by_article.values():
        people = {r.tokens[-1] for r in rs if r.mention.type == "PERSON"}
        for r in rs:
            if len(r.tokens) > 1 and r.mention.type == "ORG" and r.tokens[-1] in people:
                r.mention.type = "PERSON"  # "American Hasim Rahman" tagged ORG, beside "Rahman" tagged PERSON
            if len(r.tokens) != 1:
                continue
            tok = r.tokens[0]
            if tok in to_person:
                r.mention.type = "PERSON"
            elif tok not in all_full:
                (best, n), *rest = votes[tok].most_common(2) + [("", 0)]
                if n > rest[0][1]:
                    r.mention.type = best


# -- resolution ----------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: list[int] = []

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x


@dataclass
class _Node:
    """Mentions of one article that surely name one referent: one full name, or a lone name token."""

    article: str
    type: str
    key: str
    tokens: tuple[str, ...]
    raws: list[_Raw] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.type == "PERSON" and len(self.tokens) > 1


_SUFFIXES = frozenset("jr jr. sr sr. ii iii iv".split())


def _surname_token(tokens: tuple[str, ...]) -> str:
    """The last name token, before a generational suffix ("Comeaux" in "Arcade Joseph Comeaux Jr.")."""
    return tokens[-2] if len(tokens) > 2 and tokens[-1] in _SUFFIXES else tokens[-1]


class _Resolver:
    def __init__(self, articles: list[Article], raws_by_article: dict[str, list[_Raw]]) -> None:
        self.articles = {a.id: a for a in articles}
        self.nodes: list[_Node] = []
        self.uf = _UnionFind()
        self.members: dict[int, list[int]] = {}
        self.how: dict[int, str] = {}  # node -> how it joined (spelling, garble, romanization, given-name)
        for a in articles:
            self._article_nodes(a.id, raws_by_article[a.id])

    # nodes

    def _new(self, article: str, typ: str, key: str, tokens: tuple[str, ...]) -> int:
        self.nodes.append(_Node(article, typ, key, tokens))
        n = self.uf.add()
        self.members[n] = [n]
        return n

    def _article_nodes(self, article: str, raws: list[_Raw]) -> None:
        by_key: dict[tuple[str, str], int] = {}
        shorts: list[_Raw] = []
        for r in raws:
            m = r.mention
            if m.type == "PERSON" and len(r.tokens) == 1:
                shorts.append(r)
                continue
            key = (m.type, " ".join(r.tokens).replace(".", ""))
            if key not in by_key:
                by_key[key] = self._new(article, m.type, key[1], r.tokens)
            r.node = by_key[key]
            self.nodes[r.node].raws.append(r)
        fulls = [n for (t, _), n in by_key.items() if t == "PERSON" and len(self.nodes[n].tokens) > 1]
        for r in shorts:
            tok = r.tokens[0]
            exact = [n for n in fulls if tok in (self.nodes[n].tokens[0], _surname_token(self.nodes[n].tokens))]
            if len(exact) == 1:
                r.node = exact[0]
            else:
                key = ("PERSON~", tok)
                if key not in by_key:
                    by_key[key] = self._new(article, "PERSON", tok, (tok,))
                r.node = by_key[key]
            self.nodes[r.node].raws.append(r)

    # groups

    def root(self, n: int) -> int:
        return self.uf.find(n)

    def _conflict(self, a: int, b: int) -> bool:
        """Would the union put two different full names of one article into one person?"""
        seen: dict[str, set[str]] = defaultdict(set)
        for n in self.members[a]:
            if self.nodes[n].full:
                seen[self.nodes[n].article].add(self.nodes[n].key)
        for n in self.members[b]:
            node = self.nodes[n]
            if node.full and seen.get(node.article, set()) - {node.key}:
                return True
        return False

    def union(self, a: int, b: int, how: str = "") -> bool:
        """Merge the groups of nodes a and b unless that conflicts; `how` marks a merge across spellings."""
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return True
        if self._conflict(ra, rb):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.uf.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        if how:
            keys = {self.nodes[a].key, self.nodes[b].key}
            for n in self.members[ra]:
                if self.nodes[n].key in keys:
                    self.how.setdefault(n, how)
        return True

    def _articles_of(self, group: int) -> set[str]:
        return {self.nodes[n].article for n in self.members[group]}

    def _roles(self, group: int) -> list[str]:
        return [r.mention.role for n in self.members[group] for r in self.nodes[n].raws if r.mention.role]

    def _role_conflict(self, a: int, b: int) -> bool:
        """Both have roles, and no role word is shared: a spokesman is not a president."""
        ra, rb = self._roles(a), self._roles(b)
        if not ra or not rb:
            return False
        wa = set().union(*(_role_words(r) for r in ra))
        wb = set().union(*(_role_words(r) for r in rb))
        return not (wa & wb)

    def _context(self, group: int) -> set[str]:
        """Role words and the other people named in the group's articles (by last name token)."""
        words: set[str] = set()
        for role in self._roles(group):
            words |= _role_words(role)
        own = {t for n in self.members[group] for t in self.nodes[n].tokens}
        for art in self._articles_of(group):
            for n in self._article_index[art]:
                node = self.nodes[n]
                if node.type == "PERSON" and node.tokens[-1] not in own:
                    words.add("@" + node.tokens[-1])
        return words

    def _partners(self, group: int) -> set[str]:
        """People named in the same sentence as a mention of the group (by last name token)."""
        sentences = {(r.mention.article, r.mention.sentence) for n in self.members[group]
                     for r in self.nodes[n].raws}
        own = {t for n in self.members[group] for t in self.nodes[n].tokens}
        out = set()
        for art, si in sentences:
            for n in self._article_index[art]:
                node = self.nodes[n]
                if node.type != "PERSON" or node.tokens[-1] in own:
                    continue
                if any(r.mention.sentence == si for r in node.raws):
                    out.add(node.tokens[-1])
        return out

    # the steps

    def resolve(self) -> None:
        self._article_index: dict[str, list[int]] = defaultdict(list)
        for i, node in enumerate(self.nodes):
            self._article_index[node.article].append(i)
        self._exact()
        fulls = [i for i, n in enumerate(self.nodes) if n.full]
        pairs = self._candidate_pairs(fulls)
        for a, b in pairs:  # same tokens reordered, or a middle name more
            ta, tb = self.nodes[a].tokens, self.nodes[b].tokens
            if sorted(ta) == sorted(tb) or (ta[0] == tb[0] and ta[-1] == tb[-1]):
                self.union(a, b)
        for a, b in pairs:  # one token the same, the other a spelling variant
            if not self._spelling_pair(a, b):
                continue
            ga, gb = self.root(a), self.root(b)
            if ga == gb or self._role_conflict(ga, gb):
                continue
            if self._context(ga) & self._context(gb):
                self.union(a, b, "spelling")
        self._shorts()
        self._garbles(pairs)
        self._acronyms()

    def _exact(self) -> None:
        first: dict[tuple[str, str], int] = {}
        for i, node in enumerate(self.nodes):
            if node.type == "PERSON" and not node.full:
                continue
            k = (node.type, node.key)
            if k in first:
                self.union(first[k], i)
            else:
                first[k] = i

    def _candidate_pairs(self, fulls: list[int]) -> list[tuple[int, int]]:
        """Pairs of distinct full names that share a first or last name token (every rule below needs one)."""
        blocks: dict[str, set[str]] = defaultdict(set)
        by_key: dict[str, int] = {}
        for i in fulls:
            node = self.nodes[i]
            by_key.setdefault(node.key, i)
            for t in (node.tokens[0], node.tokens[-1]):
                blocks[t].add(node.key)
        pairs: set[tuple[str, str]] = set()
        for keys in blocks.values():
            ks = sorted(keys)
            for x in range(len(ks)):
                for y in range(x + 1, len(ks)):
                    pairs.add((ks[x], ks[y]))
        return [(by_key[a], by_key[b]) for a, b in sorted(pairs)]

    def _spelling_pair(self, a: int, b: int) -> bool:
        """One name token the same, the other a spelling variant ("Jack Sullivan"/"Jake Sullivan")."""
        ta, tb = self.nodes[a].tokens, self.nodes[b].tokens
        return any(ta[same] == tb[same] and ta[other] != tb[other] and spelling_variant(ta[other], tb[other])
                   for same, other in ((0, -1), (-1, 0)))

    def _shorts(self) -> None:
        """Lone name tokens with no full name in their article: to the one person of all articles."""
        fulls_by_token: dict[str, set[int]] = defaultdict(set)
        groups_full = {self.root(i) for i, n in enumerate(self.nodes) if n.full}
        for g in groups_full:
            for n in self.members[g]:
                if self.nodes[n].full:
                    fulls_by_token[self.nodes[n].tokens[0]].add(g)
                    fulls_by_token[self.nodes[n].tokens[-1]].add(g)
        shorts = [i for i, n in enumerate(self.nodes) if n.type == "PERSON" and not n.full]
        unresolved: dict[str, list[int]] = defaultdict(list)
        for i in shorts:
            node = self.nodes[i]
            tok = node.tokens[0]
            in_article = [n for n in self._article_index[node.article] if self.nodes[n].full]
            cands = {self.root(g) for g in fulls_by_token.get(tok, ())}
            if len(cands) > 1:  # "Foreign Minister Kollberg": the one Kollberg who holds that role
                roles = [r.mention.role for r in node.raws if r.mention.role]
                cands = {g for g in cands if any(_roles_match(q, h) for q in roles for h in self._roles(g))}
            if len(cands) == 1 and self.union(next(iter(cands)), i):
                continue
            if not cands:
                # A romanization or spelling of a token of someone named in the same article ("Chao").
                near = {self.root(n) for n in in_article if any(
                    _short_variant(tok, t) for t in (self.nodes[n].tokens[0], self.nodes[n].tokens[-1]))}
                if len(near) == 1 and self.union(next(iter(near)), i, "romanization"):
                    continue
            if not fulls_by_token.get(tok):
                unresolved[tok].append(i)
        # The same lone token in several articles, with no full name anywhere: one mononym.
        for nodes in unresolved.values():
            for n in nodes[1:]:
                self.union(nodes[0], n)

    def _garbles(self, pairs: list[tuple[int, int]]) -> None:
        """One token the same, the other unrelated: merge only a machine-translated minority variant."""
        for a, b in pairs:
            ta, tb = self.nodes[a].tokens, self.nodes[b].tokens
            shared = [p for p in (0, -1) if ta[p] == tb[p]]
            if len(shared) != 1 or self._spelling_pair(a, b):
                continue
            ga, gb = self.root(a), self.root(b)
            if ga == gb:
                continue
            arts_a, arts_b = self._articles_of(ga), self._articles_of(gb)
            # The variant is the group seen in fewer articles, all of them machine-translated.
            if len(arts_a) == len(arts_b):
                continue
            var, main, var_node = (ga, gb, a) if len(arts_a) < len(arts_b) else (gb, ga, b)
            if not all(MT_FLAG in self.articles[x].flags for x in self._articles_of(var)):
                continue
            token = ta[shared[0]]
            others = {self.root(i) for i, n in enumerate(self.nodes)
                      if n.full and n.tokens[shared[0]] == token} - {var}
            if others != {main} or self._role_conflict(var, main):
                continue
            if self._partners(var) & self._partners(main):
                self.union(main, var_node, "garble")

    def _acronyms(self) -> None:
        """'US' and 'United States', 'CCP' and 'Chinese Communist Party': when exactly one name fits."""
        groups: dict[tuple[str, str], int] = {}
        for i, n in enumerate(self.nodes):
            if n.type in ("ORG", "GPE"):
                groups.setdefault((n.type, n.key), i)
        initials: dict[tuple[str, str], list[int]] = defaultdict(list)
        for (typ, key), i in groups.items():
            words = [w for w in key.split() if w not in ("of", "the", "and", "for")]
            if len(words) >= 2:
                initials[(typ, "".join(w[0] for w in words))].append(i)
        for (typ, key), i in groups.items():
            written = self.nodes[i].raws[0].mention.text.replace(".", "")
            if " " not in key and 2 <= len(key) <= 5 and written.isupper():
                cands = {self.root(c) for c in initials.get((typ, key), [])}
                if len(cands) == 1:
                    self.union(next(iter(cands)), i)


# -- the index -----------------------------------------------------------------------------------


def _entity_id(name: str, typ: str) -> str:
    return "e-" + hashlib.blake2b(f"{name_key(name)}|{typ}".encode(), digest_size=5).hexdigest()


_POSTMOD = frozenset("of for in at on with from to by".split())


@lru_cache(maxsize=65536)
def _role_head(role: str) -> str:
    """Head noun of a role phrase: the last title word (else the last word) before a post-modifier.

    English noun phrases put their head last before any "of/for/at..." phrase ("a spokesman for the
    embassy", "President Biden's national security adviser"); this needs no parse, so a look-up is cheap.
    """
    words = [_norm_word(w) for w in re.findall(r"[\w.'-]+", role)]
    pre = words[: next((k for k, w in enumerate(words) if w in _POSTMOD and k > 0), len(words))]
    titles = [w for w in pre if w in TITLES or w == "spokesperson"]
    return titles[-1] if titles else (pre[-1] if pre else "")


def _word_match(q: str, words: set[str]) -> bool:
    return q in words or any(len(w) >= 4 and len(q) >= 4 and w[:4] == q[:4] for w in words)


def _roles_match(query: str, role: str) -> bool:
    """`query` ("the U.S. national security adviser") names the role `role`: same head, no other words."""
    head = _role_head(query)
    have = _role_words(role)
    return head in have and _role_head(role) == head and _words_match(query, have)


def _words_match(query: str, have: frozenset[str]) -> bool:
    return all(_word_match(w, have) for w in _role_words(query))


class EntityIndex:
    """Canonical entities of a set of articles, their mentions, and look-ups from surface forms."""

    def __init__(self, entities: list[Entity], mentions: list[Mention],
                 garbled: dict[str, list[str]]) -> None:
        self.entities = entities
        self.mentions = mentions
        self._garbled = garbled
        self._by_id = {e.id: e for e in entities}
        self._by_alias: dict[str, list[Entity]] = defaultdict(list)
        self._by_token: dict[str, list[Entity]] = defaultdict(list)
        for e in entities:
            for alias in e.aliases:
                self._by_alias[name_key(alias)].append(e)
                if e.type == "PERSON":
                    toks = name_key(alias).split()
                    for t in {toks[0], toks[-1]}:
                        if e not in self._by_token[t]:
                            self._by_token[t].append(e)
        self._roles_by_head: dict[str, list[tuple[Entity, frozenset[str]]]] = defaultdict(list)
        for e in entities:
            for role in e.roles:
                self._roles_by_head[_role_head(role)].append((e, _role_words(role)))
        self._at: dict[tuple[str, int], list[Mention]] = defaultdict(list)
        self._in_article: dict[str, set[str]] = defaultdict(set)
        for m in mentions:
            self._at[(m.article, m.sentence)].append(m)
            self._in_article[m.article].add(m.entity)

    def get(self, entity_id: str) -> Entity | None:
        return self._by_id.get(entity_id)

    def garbled_variants(self) -> dict[str, list[str]]:
        """Article id -> the garbled or misspelt name variants in it that were merged into an entity."""
        return {a: list(v) for a, v in self._garbled.items()}

    def garbled_sentences(self) -> set[tuple[str, int]]:
        """(article, sentence) pairs that write a name in a garbled or misspelt form."""
        return {(m.article, m.sentence) for m in self.mentions if m.text in self._garbled.get(m.article, ())}

    def garbled_articles(self) -> set[str]:
        """Articles that should carry the "garbled-names" flag."""
        return set(self._garbled)

    def entity_of(self, article_id: str, sentence: int, start: int, end: int) -> Entity | None:
        """The entity whose mention overlaps characters [start, end) of that sentence most."""
        best, overlap = None, 0
        for m in self._at.get((article_id, sentence), []):
            o = min(end, m.end) - max(start, m.start)
            if o > overlap:
                best, overlap = m, o
        return self._by_id.get(best.entity) if best else None

    def _pick(self, cands: Iterable[Entity], article_id: str | None) -> Entity | None:
        cands = list({e.id: e for e in cands}.values())
        if article_id is not None:
            local = [e for e in cands if e.id in self._in_article.get(article_id, set())]
            if local:
                cands = local
        return cands[0] if len(cands) == 1 else None

    def lookup(self, name: str, article_id: str | None = None) -> Entity | None:
        """Resolve a surface form ("Mr Sullivan", "Chao", "the U.S. national security adviser") to an entity.

        Entities mentioned in `article_id` are preferred; an ambiguous form resolves to None.
        """
        words = name.strip().replace("\u2019", "'").split()
        i = 0
        while i < len(words) and (_fold(words[i]).strip(".") in HONORIFICS | TITLES | {"the"}):
            i += 1
        core = re.sub(r"('s|')$", "", " ".join(words[i:])).strip(" ,.")
        if core and all(w[:1].isupper() for w in core.split()):
            hit = self._lookup_name(core, article_id)
            if hit is not None:
                return hit
        return self.lookup_role(name, article_id)

    def _lookup_name(self, core: str, article_id: str | None) -> Entity | None:
        key = name_key(core)
        if " " in key and key in self._by_alias:
            hit = self._pick(self._by_alias[key], article_id)
            if hit is not None:
                return hit
        toks = key.split()
        if len(toks) == 1:  # a lone token: every person with that name token is a candidate
            return self._pick(self._by_token.get(toks[0], []) + self._by_alias.get(key, []), article_id)
        cands = []
        for e in self.entities:
            if e.type != "PERSON":
                continue
            for alias in e.aliases:
                at = name_key(alias).split()
                if len(at) < 2:
                    continue
                if sorted(at) == sorted(toks) or any(
                        at[s] == toks[s] and spelling_variant(at[o], toks[o]) for s, o in ((0, -1), (-1, 0))):
                    cands.append(e)
                    break
        return self._pick(cands, article_id)

    def lookup_role(self, role: str, article_id: str | None = None) -> Entity | None:
        """The one entity (of the article first) holding a role that matches `role`, e.g. "the spokesman"."""
        head = _role_head(role)
        cands = [e for e, have in self._roles_by_head.get(head, [])
                 if head in have and _words_match(role, have)]
        return self._pick(cands, article_id)


def _canonical(names: list[tuple[str, str, str]], mt: set[str]) -> str:
    """Fullest well-formed variant seen in the most articles. `names`: (surface, key, article)."""
    arts: dict[str, set[str]] = defaultdict(set)
    clean_arts: dict[str, set[str]] = defaultdict(set)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for surface, key, art in names:
        arts[key].add(art)
        if art not in mt:
            clean_arts[key].add(art)
        surfaces[key][surface] += 1
    longest = max(len(k.split()) for k in arts)
    pool = [k for k in arts if len(k.split()) >= min(longest, 2)]
    best = max(pool, key=lambda k: (len(arts[k]), len(clean_arts[k]), len(k.split()),
                                    sum(surfaces[k].values()), k))
    return surfaces[best].most_common(1)[0][0]


def _role_only_mentions(index_args: tuple[list[Entity], list[Mention]], docs: dict[str, list[Doc]],
                        articles: list[Article]) -> list[Mention]:
    """Definite noun phrases headed by a title ("the national security adviser") resolved by their role."""
    entities, mentions = index_args
    index = EntityIndex(entities, mentions, {})
    taken: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for m in mentions:
        taken[(m.article, m.sentence)].append((m.start, m.end))
    out: list[Mention] = []
    # Noun chunks are costly to iterate; only sentences with "the ... <title>" can hold a role-only mention.
    maybe = re.compile(r"\bthe\b.*\b(" + "|".join(map(re.escape, sorted(TITLES))) + r")\b", re.I)
    for a in articles:
        for si, doc in enumerate(docs[a.id]):
            if not maybe.search(a.sentences[si]):
                continue
            for chunk in doc.noun_chunks:
                if chunk[0].lower_ != "the" or not _is_title(chunk.root) or chunk.root.i != chunk.end - 1:
                    continue
                if any(s < chunk.end_char and chunk.start_char < e for s, e in taken[(a.id, si)]):
                    continue
                nxt = doc[chunk.end: chunk.end + 2]
                if any(t.ent_type_ == "PERSON" for t in nxt):  # "the spokesman, Zhao Lijian": already a role
                    continue
                text = chunk.text
                hit = index.lookup_role(text, a.id)
                if hit is not None and hit.type == "PERSON":
                    out.append(Mention(text, "PERSON", a.id, si, chunk.start_char, chunk.end_char,
                                       role=text, entity=hit.id))
    return out


_ORG_WORDS = re.compile(r"(?i)\b(inc|corp|co|ltd|llc|plc|group|party|times|news|post|press|agency|bank|council|"
                        r"committee|commission|ministry|department|office|service|university|institute|center|"
                        r"centre|association|union|league|club|company|foundation|fund|court|congress|senate|"
                        r"parliament|army|police|network|tv|radio|media)\b")


_TITLE_BEFORE = re.compile(r"(?i)\b(" + "|".join(sorted(TITLES | HONORIFICS, key=len, reverse=True))
                           + r")\.?\s+$")
_PERSON_AFTER = re.compile(r"^('s?\b|\s+(himself|herself|said|says|told|tells|added|adds|wrote|writes|"
                           r"argued|argues|insisted|denied|asked|noted|explained|stated)\b|,\s+(a|an|the|who)\b)")


def _person_sign(m: Mention, sentences: dict[str, list[str]]) -> bool:
    text = sentences[m.article][m.sentence]
    return bool(m.role or _TITLE_BEFORE.search(text[: m.start]) or _PERSON_AFTER.match(text[m.end:]))


_PARTICLES = frozenset("de du des la le del della di da do dos das von van".split())
_BODY_WORDS = frozenset("""banco banque bank universidad universite université university societe société sociedad
compagnie compania compañía grupo groupe partido parti club asociacion asociación association instituto institut
ministerio ministere ministère consejo conseil tribunal corte cour syndicat agence office federation fédération
confederation confédération caisse commission comite comité mairie prefecture préfecture parquet assemblee
assemblée senat sénat direction autorite autorité cabinet fondation centre""".split())


def _foreign_place_shaped(tokens: tuple[str, ...]) -> bool:
    """"Col de Port", "Tour de France", "Port de Balès": a word and a particle opening a name, where the
    word is no word for a body ("Banco de España" is one)."""
    return len(tokens) >= 3 and tokens[1] in _PARTICLES and tokens[0] not in _BODY_WORDS


def _acronym(name: str) -> bool:
    """"NYPD", "AFL-CIO", "U.N.": three to six capitals ("IE", "IR" are too short to tell; "HEMPSTEAD" is a
    dateline in capitals)."""
    letters = re.sub(r"[^\w]", "", name)
    return letters.isupper() and 3 <= len(letters) <= 6


@lru_cache(maxsize=1)
def _given_names():  # noqa: ANN202 - gender_guesser Detector
    import gender_guesser.detector

    return gender_guesser.detector.Detector(case_sensitive=False)


def _person_shaped(name: str) -> bool:
    """Two capitalised words, the first a given name that a names list holds for one sex only ("Elton",
    not "Morgan") and neither a title nor an organisation word: the small model tags such names ORG."""
    words = name.split()
    return (len(words) == 2 and all(w.isalpha() and w[:1].isupper() and not w.isupper() for w in words)
            and _fold(words[0]) not in TITLES | HONORIFICS and not _ORG_WORDS.search(name)
            and _given_names().get_gender(words[0]) in ("male", "female"))


def _product_shaped(name: str) -> bool:
    """"iPhone", "iMac", "A380", "Trent 900": a lower-case letter before a capital opens it, or it has digits."""
    return bool(re.match(r"^[a-z]+[A-Z]", name) or re.search(r"\d", name))


def _supported_type(typ: str, raws: list[_Raw], sentences: dict[str, list[str]], english: set[str]) -> str:
    """The type to show, when the text supports it; "MISC" (a name of no shown kind) when it does not.

    A lone capitalised word it calls an organisation ("Coke user?", "9:00 a.m. Eastern", "showing Trump leading")
    is one only with some sign: an acronym, an organisation word, or "the" before it ("the Kremlin")."""
    if typ == "ORG" and all(r.mention.text[:1].islower() or "," in r.mention.text for r in raws):
        return "MISC"  # "ref", "Regional Counselors, Senators and Deputies": a common noun, a list of them
    if typ in ("ORG", "PERSON") and all(
            _product_shaped(r.mention.text)
            or re.match(r"\s+\d", sentences[r.mention.article][r.mention.sentence][r.mention.end:])
            for r in raws):
        # "iPhone", "Trent 900", "A380", "Air France Flight" cut from its "447": products, not companies or people
        return "MISC"
    if typ == "PERSON" and all(len(r.tokens) == 1 for r in raws):
        # A lone word the model calls a person ("White" for a colour, "Toulouse", "PowerBook") is one only
        # with some sign: a title or honorific before it, a role, a possessive, "himself", or speech.
        return typ if any(_person_sign(r.mention, sentences) for r in raws) else "MISC"
    if typ == "ORG" and all(_foreign_place_shaped(r.tokens) for r in raws):
        return "MISC"  # "Col de Port", "Tour de France": a pass or a race as often as a body
    # the English small model's mistake; the French one tells "France Inter" from a person
    if typ == "ORG" and any(r.mention.article in english for r in raws) and all(
            _person_shaped(r.mention.text) for r in raws) and not any(
            re.search(r"(?i)\bthe\s+$", sentences[r.mention.article][r.mention.sentence][: r.mention.start])
            for r in raws):
        return "PERSON"  # "Lennox Lewis", "Elton Brand": a given name and one more word is a person's name
    if typ != "ORG" or any(len(r.tokens) > 1 for r in raws):
        return typ
    for r in raws:
        m = r.mention
        if _acronym(m.text) or _ORG_WORDS.search(m.text):
            return typ
        before = sentences[m.article][m.sentence][: m.start]
        if re.search(r"(?i)\bthe\s+$", before) or (
                m.article not in english and re.search(r"(?i)\b(le|la|les|l')\s*$", before)):
            return typ  # "the Kremlin", "l'Élysée"
    return "MISC"


def readable(article: Article) -> bool:
    """Whether the English models can read an article: stages that parse or tag skip the others, which would
    come out as junk ("wurde" an organisation, "Zum Zeitpunkt des" a person)."""
    return (article.language or "en").lower().startswith("en")


def resolve_entities(articles: list[Article]) -> EntityIndex:
    """Mentions of people, organisations, places and groups in the English and French `articles` (French
    with its model installed, see `entities_fr`), resolved into entities across languages (articles in other
    languages have no mentions: no model here reads them)."""
    from . import entities_fr

    articles = list({a.id: a for a in articles if nlp.readable(a)}.values())
    docs = nlp.parse(articles)
    raws_by_article: dict[str, list[_Raw]] = {}
    made: dict[tuple[str, ...], list[_Raw]] = {}  # an exact copy's mentions are its original's, moved to it
    for a in articles:
        key = (nlp.language(a), *a.sentences)
        if key in made:
            raws_by_article[a.id] = [_Raw(replace(r.mention, article=a.id), r.tokens) for r in made[key]]
        else:
            extract = _extract if nlp.language(a) == "en" else entities_fr.extract
            raws_by_article[a.id] = made[key] = extract(a, docs[a.id])
    _one_type_per_name(raws_by_article)
    _retype(raws_by_article)
    for lang in dict.fromkeys(nlp.language(a) for a in articles):
        _recall_known_names([a for a in articles if nlp.language(a) == lang], docs, raws_by_article,
                            nlp.MODELS[lang]())
    resolver = _Resolver(articles, raws_by_article)
    resolver.resolve()
    mt = {a.id for a in articles if MT_FLAG in a.flags}

    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(resolver.nodes)):
        groups[resolver.root(i)].append(i)
    entities: list[Entity] = []
    mentions: list[Mention] = []
    garbled: dict[str, list[str]] = defaultdict(list)
    used_ids: set[str] = set()
    order = {a.id: k for k, a in enumerate(articles)}
    sentences = {a.id: a.sentences for a in articles}
    english = {a.id for a in articles if nlp.language(a) == "en"}
    for _, nodes in sorted(groups.items()):
        raws = [r for n in nodes for r in resolver.nodes[n].raws]
        if not raws:
            continue
        typ = _supported_type(Counter(r.mention.type for r in raws).most_common(1)[0][0], raws, sentences,
                              english)
        names = [(r.mention.text, name_key(r.mention.text), r.mention.article) for r in raws]
        name = _canonical(names, mt)
        eid = _entity_id(name, typ)
        k = 2
        while eid in used_ids:  # two entities with one name (a lone token left ambiguous, say)
            eid = f"{_entity_id(name, typ)}-{k}"
            k += 1
        used_ids.add(eid)
        canon = name_key(name).split()
        # A Chinese-style name is cited by its first token; which token is the surname shows in the lone
        # mentions ("Yang", "Xi"). A lone given name used as if it were the surname is a garble.
        lone = [r.tokens[0] for r in raws if len(r.tokens) == 1]
        surname_first = len(canon) > 1 and typ == "PERSON" and (
            sum(_short_variant(t, canon[0]) for t in lone) > sum(_short_variant(t, canon[-1]) for t in lone))
        for n in nodes:
            node = resolver.nodes[n]
            for r in node.raws:
                r.mention.entity = eid
                mentions.append(r.mention)
                is_garbled = (n in resolver.how and not set(r.tokens) <= set(canon)) or (
                    len(r.tokens) == 1 and surname_first and r.tokens[0] == canon[-1])
                if is_garbled and r.mention.text not in garbled[r.mention.article]:
                    garbled[r.mention.article].append(r.mention.text)
        # Only people hold roles (one found beside a name the tagger once took for a person, "..., told CNN",
        # is not CNN's). A machine-translated copy garbles roles too ("nationwide safety adviser"): its roles
        # count only when no other article gives one.
        held = [r for r in raws if r.mention.role] if typ == "PERSON" else []
        roles = list(dict.fromkeys(r.mention.role for r in held if r.mention.article not in mt)
                     or dict.fromkeys(r.mention.role for r in held))
        roles = list({_role_key(x): x for x in reversed(roles)}.values())[::-1]
        entities.append(Entity(
            id=eid, name=name, type=typ, aliases=sorted({r.mention.text for r in raws} | {name}),
            roles=roles, articles=sorted({r.mention.article for r in raws}, key=order.__getitem__),
            mentions=len(raws),
        ))
    # "the national security adviser": English noun phrases only
    extra = _role_only_mentions((entities, mentions), docs, [a for a in articles if nlp.language(a) == "en"])
    by_id = {e.id: e for e in entities}
    for m in extra:
        by_id[m.entity].mentions += 1
        if m.article not in by_id[m.entity].articles:
            by_id[m.entity].articles.append(m.article)
    mentions.extend(extra)
    mentions.sort(key=lambda m: (order[m.article], m.sentence, m.start))
    entities.sort(key=lambda e: (-e.mentions, e.name))
    return EntityIndex(entities, mentions, {a: v for a, v in garbled.items() if v})
