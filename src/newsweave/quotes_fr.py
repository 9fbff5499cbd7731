"""Attributed statements of French articles, read off the French parse (fr_core_news_sm, Universal
Dependencies labels: nsubj, obj, ccomp, xcomp, obl:mod, expl:subj, parataxis).

French news frames speech in a few ways, each read here:
- an incise after the quote, with the subject after the verb: « ... », a déclaré M. Paul Verdier /
  « ... », a-t-il ajouté / « ... », a indiqué lundi à l'AFP le procureur; inside it: « A, poursuit-il, B »
  (the incise is cut from the words quoted); and without quotation marks, as agency copy often writes it
  ("Nous allons répondre, a déclaré le porte-parole");
- a subject before the cue: X a affirmé que ... / X a démenti toute négligence / X a nié avoir reçu ... /
  X estime que ... / X a assuré : « ... »;
- a source phrase: selon X, ... / d'après X, ... ("selon lesquelles" and "selon que" are no source) / "Pour X,"
  opening a clause when X is a person or a body ("pour la première fois" is none).
Quotation marks are found as in English (`quotes.find_quote_spans`: the cleaner turns « » and “ ” into
straight marks). Statements and quotes have the English shape (`quotes.Statement`, `model.Quote`): the cue is
the verb as written ("déclaré", "démenti") or "selon" / "d'après" / "pour". "il"/"elle" resolve to the one
who spoke just before when the pronoun fits, else to the nearest person named before them in the same or
the previous paragraph whose gender (from "M."/"Mme", a title's gender, or a given name) does not contradict
the pronoun; "ils"/"elles" to the nearest organisation or group.
A statement is listed in "who said what" when its source can speak (a person, an organisation, a body
such as "la préfecture"), not a document ("un rapport", "le bilan"), and it says something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .entities import _fold, _given_names
from .entities_fr import HONORIFIQUES, is_title, person_in
from .entities_fr import _clean as _clean_name
from .model import Article, Quote
from .quotes import Segment, Statement, _resolve_entity, _runs, find_quote_spans, quote_text

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Speech verbs (infinitives, as the lemmatizer gives them).
CUES = frozenset("""
dire déclarer affirmer ajouter expliquer indiquer souligner assurer démentir nier rejeter estimer préciser
annoncer confirmer répondre insister marteler lancer trancher prévenir avertir rappeler reconnaître admettre
confier juger regretter déplorer dénoncer accuser promettre conclure raconter témoigner commenter contester
réfuter critiquer condamner avouer signaler noter observer espérer craindre penser croire écrire répliquer
rétorquer certifier garantir prétendre soutenir maintenir considérer interroger demander révéler dévoiler
détailler poursuivre tweeter publier protester répéter réaffirmer réitérer réagir résumer plaider ironiser
""".split())
DENIALS = frozenset("démentir nier rejeter réfuter contester".split())
# Verbs that are speech only in an incise (« ... », poursuit-il) or with a clause: "poursuivre" is also to
# sue, "lancer" to launch, "noter" to grade, "publier" to publish.
_INCISE_ONLY = frozenset("poursuivre lancer trancher noter publier observer juger interroger demander".split())
# Forms the small model's lemmatizer gets wrong ("estime" -> "estime", "nié" tagged a proper noun).
_FORMS = {"estime": "estimer", "estiment": "estimer", "dit": "dire", "dis": "dire", "disent": "dire",
          "nié": "nier", "nie": "nier", "dément": "démentir", "démenti": "démentir", "admis": "admettre",
          "reconnu": "reconnaître", "reconnaît": "reconnaître", "promis": "promettre", "écrit": "écrire",
          "répondu": "répondre", "répond": "répondre", "prévenu": "prévenir", "averti": "avertir",
          "conclu": "conclure", "assure": "assurer", "affirme": "affirmer", "souligne": "souligner",
          "indique": "indiquer", "explique": "expliquer", "ajoute": "ajouter", "précise": "préciser",
          "rappelle": "rappeler", "déplore": "déplorer", "regrette": "regretter", "dénonce": "dénoncer"}
_PRONOUNS = {"il": "m", "elle": "f", "ils": "m", "elles": "f", "lui": "m", "eux": "m"}
_PLURAL = {"ils", "elles", "eux"}
_RELATIVE = {"lesquelles", "lesquels", "laquelle", "lequel", "que", "qu'", "quoi"}
# Sources that cannot speak: documents, figures, rumours, unnamed sources.
_NOT_AGENTS = frozenset("""rapport rapports bilan bilans sondage sondages étude études enquête chiffre chiffres
données statistiques estimation estimations rumeur rumeurs source sources document documents texte textes
communiqué communiqués information informations image images vidéo vidéos article articles""".split())
_SOURCE_PHRASES = ("selon", "d'après", "pour")
_WHEN = frozenset("""lundi mardi mercredi jeudi vendredi samedi dimanche hier aujourd'hui demain matin soir
midi nuit jour semaine mois dernier dernière""".split())
# Words after which a quotation is a phrase of the reporter's sentence, not speech.
_PHRASE_BEFORE = frozenset("""pour de du des la le les l' d' un une sa son ses leur leurs contre par sur en à au
aux dans sans avec d'une d'un""".split())
_NEGATION = re.compile(r"\b(ne|n'|pas|jamais|aucun|aucune|nullement|guère)\b", re.I)
_SUBJ = ("nsubj", "nsubj:pass")
_NAME_LABELS = ("PER", "ORG", "LOC")


def cue_lemma(tok: Token) -> str | None:
    """The speech verb a token is a form of, or None."""
    word = tok.lower_
    # a past participle the lemmatizer left alone ("réagi", "répété", "répondu")
    guesses = [word[:-1] + "er"] if word.endswith("é") else [word + "r"] if word.endswith("i") else \
        [word[:-1] + "re"] if word.endswith("u") else []
    for lemma in (tok.lemma_.lower(), _FORMS.get(word), word, *guesses):
        if lemma in CUES:
            return lemma
    return None


@dataclass
class _Frame:
    sentence: int
    cue: Token
    lemma: str
    source: Token | None
    content: list[Token]
    incise: tuple[int, int] | None = None  # token bounds of an incise (", a déclaré X,") the content surrounds


def _subject(cue: Token) -> Token | None:
    """The cue's subject: before it (X a déclaré), after it (a déclaré X, a-t-il dit), or the subject of the
    auxiliary the parser made the head ("X a nié ..." read as "X a [nié]")."""
    doc = cue.doc
    # the inverted clitic of "a-t-elle expliqué", "dit-il", whatever the parser made of it
    for t in [*doc[max(0, cue.i - 3):cue.i], *doc[cue.i + 1:cue.i + 3]]:
        if t.text.startswith("-") and t.lower_.strip("-") in _PRONOUNS:
            return t
    incise = _incise(doc, cue) is not None
    for c in cue.children:
        if incise and c.i < cue.i:
            continue  # in an incise the subject follows the verb; before it is what is reported
        if c.dep_ in _SUBJ or c.dep_ == "expl:subj" and c.lower_.strip("-") in _PRONOUNS:
            if c.lower_ == "qui" and cue.dep_ == "acl:relcl":
                return cue.head  # "le maire, qui a démenti ..."
            return c
    if cue.dep_ in ("obj", "xcomp") and cue.head.lemma_ == "avoir" or cue.dep_ == "conj":
        # "X a [nié] ..." misparsed, "X ne reconnaît pas les faits et affirme que ...": the shared subject
        for c in cue.head.children:
            if c.dep_ in _SUBJ and c.i < cue.i:
                return c
    if incise:
        return _inverted(cue)
    # a subject right before the verb that the parser hung elsewhere ("il a nié avoir ...")
    i = cue.i - 1
    while i >= 0 and (doc[i].pos_ in ("AUX", "ADV") or doc[i].lemma_ in ("avoir", "être")
                      or doc[i].lower_ in ("ne", "n'")):
        i -= 1
    if i >= 0 and doc[i].dep_ in _SUBJ and doc[i].pos_ in ("NOUN", "PROPN", "PRON") and doc[i].lower_ != "qui":
        return doc[i]
    return None


def _inverted(cue: Token) -> Token | None:
    """The subject after the verb of an incise."""
    doc = cue.doc
    # inversion: the first noun phrase after the verb, before any punctuation ("a déclaré M. Paul Verdier"),
    # past a date or a hearer ("a indiqué lundi le procureur", "a précisé à l'AFP le procureur")
    i = cue.i + 1
    while i < len(doc) and not doc[i].is_punct:
        t = doc[i]
        if t.pos_ == "ADP":  # the hearer's phrase, its name included ("à l'agence Ouest Presse")
            i = max(i, t.head.i) + 1 if t.head.i > i else i + 1
            while i < len(doc) and doc[i].pos_ in ("PROPN", "ADJ"):
                i += 1
            continue
        if t.lower_ in _WHEN:
            i += 1
            continue
        if t.pos_ in ("NOUN", "PROPN") or t.pos_ == "PRON" and t.lower_.strip("-") in _PRONOUNS:
            return t
        i += 1
    return None


def _content(cue: Token, lemma: str) -> list[Token]:
    """What the cue reports: its clause (que ...), an infinitive (a nié avoir reçu ...), or for a denial its
    object (a démenti toute négligence)."""
    children = list(cue.children)
    if cue.dep_ in ("obj", "xcomp") and cue.head.lemma_ == "avoir":  # "X a [nié] avoir reçu ...", misparsed
        children += [c for c in cue.head.children if c.i > cue.i]
    for c in children:
        if c.dep_ == "ccomp" or c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX"):
            toks = list(c.subtree)
            while toks and (toks[0].lower_ in ("que", "qu'", "de", "d'", ":")
                            or toks[0].is_punct and toks[0].text != '"'):
                toks = toks[1:]
            return toks
    if lemma in DENIALS:
        for c in children:
            if c.dep_ == "obj" and c.pos_ in ("NOUN", "PROPN"):
                return list(c.subtree)
    # The small parser sometimes hangs the clause elsewhere ("a nié avoir reçu" with "nié" the subject of
    # "reçu"): a "que" or an infinitive right after the cue starts its content all the same.
    doc = cue.doc
    i = cue.i + 1
    while i < len(doc) and doc[i].pos_ == "ADV":
        i += 1
    if i < len(doc) and (doc[i].lower_ in ("que", "qu'") or "Inf" in doc[i].morph.get("VerbForm")):
        i += doc[i].lower_ in ("que", "qu'")
        end = next((t.i for t in doc[i:] if t.text in (".", ";", "!", "?")), len(doc))
        return list(doc[i:end])
    return []


def _incise(doc: Doc, cue: Token) -> tuple[int, int] | None:
    """Token bounds of an incise holding the cue (", a déclaré X," or ", indique le communiqué." at the end):
    a comma before the cue with only auxiliaries and adverbs between, the subject after it (with the subject
    before it, "Le maire, Jean-Marc Lestrade, a démenti", the comma closes an apposition)."""
    i = cue.i - 1
    while i >= 0 and (doc[i].pos_ in ("AUX", "ADV") or doc[i].lemma_ in ("avoir", "être")
                      or doc[i].lower_ in ("ne", "n'") or doc[i].text.startswith("-")):
        i -= 1
    if i < 1 or doc[i].text != ",":
        return None
    # before the comma, a clause of its own (a finite verb, a quote) is what the incise reports, whatever
    # the parser made the subject; without one, a subject there is the cue's own
    clause = '"' in doc[:i].text or any("Fin" in t.morph.get("VerbForm") for t in doc[:i])
    if not clause and any(c.dep_ in _SUBJ and c.i < cue.i and not c.text.startswith("-") for c in cue.children):
        return None
    end = cue.i + 1
    while end < len(doc) and doc[end].text not in (",", ".", ";", "!", "?", ":", '"'):
        end += 1
    return i, end


def _frames(doc: Doc, sentence: int) -> list[_Frame]:
    out: list[_Frame] = []
    for tok in doc:
        lemma = cue_lemma(tok)
        if lemma is None or tok.dep_ in ("amod", "nmod") or tok.pos_ not in ("VERB", "AUX", "PROPN", "NOUN") and not (
                tok.pos_ == "ADJ" and any(c.dep_ == "aux:tense" for c in tok.children)):  # "a réagi" read ADJ
            continue
        if tok.pos_ == "AUX" and lemma != "dire":
            continue
        if tok.pos_ == "NOUN" and tok.dep_ != "ROOT":
            continue  # "le dit rapport", "une déclaration": not a verb
        if "Part" in tok.morph.get("VerbForm") and ("Pres" in tok.morph.get("Tense") or tok.dep_ == "acl" and not any(
                c.dep_.startswith("aux") for c in tok.children)):
            continue  # "une enquête confiée à la gendarmerie", "confirmant une information": no one speaks
        incise = _incise(doc, tok)
        content = [] if incise is not None else _content(tok, lemma)
        if lemma in _INCISE_ONLY and incise is None and not content:
            continue
        source = _subject(tok)
        if source is None:
            continue
        out.append(_Frame(sentence, tok, lemma, source, content, incise))
    # selon X / d'après X / Pour X, (a person or organisation opening a clause: "Pour Emmanuel Macron, ...")
    for tok in doc:
        after = tok.lower_ == "après" and tok.i > 0 and doc[tok.i - 1].lower_ in ("d'", "de")
        pour = tok.lower_ == "pour" and (tok.i == 0 or doc[tok.i - 1].text in (",", ";", ":"))
        if tok.lower_ != "selon" and not after and not pour:
            continue
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        if nxt is None or nxt.lower_ in _RELATIVE:
            continue
        head = tok.head if tok.dep_ in ("case", "fixed") and tok.head.i > tok.i else None
        if after and head is None:
            first = doc[tok.i - 1]
            head = first.head if first.dep_ == "case" and first.head.i > tok.i else None
        if head is None or head.pos_ not in ("NOUN", "PROPN", "PRON"):
            continue
        if pour and not (head.ent_type_ in ("PER", "ORG") and head.right_edge.i + 1 < len(doc)
                         and doc[head.right_edge.i + 1].text == ","):
            continue  # "pour la première fois", "pour les sinistrés": no source
        phrase = {t.i for t in head.subtree} | {tok.i, tok.i - 1 if after else tok.i}
        # what the source says: the clause it hangs on, the whole sentence when that is the main one (or the
        # parser left the phrase a root of its own)
        clause = head.head
        region = doc if clause.i in phrase or clause.dep_ == "ROOT" else clause.subtree
        content = [t for t in region if t.i not in phrase]
        while content and content[0].is_punct:
            content = content[1:]
        while content and content[-1].is_punct:
            content = content[:-1]
        cue = doc[tok.i - 1] if after else tok
        out.append(_Frame(sentence, cue, "d'après" if after else tok.lower_, head, content))
    return out


def _name(tok: Token) -> Span:
    """The source as written: its named entity (honorific and title left out), the name set beside a title
    ("le porte-parole du gouvernement, Étienne Barral"), else the noun phrase without clauses."""
    doc = tok.doc
    if tok.lower_ in HONORIFIQUES or tok.lower_.strip(".") in HONORIFIQUES:
        flat = [c for c in tok.subtree if c.dep_ == "flat:name"]
        if flat:
            return doc[flat[0].i:flat[-1].i + 1]
    for c in tok.children:
        if c.dep_ == "appos" and c.ent_type_ == "PER":
            return _name(c)
    # a title and the name after it ("le procureur de Montbéliard, Paul-Édouard Lallois")
    if is_title(tok.text) or tok.lower_.strip(".") in HONORIFIQUES:
        stop = next((t.i for t in doc[tok.i + 1:] if t.text in (".", ";", ":", '"') or t.pos_ in ("VERB", "AUX")),
                    len(doc))
        for ent in doc.ents:
            if tok.i <= ent.start < stop or ent.start < tok.i < ent.end:
                if ent.label_ == "PER" and tok.i < ent.start:
                    bounds = _clean_name(ent, True)
                    if bounds is not None:
                        return doc[bounds[0]:bounds[1]]
                cut = person_in(ent) if ent.label_ != "PER" else None
                if cut is not None and cut > tok.i:
                    return doc[cut:ent.end]
    for ent in doc.ents:
        if ent.start <= tok.i < ent.end and ent.label_ in _NAME_LABELS and not is_title(ent[0].text):
            bounds = _clean_name(ent, ent.label_ == "PER")
            if bounds is not None:
                return doc[bounds[0]:bounds[1]]
    left = min([tok.i] + [c.left_edge.i for c in tok.lefts if c.dep_ in ("det", "amod", "nummod")])
    right = tok.i + 1
    for c in tok.rights:
        if c.dep_ in ("amod", "nmod", "flat:name", "fixed") and c.i <= right + 4:
            end = max(t.i for t in c.subtree if not (t.is_punct or t.dep_ in ("acl:relcl", "appos")))
            right = max(right, end + 1)
    return doc[left:right]


def _gender(span: Span) -> str | None:
    """'m', 'f' or None for a person as written: an honorific, a title's gender, or a given name."""
    prev = span.doc[span.start - 1] if span.start > 0 else None
    if prev is not None:
        word = prev.lower_.strip(".")
        gender = prev.morph.get("Gender") if is_title(word) else []
        if word in ("m", "mm") or "Masc" in gender:
            return "m"
        if word in ("mme", "mmes", "mlle") or "Fem" in gender:
            return "f"
    if span.root.pos_ == "NOUN":
        g = span.root.morph.get("Gender")
        return {"Masc": "m", "Fem": "f"}.get(g[0]) if g else None
    guess = _given_names().get_gender(span[0].text.split("-")[0])
    return {"male": "m", "mostly_male": "m", "female": "f", "mostly_female": "f"}.get(guess)


def _someone_else(doc: Doc, start: int, out: list[Statement]) -> bool:
    """Whether the sentence names, before the quote at `start`, a person or organisation who is not the last
    speaker."""
    last = out[-1].quote.speaker_name if out else ""
    return any(ent.label_ in ("PER", "ORG") and ent.end_char <= start and ent.text not in last
               and last.split()[-1:] != [ent.text.split()[-1]] for ent in doc.ents)


def _by_role(entities: Any, article: str, title: str) -> str | None:
    """The one person holding a role headed by this title word, of the article first, else of the story."""
    word = _fold(title)
    holders = [e for e in entities.entities if e.type == "PERSON"
               and any(_fold(r.split()[0]) == word for r in e.roles if r.split())]
    local = [e for e in holders if article in e.articles]
    pick = local or holders
    return pick[0].id if len(pick) == 1 else None


@dataclass
class _Person:
    sentence: int
    span: Span
    subject: bool
    plural: bool
    gender: str | None


def _people(doc: Doc, sentence: int) -> list[_Person]:
    """Who a later pronoun may refer to: named people and organisations, and people named by their role."""
    out = []
    for ent in doc.ents:
        if ent.label_ in ("PER", "ORG"):
            span = _name(ent.root)
            out.append(_Person(sentence, span, ent.root.dep_ in _SUBJ, ent.label_ == "ORG", _gender(span)))
    for tok in doc:
        if is_title(tok.text) and tok.pos_ == "NOUN" and not tok.ent_type_ and tok.dep_ in _SUBJ:
            span = _name(tok)
            if not any(c.dep_ == "appos" and c.ent_type_ == "PER" for c in tok.children):
                g = tok.morph.get("Gender")
                out.append(_Person(sentence, span, True, "Plur" in tok.morph.get("Number"),
                                   {"Masc": "m", "Fem": "f"}.get(g[0]) if g else None))
    return sorted(out, key=lambda p: p.span.start)


def extract_statements(articles: list[Article], docs: dict[str, list[Doc]], entities: Any | None) -> list[Statement]:
    """Every attributed statement of the French `articles` (parsed by the French model), in reading order."""
    out: list[Statement] = []
    for a in articles:
        out.extend(_article_statements(a, docs[a.id], entities))
    return out


def _article_statements(article: Article, docs: list[Doc], entities: Any | None) -> list[Statement]:
    para_of = article.paragraph_of or [0] * len(docs)
    spans = find_quote_spans(article)
    quoted: list[list[tuple[int, int]]] = [[] for _ in docs]
    for sp in spans:
        for g in sp.segments:
            quoted[g.sentence].append((g.start, g.end))

    def inside(tok: Token, s: int) -> bool:
        return any(a <= tok.idx < b for a, b in quoted[s])

    # a frame is outside the quotes: no cue and no source inside what someone is quoted saying
    found = [_frames(doc, s) for s, doc in enumerate(docs)]
    frames = [[f for f in fs if not inside(f.cue, s) and (f.source is None or not inside(f.source, s))]
              for s, fs in enumerate(found)]
    # « Nous avons montré notre mobilisation, poursuit-il, donné ... »: an incise the quote runs around
    within = [[f for f in fs if inside(f.cue, s) and f.incise is not None] for s, fs in enumerate(found)]
    people = [_people(doc, s) for s, doc in enumerate(docs)]
    out: list[Statement] = []

    def resolve(pron: Token, s: int) -> tuple[str, tuple[int, int, int]] | None:
        word = pron.lower_.strip("-")
        plural, gender = word in _PLURAL, _PRONOUNS[word]

        def fits(p: _Person) -> bool:
            return p.plural == plural and (plural or p.gender in (None, gender))

        # "a-t-il ajouté": the one who just spoke, when the pronoun fits
        if out and para_of[out[-1].quote.sentence] >= para_of[s] - 1 and out[-1].speaker_at is not None:
            last = out[-1]
            at = last.speaker_at
            span = docs[at[0]].char_span(at[1], at[2], alignment_mode="expand")
            if span is not None and fits(_Person(at[0], span, True, plural and not span.root.ent_type_ == "PER",
                                                  _gender(span))):
                return last.quote.speaker_name, at
        for k in range(s, -1, -1):
            if para_of[k] < para_of[s] - 1:
                break
            cands = [p for p in people[k] if fits(p) and (k < s or p.span.end <= pron.i)
                     and not inside(p.span[0], k)]
            if cands:
                p = ([c for c in cands if c.subject] or cands)[-1]
                return p.span.text, (k, p.span.start_char, p.span.end_char)
        return None

    def make(fr: _Frame, text: str, kind: str, sentence: int, at: list[Segment]) -> Statement | None:
        src = fr.source
        assert src is not None
        if src.pos_ == "PRON" and src.lower_.strip("-") in _PRONOUNS:
            who = resolve(src, fr.sentence)
            if who is None:
                return None  # an attribution to someone the text does not name nearby
            name, speaker_at = who
            agent, written = True, (fr.sentence, src.idx, src.idx + len(src))
            sure = True
        elif src.pos_ == "PRON":
            return None
        else:
            span = _name(src)
            name = span.text.strip(" ,")
            if not name or not any(ch.isalpha() for ch in name):
                return None
            speaker_at = (fr.sentence, span.start_char, span.end_char)
            written = speaker_at
            agent = src.lemma_.lower() not in _NOT_AGENTS and src.lower_ not in _NOT_AGENTS
            sure = True
        named = src.ent_type_ in _NAME_LABELS or src.pos_ == "PROPN" or src.lower_.strip(".") in HONORIFIQUES
        neg = any(c.lower_ in ("ne", "n'", "pas", "jamais") for c in fr.cue.children) or bool(_NEGATION.search(text))
        speaker = _resolve_entity(entities, article.id, speaker_at if named or src.pos_ == "PRON" else None, name)
        title = next((w for w in name.split()[:2] if is_title(w.split("'")[-1])), None)
        if speaker is None and entities is not None and title is not None:
            speaker = _by_role(entities, article.id, title)  # "le maire" named with his role elsewhere
        quote = Quote(speaker,
                      name, text, kind, fr.cue.text.lower() if fr.lemma not in _SOURCE_PHRASES else fr.lemma,
                      article.id, sentence)
        words = len(text.split())
        says = kind == "direct" or words >= 3 or fr.lemma in DENIALS and words >= 1
        return Statement(quote, speaker_at, at, neg, written, sure and agent and says)

    def text_of(doc: Doc, s: int, toks: list[Token]) -> tuple[str, list[Segment]]:
        """The content as text and as segments of its sentence: runs of tokens, bridged over punctuation only
        (an incise inside it is left out)."""
        runs = _runs(doc, toks)
        parts = [doc[a:b].text.strip(' ,"') for a, b in runs]
        segs = [Segment(s, doc[a].idx, doc[b - 1].idx + len(doc[b - 1])) for a, b in runs]
        return re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip(' ,"'), segs

    # Each quote takes the frame in an incise after it (or inside it), else the one before it in its first
    # sentence; a quote with none continues the statement before it in its paragraph or the previous one.
    events: list[tuple[int, int, _Frame | None, Any]] = []
    used: set[int] = set()
    for sp in spans:
        first, final = sp.segments[0], sp.segments[-1]
        doc = docs[first.sentence]
        before = [t for t in doc if t.idx < first.start - 1]
        if before and (before[-1].lower_ in _PHRASE_BEFORE or before[-1].pos_ in ("NOUN", "PROPN", "ADJ")):
            # a quoted phrase of the reporter's sentence ("une enquête pour « destruction ... »", "une décision
            # « irresponsable »"), not speech
            continue
        # after the quote, a frame is an incise (« ... », a déclaré X), never the next clause's verb
        cands = [(f.cue.idx - final.end, f) for f in frames[final.sentence]
                 if f.cue.idx >= final.end and f.incise is not None]
        if len(quote_text(article, sp).split()) < 3 and not cands:
            continue  # a quoted word; a short quote is speech only with its incise (« C'est faux », a-t-il dit)
        cands += [(first.start - f.cue.idx, f) for f in frames[first.sentence] if f.cue.idx < first.start
                  and (not f.content or f.content[-1].idx >= first.start)]
        fr = min(cands, key=lambda c: c[0])[1] if cands else None
        cut = ""
        if fr is None:
            inner = [f for g in sp.segments for f in within[g.sentence]
                     if g.start <= f.cue.idx < g.end and f.incise is not None]
            if inner:
                fr = inner[0]
                a, b = fr.incise
                doc = docs[fr.sentence]
                cut = doc[a:b + 1].text if b < len(doc) and doc[b].text == "," else ""
        if fr is not None:
            used.add(id(fr))
        events.append((first.sentence, first.start, fr, (sp, cut)))
    for s, frs in enumerate(frames):
        events.extend((s, fr.cue.idx, fr, None) for fr in frs if id(fr) not in used)
    events.sort(key=lambda e: (e[0], e[1]))
    for s, _, fr, quoted_here in events:
        st: Statement | None = None
        if quoted_here is not None:
            sp, cut = quoted_here
            text = quote_text(article, sp)
            if cut:
                text = re.sub(r"\s+", " ", text.replace(cut, ","))
            if fr is not None:
                st = make(fr, text, "direct", s, sp.segments)
            elif not _someone_else(docs[s], sp.segments[0].start, out):
                # a quote with no frame continues the last statement of this or the previous paragraph, unless
                # its sentence names someone else ("Mme Lanvin a réagi dans un communiqué : « ... »")
                prev = [x for x in out if para_of[x.quote.sentence] in (para_of[s], para_of[s] - 1)]
                if prev:
                    src = prev[-1]
                    st = Statement(Quote(src.quote.speaker, src.quote.speaker_name, text, "direct", None,
                                         article.id, s), src.speaker_at, sp.segments, listed=src.listed)
        elif fr is not None:
            doc = docs[s]
            toks = fr.content
            if fr.incise is not None and not toks:
                # "Nous allons répondre, a déclaré le porte-parole": the words before the incise, and after it
                # when they finish the clause ("La digue, a expliqué M. X, a cédé dans la nuit")
                a, b = fr.incise
                toks = [t for t in doc if t.i < a]
                if not any(t.pos_ in ("VERB", "AUX") for t in toks):
                    toks += [t for t in doc if t.i >= b]
                if any(inside(t, s) for t in toks):
                    continue  # quoted words: the quote is the statement
            toks = [t for t in toks if not t.is_punct or t.text == '"']
            if toks:
                text, segs = text_of(doc, s, toks)
                st = make(fr, text, "reported", s, segs) if text else None
        if st is not None:
            out.append(st)
    return out
