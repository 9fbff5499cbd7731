"""A learned check on attributions: which rule-based statements to keep, and which other verbs frame one.

PolNeAR counts as attribution far more than speech: verbs of stance and action with a noun-phrase content
("opposes abortion", "touted her experience", "nominated X") are cues in some contexts and not in others,
so no fixed verb list takes them. Two logistic regressions, fitted on PolNeAR train by
bench/train_attribution.py and shipped as plain weights in data/attribution.json, score

* each statement the rules in newsweave.quotes found (kept when its probability reaches the keep threshold;
  one that "who said what" lists has a lower threshold of its own, where train says the model is clearly
  right to drop it, so the brief keeps what the rules list but for clear errors);
* each other verb with a subject and a complement of its own, as a candidate whose source is that subject
  and whose content is what the verb governs to its right (added when its probability reaches the new
  threshold). These are attributions all the same, but never "who said what": they are not listed.

Every feature is a string read off the shared spaCy parse (no lemmatizer: word forms, tags, dependencies,
entity labels, and the cue tables of newsweave.quotes); a probability is the logistic of the bias plus the
weights of the features present. Thresholds were chosen on train, by cross-validation, for precision.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING

from . import quotes
from .model import Quote

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from .model import Article

_PRONOUNS = {"he", "she", "they", "him", "her", "them"}
_RELATIVES = {"who", "that", "which"}
# Complements that carry what a stance or action verb is about ("opposes abortion", "wants to build").
_COMPLEMENTS = ("dobj", "ccomp", "xcomp", "prep", "attr", "oprd", "acomp", "dative")
_MODALS = {"will", "would", "could", "can", "should", "may", "might", "must"}


@dataclass(frozen=True)
class _Logit:
    bias: float
    threshold: float
    weights: dict[str, float]

    def probability(self, features: list[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class CueModel:
    keep: _Logit
    new: _Logit
    keep_listed: float  # the keep threshold of a statement "who said what" lists


@lru_cache(maxsize=1)
def load() -> CueModel:
    """The weights shipped with the package (read once per process)."""
    raw = json.loads(files("newsweave").joinpath("data/attribution.json").read_text(encoding="utf-8"))
    keep, new = (_Logit(raw[k]["bias"], raw[k]["threshold"], raw[k]["weights"]) for k in ("keep", "new"))
    return CueModel(keep, new, raw["keep"]["threshold_listed"])


def _bucket(n: int) -> str:
    for top in (1, 2, 4, 7, 12, 20, 35):
        if n <= top:
            return str(top)
    return "more"


def _source_kind(tok: Token) -> str:
    w = tok.lower_
    if w in _PRONOUNS:
        return "pronoun"
    if w in _RELATIVES:
        return "relative"
    if tok.ent_type_:
        return "ent:" + tok.ent_type_
    if tok.pos_ == "PROPN":
        return "propn"
    if quotes._agentive(tok):
        return "agent-noun"
    return "noun:" + tok.pos_


def _cue_class(word: str) -> str:
    lemma = quotes.cue_lemma(word)
    if lemma:
        return "lemma:" + lemma
    return "learned" if word.lower() in quotes._LEARNED_CUES else "other"


def _tokens(docs: list[Doc], segments: list[quotes.Segment]) -> list[Token]:
    out = []
    for g in segments:
        span = docs[g.sentence].char_span(g.start, g.end, alignment_mode="expand")
        if span is not None:
            out.extend(span)
    return out


def _shared(prefix: str, sentence: int, n_sentences: int, content: list[Token]) -> list[str]:
    """Features of where a statement sits and what its content looks like."""
    words = [t for t in content if not t.is_punct]
    first = words[0] if words else None
    f = [
        f"{prefix}sent:{_bucket(sentence)}",
        f"{prefix}last" if sentence == n_sentences - 1 else f"{prefix}notlast",
        f"{prefix}len:{_bucket(len(words))}",
    ]
    if first is not None:
        f += [f"{prefix}first_pos:{first.pos_}", f"{prefix}first_dep:{first.dep_}"]
        if not first.is_alpha or first.pos_ in ("ADP", "SCONJ", "DET", "PART", "PRON", "AUX", "CCONJ"):
            f.append(f"{prefix}first:{first.lower_}")
    ids = {t.i for t in content}
    tops = [t for t in content if t.head.i == t.i or t.head.i not in ids]
    f += [f"{prefix}top:{p}" for p in sorted({t.pos_ for t in tops})]
    f += [f"{prefix}top_tag:{p}" for p in sorted({t.tag_ for t in tops})]
    if any(t.pos_ in ("VERB", "AUX") for t in content):
        f.append(f"{prefix}has_verb")
    f += [f"{prefix}w:{t.lower_}" for t in words[:3]]
    if any(t.text == '"' for t in content):
        f.append(f"{prefix}has_quote_mark")
    if any(quotes.cue_lemma(t.text) and t.pos_ == "VERB" for t in content):
        f.append(f"{prefix}has_cue")  # a frame inside the content: nested, or the content runs too far
    if content:
        doc = content[-1].doc
        tail = [t for t in doc[content[-1].i + 1 :] if not t.is_punct]
        f.append(f"{prefix}after:{_bucket(len(tail))}")
        f.append(f"{prefix}share:{min(10, 10 * len(words) // max(1, len(doc)))}")
    return f


def _cue_token(doc: Doc, word: str, near: int) -> Token | None:
    """The frame's cue in its sentence: the token written as the statement's cue nearest its source."""
    word = "according" if word == "according to" else word
    cands = [t for t in doc if t.lower_ == word]
    return min(cands, key=lambda t: abs(t.i - near)) if cands else None


def statement_features(st: quotes.Statement, docs: list[Doc], others: list[quotes.Statement]) -> list[str]:
    """Features of a rule-based statement that has a source as written (`source_at`), among the article's
    `others`."""
    assert st.source_at is not None
    s, a, b = st.source_at
    doc = docs[s]
    src = doc.char_span(a, b, alignment_mode="expand")
    cue_word = st.quote.cue or ""
    f = [f"kind:{st.quote.kind}", f"listed:{st.listed}", f"negated:{st.negated}"]
    kind = "none"
    if src is not None:
        root = src.root
        kind = _source_kind(root)
        f += [f"src:{kind}", f"src_tag:{root.tag_}", f"src_dep:{root.dep_}", f"src_len:{_bucket(len(src))}"]
        if not root.ent_type_ and root.pos_ != "PROPN":
            f.append(f"src_word:{root.lower_}")
    cue = _cue_token(doc, cue_word, src.root.i if src is not None else 0)
    cls = _cue_class(cue_word)
    f += [f"cue:{cue_word}", f"cue_class:{cls.split(':')[0]}", f"{cls}", f"cue_kind:{cue_word}|{st.quote.kind}"]
    f += [f"src_kind:{kind}|{st.quote.kind}", f"src_cue:{kind}|{cls.split(':')[0]}", f"cue_src:{cue_word}|{kind}"]
    f.append(f"same_sentence:{_bucket(sum(1 for x in others if x.source_at and x.source_at[0] == s))}")
    if cue is not None:
        f += [f"cue_tag:{cue.tag_}", f"cue_dep:{cue.dep_}", f"cue_pos:{cue.pos_}"]
        f += [f"cue_child:{d}" for d in sorted({c.dep_ for c in cue.children})]
        f.append(f"cue_form_dep:{cue_word}|{cue.dep_}")
        if src is not None:
            f.append("src_after_cue" if src.start > cue.i else "src_before_cue")
            f.append(f"src_gap:{_bucket(abs(cue.i - src.root.i))}")
    content = _tokens(docs, st.content_at)
    if st.content_at:
        first = st.content_at[0]
        f.append("content_before_frame" if (first.sentence, first.start) < (s, a) else "content_after_frame")
        f.append(f"segments:{_bucket(len(st.content_at))}")
        f.append("multi_sentence" if len({g.sentence for g in st.content_at}) > 1 else "one_sentence")
    f += _shared("", s, len(docs), content)
    return f


def candidates(
    statements: list[quotes.Statement], docs: list[Doc], article: Article
) -> list[tuple[quotes.Statement, list[str]]]:
    """Verbs that no statement uses, with a subject of their own, as unlisted statements and their features.
    A token another statement uses as source, cue or content is left to it: PolNeAR gives each token at most
    one attribution."""
    taken: dict[int, set[int]] = {}
    for st in statements:
        for g in st.content_at:
            span = docs[g.sentence].char_span(g.start, g.end, alignment_mode="expand")
            if span is not None:
                taken.setdefault(g.sentence, set()).update(range(span.start, span.end))
        if st.source_at is not None:
            s, a, b = st.source_at
            span = docs[s].char_span(a, b, alignment_mode="expand")
            if span is not None:
                taken.setdefault(s, set()).update(range(span.start, span.end))
                cue = _cue_token(docs[s], st.quote.cue or "", span.root.i)
                if cue is not None:
                    taken[s].add(cue.i)
    # the last word of every speaker's name as written ("Holt"), and the sentences with a frame
    speakers = {st.quote.speaker_name.split()[-1].lower() for st in statements if st.quote.speaker_name.split()}
    framed = {st.source_at[0] for st in statements if st.source_at is not None}
    out = []
    for s, doc in enumerate(docs):
        busy = taken.get(s, set())
        for verb in doc:
            if verb.i in busy or not verb.tag_.startswith("VB") or verb.pos_ not in ("VERB", "AUX"):
                continue
            found = _candidate(verb, busy, s, len(docs), article, speakers, framed)
            if found is not None:
                out.append(found)
    return out


def _candidate(
    verb: Token, busy: set[int], s: int, n_sentences: int, article: Article, speakers: set[str], framed: set[int]
) -> tuple[quotes.Statement, list[str]] | None:
    subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subj is None or subj.i in busy or subj.lower_ in ("i", "we", "you", "it", "this", "there"):
        return None
    comps = [c for c in verb.children if c.dep_ in _COMPLEMENTS and c.i > verb.i]
    if not comps:
        return None
    # the content runs over everything the verb governs to its right but another clause it is joined to
    # ("opposed the bill in a speech on Monday"): the match rule wants most of the annotated content
    right = [c for c in verb.children if c.i > verb.i and c.dep_ not in ("conj", "cc", "punct")]
    content = sorted({t for c in right for t in c.subtree if t.i not in busy}, key=lambda t: t.i)
    words = [t for t in content if not t.is_punct]
    if len(words) < 1:
        return None
    doc = verb.doc
    # "lawmakers who oppose ...": the relative pronoun is the source as written, the noun the speaker
    relative = subj.lower_ in _RELATIVES and verb.dep_ == "relcl"
    named = quotes._name_span(verb.head if relative else subj)
    src = (s, subj.idx, subj.idx + len(subj)) if relative else (s, named.start_char, named.end_char)
    speaker_at = None if subj.lower_ in _PRONOUNS else (s, named.start_char, named.end_char)
    kind = _source_kind(subj)
    form = verb.lower_
    cls = _cue_class(form)
    deps = sorted({c.dep_ + (":" + c.lower_ if c.dep_ == "prep" else "") for c in comps})
    aux = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    f = [
        f"verb:{form}",
        f"vcls:{cls.split(':')[0]}",
        f"v{cls}",
        f"vtag:{verb.tag_}",
        f"vdep:{verb.dep_}",
        f"vsrc:{kind}",
        f"vsrc_tag:{subj.tag_}",
        f"vverb_src:{form}|{kind.split(':')[0]}",
        f"vdeps:{'+'.join(deps)}",
        f"vhead:{verb.head.lower_}" if verb.dep_ in ("xcomp", "ccomp", "conj") else "vhead:self",
    ]
    f += [f"vdep_has:{d}" for d in deps]
    f += [f"vverb_dep:{form}|{d.split(':')[0]}" for d in deps]
    if any(c.dep_ == "neg" for c in verb.children):
        f.append("vneg")
    f += [f"vaux:{a.lower_}" for a in aux if a.lower_ in _MODALS]
    if any(a.dep_ == "auxpass" for a in aux):
        f.append("vpassive")
    obj = next((c for c in comps if c.dep_ == "dobj"), None)
    if obj is not None:
        f += [f"vobj:{obj.lower_}", f"vobj_ent:{obj.ent_type_ or obj.pos_}"]
    if subj.ent_type_ == "PERSON" or subj.lower_ in ("he", "she"):
        f.append("vperson")
    if not subj.ent_type_ and subj.pos_ != "PROPN":
        f.append(f"vsubj_word:{subj.lower_}")
    if named[-1].lower_ in speakers:
        f.append("vspeaker")  # the subject speaks elsewhere in the article
    if s in framed:
        f.append("vframed_sentence")
    if verb.dep_ == "conj" and (quotes.cue_lemma(verb.head.text) or verb.head.lower_ in quotes._LEARNED_CUES):
        f.append("vconj_cue")
    f += _shared("v", s, n_sentences, content)
    parts = quotes._runs(doc, content)
    segs = [quotes.Segment(s, doc[a].idx, doc[b - 1].idx + len(doc[b - 1])) for a, b in parts]
    text = " ".join(doc[a:b].text for a, b in parts)
    q = Quote(None, named.text, text, "reported", form, article.id, s)
    negated = any(c.dep_ == "neg" for c in verb.children)
    return quotes.Statement(q, speaker_at, segs, negated, src, listed=False), f


def revise(
    statements: list[quotes.Statement], docs: list[Doc], article: Article, model: CueModel | None = None
) -> list[quotes.Statement]:
    """The rule-based statements the model (by default the shipped one) keeps, in their order, then the
    unlisted ones it adds, in reading order. Candidates are read beside all the rule-based statements, as in
    training."""
    model = model or load()
    keep, new = model.keep, model.new
    kept = [
        st
        for st in statements
        if st.source_at is None
        or keep.probability(statement_features(st, docs, statements))
        >= (model.keep_listed if st.listed else keep.threshold)
    ]
    added = [st for st, f in candidates(statements, docs, article) if new.probability(f) >= new.threshold]
    return kept + added
