"""The audit set: precision and recall of what newsweave says about 40 real articles, against what a reader
found in them by hand (eval/audit/labels.jsonl; eval/audit/README.md says how it was labelled).

    .venv/bin/python bench/audit.py [--data ../shared/data] [--show]

Each article runs alone through the stages that read it (entities, quotes, claims), as `newsweave run` does
for a one-article story. The labels hold character offsets into the data set's texts, never the texts: this
reads the texts from ../shared/data and stops with one line when they are absent.

Figures (each over the items newsweave shows, or over the labelled items for recall):
- role: a role shown for a person is right when it names one of the labelled roles of that person (a role on
  anyone who is not a labelled person is wrong); recall over labelled people with roles.
- type: a name shown as a person must be a labelled person, as an organisation a labelled organisation; a place
  or group must be neither (places are not labelled, so other places are not judged); recall over labelled
  people and organisations found with their type.
- quote: a statement found is a labelled one when it shares half the labelled content's words (or the
  labelled content holds 80 % of its words); recall over labelled statements.
- speaker: of the statements that are labelled ones, the share whose speaker is the labelled one (by name,
  or by the entity the speaker was resolved to).
- dispute: a dispute shown is right when its sentence is a labelled dispute by that speaker.
Baseline, in the same run: the same figures with every quote's speaker replaced by the nearest name before
it in the sentence (a reader's first guess), so the speaker figure has something to be read against.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from summaries import load_article

from newsweave.claims import find_claims
from newsweave.entities import resolve_entities
from newsweave.ingest import to_article
from newsweave.model import Article, Entity, Quote, RawDoc
from newsweave.quotes import extract_quotes

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "eval" / "audit" / "labels.jsonl"
DEFAULT_DATA = ROOT.parent / "shared" / "data"
_DROP = {"the", "a", "an", "mr", "mrs", "ms", "dr", "s"}


def fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.replace("\u2019", "'").replace("\u2018", "'"))
    return "".join(c for c in s if not unicodedata.combining(c)).casefold()


def words(s: str) -> list[str]:
    return [w for w in re.findall(r"\w+", fold(s)) if w not in _DROP]


def raw_text(data: Path, source: str, aid: str) -> str:
    if source == "polnear-dev":
        return (data / "polnear" / "dev" / "text" / aid).read_text(encoding="utf-8")
    if source == "multiling":
        return (data / "multiling2011_en" / "SourceTexts" / aid).read_text(encoding="utf-8")
    name = {"meantime": "meantime", "ecbplus": "ecbplus"}[source]
    with open(data / name / "articles.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["id"] == aid:
                return row["text"]
    raise KeyError(aid)


def article(data: Path, source: str, aid: str, text: str) -> Article:
    """The article as newsweave would ingest it; PolNeAR and MEANTIME texts open with their title line."""
    if source == "multiling":
        return load_article(data / "multiling2011_en" / "SourceTexts" / aid)
    title, _, body = text.partition("\n")
    raw = RawDoc(source=aid, text=body, title=title.strip()) if source in ("polnear-dev", "meantime") \
        else RawDoc(source=aid, text=text)
    result = to_article(raw)
    if isinstance(result, Exception):
        raise result
    return result[0]


@dataclass
class Count:
    right: int = 0
    shown: int = 0
    found: int = 0
    gold: int = 0
    errors: list[str] = field(default_factory=list)

    def precision(self) -> float:
        return self.right / self.shown if self.shown else 1.0

    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0


def _person_matches(e: Entity, gold: str) -> bool:
    g = words(gold)
    return any(words(a) and words(a)[-1] in g for a in e.aliases)


def _gold_person(e: Entity, people: list[tuple[str, list[str]]]) -> tuple[str, list[str]] | None:
    """The labelled person an entity is: the one with its full name, else the one its last name is of."""
    exact = [p for p in people if any(words(a) == words(p[0]) for a in e.aliases)]
    return (exact or [p for p in people if _person_matches(e, p[0])] or [None])[0]


def _org_matches(e: Entity, gold: str) -> bool:
    return any(words(a) == words(gold) for a in e.aliases)


def _content(s: str) -> set[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return {w for w in words(s) if w not in ENGLISH_STOP_WORDS} or set(words(s))


def _overlap(found: str, gold: str) -> float:
    """How much a found statement is the labelled one: the share of the labelled content words it has (or,
    for a part of a long labelled statement, the share of its own words in it); 0 below the bar."""
    wf, wg = _content(found), _content(gold)
    if not wf or not wg:
        return 0.0
    both = len(wf & wg)
    share = max(both / len(wg), both / len(wf) if len(wf) >= 3 else 0.0)
    return share if both / len(wg) >= 0.5 or (len(wf) >= 3 and both / len(wf) >= 0.8) else 0.0


def _speaker_ok(q: Quote, names: list[str], entities: dict[str, Entity]) -> bool:
    said = [q.speaker_name or ""]
    if q.speaker and q.speaker in entities:
        said += entities[q.speaker].aliases
    for name in names:
        g = words(name)
        for s in said:
            w = words(s)
            if w and g and (w[-1] in g or g[-1] in w):
                return True
    return False


def _nearest_name(q: Quote, a: Article, entities: list[Entity]) -> str:
    """Baseline speaker: the last name of a person or organisation written before the quote in its sentence."""
    sentence = a.sentences[q.sentence]
    at = sentence.find(q.text[:30]) if q.text else -1
    before = sentence[: at if at > 0 else len(sentence)]
    best, pos = "", -1
    for e in entities:
        if e.type not in ("PERSON", "ORG"):
            continue
        for alias in e.aliases:
            k = before.rfind(alias)
            if k > pos:
                best, pos = alias, k
    return best


def score(data: Path, rows: list[dict], show: bool) -> dict[str, Count]:
    c = {k: Count() for k in ("role", "type", "quote", "speaker", "dispute", "baseline speaker")}
    for row in rows:
        text = raw_text(data, row["source"], row["id"])
        a = article(data, row["source"], row["id"], text)
        index = resolve_entities([a])
        quotes = extract_quotes([a], index)
        claims = find_claims([a], quotes, index, [])
        by_id = {e.id: e for e in index.entities}
        people = [(text[p["at"][0]:p["at"][1]], p["roles"]) for p in row["people"]]
        orgs = [text[s:e] for s, e in row["orgs"]]
        where = row["id"]

        # types and roles
        for e in index.entities:
            if e.type not in ("PERSON", "ORG", "GPE", "NORP"):
                continue
            person = _gold_person(e, people)
            org = any(_org_matches(e, o) for o in orgs)
            exact_person = any(words(al) == words(n) for n, _ in people for al in e.aliases)
            if e.type == "PERSON":
                ok, judged = person is not None, True
            elif e.type == "ORG":
                ok, judged = org, True
            else:
                judged = org or exact_person
                ok = False
            if judged:
                c["type"].shown += 1
                c["type"].right += ok
                if not ok:
                    c["type"].errors.append(f"{where}: {e.name} shown as {e.type}")
            for role in e.roles:
                c["role"].shown += 1
                good = e.type == "PERSON" and person is not None and any(
                    k in words(role) for k in person[1])
                c["role"].right += good
                if not good:
                    c["role"].errors.append(f"{where}: {e.name} — {role}")
        for n, roles in people:
            c["type"].gold += 1
            c["type"].found += any(e.type == "PERSON" and _person_matches(e, n) for e in index.entities)
            if roles:
                c["role"].gold += 1
                c["role"].found += any(e.type == "PERSON" and _person_matches(e, n)
                                       and any(k in words(r) for r in e.roles for k in roles)
                                       for e in index.entities)
        for o in orgs:
            c["type"].gold += 1
            c["type"].found += any(e.type == "ORG" and _org_matches(e, o) for e in index.entities)

        # quotes and speakers
        gold_quotes = [(text[q["content"][0]:q["content"][1]], [text[s:e] for s, e in q["speaker"]])
                       for q in row["quotes"]]
        for content, _ in gold_quotes:
            c["quote"].gold += 1
            hit = any(_overlap(q.text, content) for q in quotes)
            c["quote"].found += hit
            if not hit:
                c["quote"].errors.append(f"{where}: missed {content[:70]!r}")
        for q in quotes:
            c["quote"].shown += 1
            best = max((_overlap(q.text, g[0]) for g in gold_quotes), default=0.0)
            if not best:
                continue
            # a statement one source reports from another ("Users have complained that ..., the report added")
            # matches both labels equally: either labelled speaker is right
            speakers = [name for g in gold_quotes if _overlap(q.text, g[0]) == best for name in g[1]]
            c["quote"].right += 1
            base = Quote(None, _nearest_name(q, a, index.entities), q.text, q.kind, q.cue, q.article, q.sentence)
            for key, ok in (("speaker", _speaker_ok(q, speakers, by_id)),
                            ("baseline speaker", _speaker_ok(base, speakers, by_id))):
                c[key].shown += 1
                c[key].right += ok
                if not ok and key == "speaker":
                    c[key].errors.append(f"{where}: {q.speaker_name!r} for {q.text[:60]!r} (is {speakers[0]!r})")

        # disputes
        gold_disputes = [(text[d["by"][0]:d["by"][1]], text[d["at"][0]:d["at"][1]]) for d in row["disputes"]]
        c["dispute"].gold += len(gold_disputes)
        shown = [d for cl in claims for d in cl.disputes]
        for d in shown:
            c["dispute"].shown += 1
            ok = any(set(words(t)) <= set(words(d.text)) and any(w in words(d.by_name) for w in words(b)[-1:])
                     for b, t in gold_disputes)
            c["dispute"].right += ok
            if not ok:
                c["dispute"].errors.append(f"{where}: {d.by_name} {d.relation}: {d.text[:80]!r}")
        c["dispute"].found += sum(any(set(words(t)) <= set(words(d.text)) for d in shown) for _, t in gold_disputes)
    if show:
        for name, k in c.items():
            for err in k.errors:
                print(f"  [{name}] {err}")
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--show", action="store_true", help="list every wrong or missed item")
    args = ap.parse_args()
    if not (args.data / "polnear").is_dir():
        print(f"no evaluation data at {args.data}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    c = score(args.data, rows, args.show)
    sources = sorted({r["source"] for r in rows})
    print(f"\naudit set: {len(rows)} articles ({', '.join(sources)}), labelled by hand\n")
    print("| figure | precision | right / shown | recall | found / labelled |")
    print("|---|---|---|---|---|")
    for name, k in c.items():
        print(f"| {name} | {k.precision():.3f} | {k.right} / {k.shown} | "
              + (f"{k.recall():.3f} | {k.found} / {k.gold} |" if k.gold else "— | — |"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
