"""Fit newsweave.cue_model on PolNeAR train and write its weights to src/newsweave/data/attribution.json.

    PYTHONPATH=src .venv/bin/python bench/train_attribution.py [--data ../shared/data/polnear] [--cache PATH]

Reads the train split only. Two logistic regressions (scikit-learn, binary string features):
* keep: each statement newsweave.quotes finds with a source; label = it matches a gold attribution under
  newsweave.eval.attribution's rule (one-to-one, as the bench scores);
* new: each verb the statements leave free that has a subject of its own (cue_model.candidates); label = it
  matches a gold attribution that no rule-based statement matches.
The regularisation strength and the thresholds are chosen by 5-fold cross-validation over train articles,
on out-of-fold probabilities. A statement "who said what" lists is dropped only where the model is clearly
right to: its threshold is the highest at which at least --listed-wrong (0.8) of the listed statements it
drops are wrong. Then the pair of thresholds (other statements, new candidates) with the best
all-attribution F1 whose precision is at least --precision (0.90, the goal of issue 14) and whose
direct-quote F1 is at most 0.005 below the rules'.
It prints the whole frontier (best F1 at each precision floor) so another floor can be read off.
Deterministic; the spaCy parses of train are cached with DocBin at --cache (this script only) so a rerun
skips the parse.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from attribution import load, to_article
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from newsweave import cue_model, nlp, quotes
from newsweave.eval.attribution import Attribution, _overlap, _words, read_brat

ROOT = Path(__file__).resolve().parents[1]


def parse_cached(arts: list, cache: Path) -> None:  # noqa: ANN001 - newsweave Articles
    """Fill newsweave.nlp's parse cache from a DocBin file, or parse and write one."""
    from spacy.tokens import DocBin

    n = sum(len(a.sentences) for a in arts)
    docs = list(DocBin().from_disk(cache).get_docs(nlp.english().vocab)) if cache.exists() else []
    if len(docs) != n or any(d.text != s for d, s in zip(docs, (s for a in arts for s in a.sentences), strict=False)):
        t0 = time.perf_counter()
        parses = nlp.parse(arts)
        print(f"parsed {n} sentences in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        db = DocBin()
        for a in arts:
            for d in parses[a.id]:
                db.add(d)
        db.to_disk(cache)
        return
    nlp.keep([s for a in arts for s in a.sentences], docs)


def match(text: str, pred: list[Attribution], gold: list[Attribution]) -> dict[int, int]:
    """prediction index -> gold index, one-to-one and greedy, under newsweave.eval.attribution's rule."""
    gw = [_words(text, g.content) for g in gold]
    pw = [_words(text, p.content) for p in pred]
    pairs = []
    for i, p in enumerate(pred):
        for j, g in enumerate(gold):
            if gw[j] and len(pw[i] & gw[j]) / len(gw[j]) >= 0.5 and _overlap(p.source, g.source):
                pairs.append((len(pw[i] & gw[j]) / len(gw[j]), i, j))
    out: dict[int, int] = {}
    for _, i, j in sorted(pairs, reverse=True):
        if i not in out and j not in out.values():
            out[i] = j
    return out


def as_attribution(st: quotes.Statement, off: list[int]) -> Attribution:
    assert st.source_at is not None
    s, a, b = st.source_at
    content = [(off[g.sentence] + g.start, off[g.sentence] + g.end) for g in st.content_at]
    return Attribution([(off[s] + a, off[s] + b)], content, st.quote.kind == "direct")


def examples(items: list, arts: list) -> tuple[list, list]:  # noqa: ANN001
    """(features, label, article, gold key, direct label) rows for the keep and the new model."""
    captured: dict[str, tuple] = {}

    def capture(statements, docs, article):  # noqa: ANN001, ANN202 - stands in for cue_model.revise
        captured[article.id] = (statements, docs)
        return statements

    revise = cue_model.revise
    cue_model.revise = capture
    try:
        for a, _ in arts:  # one at a time: an exact duplicate would take its original's statements
            quotes.extract_statements([a])
    finally:
        cue_model.revise = revise
    keep_rows, new_rows = [], []
    for g, ((_, text, ann), (art, off)) in enumerate(zip(items, arts, strict=True)):
        gold = read_brat(ann, text)
        statements, docs = captured[art.id]
        scored = [st for st in statements if st.source_at is not None]
        preds = [as_attribution(st, off) for st in scored]
        hit = match(text, preds, gold)
        direct_gold = [k for k, x in enumerate(gold) if x.direct]
        direct_pred = [k for k, p in enumerate(preds) if p.direct]
        dhit = match(text, [preds[k] for k in direct_pred], [gold[k] for k in direct_gold])
        direct_ok = {direct_pred[i] for i in dhit}
        for i, st in enumerate(scored):
            key = (g, hit[i]) if i in hit else None
            f = cue_model.statement_features(st, docs, statements)
            keep_rows.append((f, key, g, preds[i].direct, i in direct_ok))
        free = [x for k, x in enumerate(gold) if k not in set(hit.values())]
        free_ids = [k for k in range(len(gold)) if k not in set(hit.values())]
        for st, f in cue_model.candidates(statements, docs, art):
            p = as_attribution(st, off)
            m = match(text, [p], free)
            key = (g, free_ids[m[0]]) if m else None
            new_rows.append((f, key, g, False, False))
    return keep_rows, new_rows


def fit(rows: list, c: float, min_count: int = 3) -> tuple[LogisticRegression, DictVectorizer]:
    counts = Counter(f for r in rows for f in set(r[0]))
    vec = DictVectorizer()
    x = vec.fit_transform([{f: 1 for f in r[0] if counts[f] >= min_count} for r in rows])
    y = np.array([r[1] is not None for r in rows])
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, y)
    return model, vec


def oof(rows: list, c: float, folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities, folds grouped by article."""
    groups = np.array([r[2] for r in rows])
    prob = np.zeros(len(rows))
    for tr, te in GroupKFold(n_splits=folds).split(np.zeros(len(rows)), groups=groups):
        model, vec = fit([rows[i] for i in tr], c)
        prob[te] = model.predict_proba(vec.transform([{f: 1 for f in rows[i][0]} for i in te]))[:, 1]
    return prob


def log_loss(rows: list, prob: np.ndarray) -> float:
    y = np.array([r[1] is not None for r in rows])
    p = np.clip(prob, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def totals(keep_rows, new_rows, pk, pn, tk, tn, n_gold):  # noqa: ANN001, ANN201
    """(P, R, F1) of all attributions when statements with pk >= tk and candidates with pn >= tn are kept
    (tk: the threshold of listed statements, and of the others). A gold attribution counts once however many
    predictions match it."""
    kept = kept_mask(keep_rows, pk, tk)
    added = pn >= tn
    hits = {r[1] for r, k in zip(keep_rows, kept, strict=True) if k and r[1] is not None}
    hits |= {r[1] for r, a in zip(new_rows, added, strict=True) if a and r[1] is not None}
    n_pred = int(kept.sum() + added.sum())
    right = sum(1 for r, k in zip(keep_rows, kept, strict=True) if k and r[1] is not None)
    right += len({r[1] for r, a in zip(new_rows, added, strict=True) if a and r[1] is not None})
    p = right / n_pred if n_pred else 0.0
    r = len(hits) / n_gold
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def kept_mask(keep_rows, pk, tk) -> np.ndarray:  # noqa: ANN001
    listed = np.array(["listed:True" in r[0] for r in keep_rows])
    return np.where(listed, pk >= tk[0], pk >= tk[1])


def direct_f1(keep_rows, pk, tk, n_direct) -> float:  # noqa: ANN001
    kept = [(r, k) for r, k in zip(keep_rows, kept_mask(keep_rows, pk, tk), strict=True) if r[3] and k]
    right = sum(r[4] for r, _ in kept)
    p = right / len(kept) if kept else 0.0
    r = right / n_direct
    return 2 * p * r / (p + r) if p + r else 0.0


def export(model: LogisticRegression, vec: DictVectorizer, threshold: float, prune: float) -> dict:
    w = {f: round(float(v), 4) for f, v in zip(vec.get_feature_names_out(), model.coef_[0], strict=True)}
    return {
        "bias": round(float(model.intercept_[0]), 4),
        "threshold": round(threshold, 3),
        "weights": {f: v for f, v in sorted(w.items()) if abs(v) >= prune},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/polnear")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/newsweave-polnear-train.spacy"))
    ap.add_argument("--out", type=Path, default=ROOT / "src/newsweave/data/attribution.json")
    ap.add_argument("--precision", type=float, default=0.90)
    ap.add_argument("--listed-wrong", type=float, default=0.8)
    args = ap.parse_args()
    if not (args.data / "train" / "attributions").is_dir():
        print(f"PolNeAR train not found at {args.data}", file=sys.stderr)
        return 1
    items = load(args.data, None, "train")
    arts = [to_article(name, text) for name, text, _ in items]
    parse_cached([a for a, _ in arts], args.cache)
    t0 = time.perf_counter()
    keep_rows, new_rows = examples(items, arts)
    n_gold = sum(len(read_brat(ann, text)) for _, text, ann in items)
    n_direct = sum(sum(g.direct for g in read_brat(ann, text)) for _, text, ann in items)
    print(
        f"{len(items)} articles, {n_gold} gold ({n_direct} direct); {len(keep_rows)} rule statements "
        f"({sum(r[1] is not None for r in keep_rows)} right), {len(new_rows)} candidates "
        f"({sum(r[1] is not None for r in new_rows)} right) in {time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )
    best_c = {}
    probs = {}
    for name, rows in (("keep", keep_rows), ("new", new_rows)):
        losses = {c: (log_loss(rows, p), p) for c in (0.03, 0.1, 0.3, 1.0) for p in [oof(rows, c)]}
        best_c[name] = min(losses, key=lambda c: losses[c][0])
        probs[name] = losses[best_c[name]][1]
        print(
            f"{name}: C by out-of-fold log loss " + ", ".join(f"{c}: {v[0]:.4f}" for c, v in losses.items()),
            file=sys.stderr,
        )
    pk, pn = probs["keep"], probs["new"]
    p0, r0, f0 = totals(keep_rows, new_rows, pk, pn, (0.0, 0.0), 1.01, n_gold)
    d0 = direct_f1(keep_rows, pk, (0.0, 0.0), n_direct)
    print(f"rules alone (train): P {p0:.3f} R {r0:.3f} F1 {f0:.3f}, direct F1 {d0:.3f}", file=sys.stderr)
    listed = np.array(["listed:True" in r[0] for r in keep_rows])
    wrong = np.array([r[1] is None for r in keep_rows])
    tl = max(
        (
            float(t)
            for t in np.arange(0.02, 0.81, 0.02)
            if (listed & (pk < t)).any() and wrong[listed & (pk < t)].mean() >= args.listed_wrong
        ),
        default=0.0,
    )
    print(
        f"listed statements: keep >= {tl:.2f} drops {(listed & (pk < tl)).sum()} of {listed.sum()} "
        f"({wrong[listed & (pk < tl)].mean():.2f} of them wrong)",
        file=sys.stderr,
    )
    grid = []
    for tk in np.arange(0.0, 0.97, 0.02):
        if direct_f1(keep_rows, pk, (tl, tk), n_direct) < d0 - 0.005:
            continue
        for tn in np.arange(0.3, 1.0, 0.01):
            grid.append((*totals(keep_rows, new_rows, pk, pn, (tl, tk), tn, n_gold), float(tk), float(tn)))
    print("out-of-fold frontier (precision at least, best F1):", file=sys.stderr)
    for floor in (0.86, 0.87, 0.88, 0.89, 0.90, 0.91, 0.92):
        ok = [g for g in grid if g[0] >= floor]
        if ok:
            p, r, f, tk, tn = max(ok, key=lambda g: g[2])
            print(
                f"  P >= {floor:.2f}: keep >= {tk:.2f}, new >= {tn:.2f}: P {p:.3f} R {r:.3f} F1 {f:.3f}",
                file=sys.stderr,
            )
    ok = [g for g in grid if g[0] >= args.precision]
    best = max(ok, key=lambda g: g[2]) if ok else None
    if best is None:
        print(f"no thresholds reach precision {args.precision} on train", file=sys.stderr)
        return 1
    p, r, f, tk, tn = best
    print(
        f"chosen out of fold: keep >= {tk:.2f}, new >= {tn:.2f}: P {p:.3f} R {r:.3f} F1 {f:.3f}, "
        f"direct F1 {direct_f1(keep_rows, pk, (tl, tk), n_direct):.3f}",
        file=sys.stderr,
    )
    out = {"trained_on": "PolNeAR v1.0 train", "script": "bench/train_attribution.py"}
    for name, rows, t in (("keep", keep_rows, tk), ("new", new_rows, tn)):
        model, vec = fit(rows, best_c[name])
        out[name] = export(model, vec, t, prune=0.02)
        out[name]["C"] = best_c[name]
    out["keep"]["threshold_listed"] = round(tl, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
