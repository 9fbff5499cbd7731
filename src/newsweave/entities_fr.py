"""Entity mentions of French articles, from the French spaCy parse (fr_core_news_sm).

The French model tags PER, ORG, LOC and MISC and parses in Universal Dependencies; its mentions are mapped
onto the types the resolver knows (PER -> PERSON, ORG -> ORG, LOC -> GPE) and MISC is left out, as it names
events, works and nationalities as often as anything a brief lists. What the English extraction fixes by
hand has French equivalents fixed here: honorifics and titles inside a name ("M. Paul Verdier", "le maire
Jean-Marc Lestrade"), a role tagged as an organisation ("ministre de l'Intérieur"), a capitalised function
word opening a sentence tagged as a name ("Selon", "Le"), and roles written before or after a name
("le porte-parole du gouvernement, Étienne Barral", "Paul Verdier, le président de la Compagnie ...").
The mentions then go through the same cross-document resolution as English ones.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .entities import HONORIFICS, Mention, _fold, _given_names, _Raw

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

    from .model import Article

_TYPES = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}

# Words that head a role or title in French (folded: no accents, lower case).
TITRES = frozenset(
    _fold(w)
    for w in """
président présidente vice-président vice-présidente ministre secrétaire porte-parole maire adjoint adjointe
préfet préfète sous-préfet procureur procureure juge avocat avocate directeur directrice député députée
sénateur sénatrice ambassadeur ambassadrice chef cheffe commissaire conseiller conseillère délégué déléguée
dirigeant dirigeante patron patronne fondateur fondatrice responsable gouverneur général générale colonel
capitaine commandant lieutenant amiral premier première chancelier chancelière roi reine prince princesse pape
évêque professeur professeure chercheur chercheuse économiste analyste expert experte représentant
représentante négociateur négociatrice syndicaliste élu élue édile bâtonnier recteur rectrice doyen doyenne
inspecteur inspectrice médecin officier magistrat magistrate
""".split()
)
# Honorifics written before a French name; "M." and "Mme" are also in the English list.
HONORIFIQUES = frozenset({"m", "mme", "mmes", "mm", "mlle", "me", "dr", "pr", "mgr"}) | HONORIFICS
# Function words the small model sometimes tags as (part of) a name when they open a sentence.
_MOTS_OUTILS = frozenset(
    _fold(w)
    for w in """
le la les l' un une des du de d' au aux selon d'après après avant pour par mais et ou donc or ni car ce cet
cette ces son sa ses leur leurs il elle ils elles on nous vous je tu lui dans sur sous avec sans chez entre
vers depuis pendant lors ainsi alors aussi encore déjà cependant pourtant toutefois enfin puis quand lorsque
si comme interrogé interrogée interrogés interrogées
""".split()
)


def _word(tok_text: str) -> str:
    return _fold(tok_text).strip(".,;:'\"")


def is_title(text: str) -> bool:
    """Whether a word heads a French role ("ministre", "porte-parole", "préfète")."""
    return _word(text) in TITRES


def _clean(span: Span, person: bool) -> tuple[int, int] | None:
    """Token bounds of the name inside a span: leading articles, prepositions, honorifics and (for people)
    title words dropped, trailing punctuation and function words dropped."""
    doc = span.doc
    start, end = span.start, span.end
    while start < end and (
        doc[start].pos_ in ("DET", "ADP", "CCONJ", "PRON", "PUNCT")
        or _word(doc[start].text) in _MOTS_OUTILS
        or (person and (_word(doc[start].text) in HONORIFIQUES or is_title(doc[start].text)))
    ):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].pos_ in ("ADP", "DET", "CCONJ")):
        end -= 1
    if start >= end:
        return None
    words = [t.text for t in doc[start:end]]
    if not any(w[:1].isupper() for w in words) or any(ch.isdigit() for w in words for ch in w):
        return None
    if all(_word(w) in _MOTS_OUTILS or is_title(w) for w in words) or len(re.sub(r"\W", "", "".join(words))) < 2:
        return None  # "Préfet", "Selon", the "S" of "fichier S"
    return start, end


def person_in(span: Span) -> int | None:
    """Where a person's name starts inside a place or organisation span the model ran on into it ("la
    procureure de la République Dominique Puechmaille" tagged one place): a given name followed by
    capitalised words up to the end of the span."""
    for k in range(1, len(span) - 1):
        tok = span[k]
        rest = span[k + 1:]
        if (tok.text[:1].isupper() and _given_names().get_gender(tok.text.split("-")[0]) != "unknown"
                and all(t.text[:1].isupper() and t.pos_ in ("PROPN", "NOUN") for t in rest)
                and _word(span[k - 1].text) not in _MOTS_OUTILS):
            return span.start + k
    return None


def _role_text(text: str) -> str | None:
    text = re.sub(r"^(?:(?:le|la|les|un|une|du|au)\s+|l')", "", text.strip(" ,;"), flags=re.I).strip()
    return text if text and len(text.split()) <= 14 else None


# A role after a name: "Paul Verdier, le président de la Compagnie fluviale de Brenneval, ..."
_ROLE_AFTER = re.compile(r"^\s*,\s*((?:(?:le|la|un|une)\s+|l')?[^,.;:\"]+)", re.I)
# A determiner and the word after it, in the text before a name.
_DET_WORD = re.compile(r"(?:^|(?<=[\s,(]))(?:(?:le|la|un|une|du|au)\s+|l')([^\s,.;:\"]+)", re.I)
_NOT_IN_ROLE = ("VERB", "AUX", "SCONJ", "PRON")


def _plain(doc: Doc, start_char: int, end_char: int) -> bool:
    """Whether the text between two offsets is a noun phrase: no verb, clause or pronoun in it."""
    return not any(start_char <= t.idx < end_char and t.pos_ in _NOT_IN_ROLE for t in doc)


def role_of(doc: Doc, start: int, end: int) -> str | None:
    """The role written beside the name at tokens [start, end): an apposition after it, or a title phrase
    right before it (with or without a comma), when its head is a French title word."""
    text = doc.text
    name_end = doc[end - 1].idx + len(doc[end - 1])
    after = _ROLE_AFTER.match(text[name_end:])
    if after:
        words = after.group(1).split()
        a = name_end + after.start(1)
        if any(is_title(w.split("'")[-1]) for w in words[:2]) and _plain(doc, a, name_end + after.end(1)):
            return _role_text(after.group(1))
    before = text[: doc[start].idx].rstrip()
    # the honorific between a role and the name is no part of the role ("le président, M. Paul Verdier")
    before = re.sub(r"\b(?:M|Mme|Mlle|Me|Dr|Pr)\.?$", "", before).rstrip().rstrip(",")
    cut = max(before.rfind(c) for c in ".;:\"")  # the role is in the name's own clause
    hits = [m for m in _DET_WORD.finditer(before) if m.start() > cut and is_title(m.group(1).split("'")[-1])]
    if hits and _plain(doc, hits[-1].start(), len(before)):
        return _role_text(before[hits[-1].start():])
    return None


def _with_place(ent: Span) -> tuple[Span, range]:
    """An organisation the model cut before the place in its name ("Compagnie fluviale" + "de Brenneval",
    the place tagged LOC, MISC or nothing), widened over it; and the tokens it took."""
    doc = ent.doc
    preps = ("de", "du", "des", "d'")
    j = ent.end if ent[-1].lower_ in preps else ent.end + 1 if ent.end < len(doc) and doc[ent.end].lower_ in preps \
        else None
    if j is None or j >= len(doc) or doc[j].pos_ != "PROPN" or not doc[j].text[:1].isupper() \
            or doc[j].ent_type_ == "PER":
        return ent, range(0)
    end = j + 1
    while end < len(doc) and doc[end].pos_ == "PROPN" and doc[end].ent_iob_ != "B":
        end += 1
    wide = doc[ent.start:end]
    wide.label_ = ent.label_
    return wide, range(j, end)


def extract(article: Article, docs: list[Doc]) -> list[_Raw]:
    """Mentions of people, organisations and places in a French article's sentences."""
    out: list[_Raw] = []
    for si, doc in enumerate(docs):
        absorbed: set[int] = set()
        for ent in doc.ents:
            typ = _TYPES.get(ent.label_)
            if typ is None or ent.start in absorbed:
                continue
            if typ == "ORG":
                ent, more = _with_place(ent)
                absorbed.update(more)
            person = typ == "PERSON"
            if typ == "ORG" and is_title(ent[0].text):
                continue  # "ministre de l'Intérieur": a role, not an organisation
            spans = [(ent, typ)]
            cut = person_in(ent) if not person and len(ent) >= 3 else None
            if cut is not None:
                spans = [(doc[cut:ent.end], "PERSON")]  # what the model glued to it is no sure name
            for part, kind in spans:
                raw = _mention(article, si, part, kind)
                if raw is not None:
                    out.append(raw)
    return out


def _mention(article: Article, si: int, ent: Span, typ: str) -> _Raw | None:
    """One mention of type `typ` from an entity span, or None when no name is left once it is cleaned."""
    person = typ == "PERSON"
    doc = ent.doc
    bounds = _clean(ent, person)
    if bounds is None:
        return None
    s, e = bounds
    span = doc[s:e]
    if person and len(span) == 1 and span[0].pos_ not in ("PROPN", "NOUN") and not span.text[:1].isupper():
        return None
    quoted = doc.text[: span.start_char].count('"') % 2 == 1
    role = role_of(doc, s, e) if person and not quoted else None
    m = Mention(span.text, typ, article.id, si, span.start_char, span.end_char, role)
    # name tokens as the English tokenizer cuts them ("Jean-Marc" is "jean", "-", "marc"), so that a name
    # written in both languages is one name
    words = [w for t in span if not t.is_punct or t.text == "-" for w in re.split(r"(-)", t.text) if w]
    return _Raw(m, tuple(_fold(w) for w in words))
