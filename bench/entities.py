"""Speed of the entity stage, and how it scales with the size of a story.

Stories of 5, 50 and 500 articles are made from the fictional fixtures in tests/fixtures/entities by
renaming the people in each copy (so every copy brings new people who must not be merged with the
others). For each size it times, in one process:

- parse: `newsweave.nlp.parse` (spaCy en_core_web_sm over every sentence; shared with other stages);
- baseline: raw spaCy entities grouped by exact surface string (what you get with no resolution);
- entities: `resolve_entities` on the already-parsed articles (extraction fixes, roles, resolution).

Run: .venv/bin/python bench/entities.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsweave import nlp  # noqa: E402
from newsweave.entities import TYPES, resolve_entities  # noqa: E402
from newsweave.ingest import to_article  # noqa: E402
from newsweave.model import Article, RawDoc  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "entities"
SEEDS = ROOT.parent / "shared" / "seeds"
# Fictional name tokens renamed in each copy; "Thomas" stays the misspelling of whatever "Tomas" becomes.
RENAMED = ["Marta", "Kollberg", "Piet", "Anselm", "Ilse", "Brandvik", "Tomas", "Reinholt", "Oskar", "Lund",
           "Erik", "Anders", "Hanna", "Velde", "Jonas"]
SYLLABLES = ["ka", "lo", "mer", "vin", "tor", "sa", "del", "ri", "an", "bo", "gen", "lu", "fa", "nis", "hol",
             "te", "rud", "mi", "os", "ber"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def story(n_articles: int) -> list[Article]:
    texts = [(p.name, p.read_text()) for p in sorted(FIXTURES.glob("*.txt"))]
    out = []
    for k in range(n_articles):
        name, text = texts[k % len(texts)]
        copy = k // len(texts)
        if copy:
            rng = random.Random(copy)
            new = {tok: _name(rng) for tok in RENAMED}
            new["Thomas"] = new["Tomas"][0] + "h" + new["Tomas"][1:]
            text = re.sub(r"\b(" + "|".join(new) + r")\b", lambda m, new=new: new[m.group(1)], text)
        result = to_article(RawDoc(source=f"{name}#{copy}", text=text))
        assert not isinstance(result, Exception), result
        out.append(result[0])
    return out


def baseline(articles: list[Article]) -> int:
    """Raw spaCy entities grouped by exact surface: no fixes, no roles, no cross-document resolution."""
    docs = nlp.parse(articles)
    groups: dict[tuple[str, str], int] = defaultdict(int)
    for a in articles:
        for doc in docs[a.id]:
            for ent in doc.ents:
                if ent.label_ in TYPES:
                    groups[(ent.label_, ent.text)] += 1
    return len(groups)


def run(label: str, articles: list[Article]) -> dict[str, float]:
    n_sent = sum(len(a.sentences) for a in articles)
    t0 = time.perf_counter()
    nlp.parse(articles)
    t_parse = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_base = baseline(articles)
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = resolve_entities(articles)
    t_ent = time.perf_counter() - t0
    people = sum(1 for e in index.entities if e.type == "PERSON")
    print(f"| {label} | {len(articles)} | {n_sent} | {n_sent / t_parse:,.0f} | {n_sent / t_base:,.0f} | "
          f"{n_sent / t_ent:,.0f} | {t_ent / t_base:.1f}x | {n_sent / (t_parse + t_ent):,.0f} | "
          f"{n_base} | {len(index.entities)} ({people} people) |", flush=True)
    return {"sentences": n_sent, "entities_s": t_ent}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5 and 50 articles only")
    args = ap.parse_args()
    sizes = [5, 50] if args.quick else [5, 50, 500]
    nlp.english()  # load the model outside the timings
    nlp.parse(story(1))
    print("| story | articles | sentences | parse sent/s | baseline sent/s | entities sent/s | "
          "entities / baseline time | parse+entities sent/s | baseline groups | entities |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    if SEEDS.is_dir():
        seeds = []
        for p in sorted(SEEDS.glob("*.txt")):
            result = to_article(RawDoc(source=str(p), text=p.read_text()))
            assert not isinstance(result, Exception), result
            seeds.append(result[0])
        run("shared seeds", seeds)
    for n in sizes:
        run("fixtures renamed", story(n))


if __name__ == "__main__":
    main()
