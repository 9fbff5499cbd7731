"""Story clustering on ECB+ (gold: sub-topic = real-world event), and speed on generated articles.

    .venv/bin/python bench/stories.py            # ECB+ (all at once, 10 batches through a workspace) + speed
    .venv/bin/python bench/stories.py --quick    # ECB+ in-memory only, speed on 10,000 articles
    .venv/bin/python bench/stories.py --speed N  # speed only, on N generated articles (run in this process)
    .venv/bin/python bench/stories.py --no-speed --cache /tmp/ecb-features.pkl  # ECB+ only, features kept

Baselines in the same run: TF-IDF + average-linkage agglomerative clustering, and HDBSCAN over the same
MiniLM embeddings newsweave uses; each baseline reports its best setting of a small sweep (tuned on gold,
which flatters them). newsweave's threshold sweep is printed in full, plus a split check: the threshold
picked on odd-numbered topics, scored on even-numbered ones, and the other way round. The online runs are
also shown without revision (`revise_members=0`: a batch's groups only join or merge whole stories) and
on each half of the topics.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from newsweave import stories
from newsweave.eval.clustering import bcubed, labels_of, pairwise
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc
from newsweave.workspace import Workspace

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ecbplus" / "articles.jsonl"
SWEEP = (0.26, 0.28, 0.30, 0.32, 0.34, 0.36, 0.38, 0.40)


def load_ecb() -> tuple[list[Article], dict[str, str]]:
    articles, gold = [], {}
    for line in DATA.open():
        rec = json.loads(line)
        # No url: in ECB+ only the newer sub-corpus has urls, so using them would leak the answer.
        art, _ = to_article(RawDoc(source=rec["id"], text=rec["text"], language="en"))
        art.id = rec["id"]
        articles.append(art)
        gold[art.id] = rec["subtopic"]
    order = list(range(len(articles)))
    random.Random(0).shuffle(order)  # arrival order for the online runs
    return [articles[i] for i in order], gold


def score(clusters: list[list[str]], gold: dict[str, str]) -> tuple[float, float, float, float, int]:
    members = [m for c in clusters for m in c]
    if len(members) != len(set(members)):
        raise AssertionError("an article is in two clusters")
    pred = labels_of(clusters)
    gold = {k: gold[k] for k in pred}
    b, p = bcubed(pred, gold), pairwise(pred, gold)
    return b.precision, b.recall, b.f1, p.f1, len(clusters)


def line(name: str, s: tuple[float, float, float, float, int], base: float | None = None) -> str:
    ratio = f"  x{s[2] / base:.2f} vs TF-IDF+agglo" if base else ""
    return (f"  {name:<38} B3 P {s[0]:.3f} R {s[1]:.3f} F1 {s[2]:.3f} | pairwise F1 {s[3]:.3f} | "
            f"{s[4]} clusters{ratio}")


def baselines(articles: list[Article], dense: np.ndarray, gold: dict[str, str]) -> dict[str, tuple]:
    import hdbscan
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    def groups(labels: np.ndarray, noise_singletons: bool = False) -> list[list[str]]:
        out: dict[object, list[str]] = {}
        for i, lab in enumerate(labels):
            key = ("noise", i) if noise_singletons and lab < 0 else int(lab)
            out.setdefault(key, []).append(articles[i].id)
        return list(out.values())

    tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(
        [a.text for a in articles]).toarray()
    best_agglo = max(
        (score(groups(AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                              distance_threshold=t).fit_predict(tfidf)), gold) + (t,)
         for t in (0.70, 0.75, 0.80, 0.85, 0.90)), key=lambda s: s[2])
    best_hdb = max(
        (score(groups(hdbscan.HDBSCAN(min_cluster_size=m, min_samples=1).fit_predict(dense),
                      noise_singletons=True), gold) + (m,)
         for m in (2, 3, 5, 8)), key=lambda s: s[2])
    return {f"TF-IDF + agglomerative (dist {best_agglo[5]})": best_agglo[:5],
            f"HDBSCAN on MiniLM (min size {best_hdb[5]})": best_hdb[:5]}


def ecb(quick: bool, cache: Path | None) -> None:
    t0 = time.perf_counter()
    articles, gold = load_ecb()
    print(f"ECB+: {len(articles)} articles, {len(set(gold.values()))} sub-topics "
          f"(loaded in {time.perf_counter() - t0:.0f} s)")
    config = stories.Config()
    t0 = time.perf_counter()
    if cache and cache.exists():
        feats = pickle.loads(cache.read_bytes())
        assert feats.ids == [a.id for a in articles], "stale feature cache"
        timing = f"read from {cache}"
    else:
        feats = stories.extract(articles, config)
        if cache:
            cache.write_bytes(pickle.dumps(feats))
        took = time.perf_counter() - t0
        timing = f"{took:.0f} s, {len(articles) / took:.1f} articles/s"
    print(f"features (MiniLM + spaCy NER + TF-IDF + dates): {timing}; "
          f"{int(np.sum(~np.isnan(feats.day)))} articles with a day (no publication dates in ECB+: "
          "datelines only)")
    base = baselines(articles, feats.dense, gold)
    base_f1 = next(iter(base.values()))[2]
    print("\nall at once:")
    for name, s in base.items():
        print(line(name, s, base_f1))
    t0 = time.perf_counter()
    once = score(stories.cluster(articles, config, features=feats), gold)
    print(line(f"newsweave (threshold {config.threshold})", once, base_f1),
          f"[{time.perf_counter() - t0:.1f} s]")
    print("\nin 10 batches (online: only the stories a batch touches are re-clustered):")
    online = score(stories.cluster(articles, config, batches=10, features=feats), gold)
    print(line("newsweave cluster(batches=10)", online, base_f1))
    fixed = score(stories.cluster(articles, replace(config, revise_members=0), batches=10, features=feats), gold)
    print(line("  same without revision", fixed, base_f1))
    if not quick:
        with tempfile.TemporaryDirectory() as tmp, Workspace(tmp) as ws:
            t0 = time.perf_counter()
            size = -(-len(articles) // 10)
            for start in range(0, len(articles), size):
                result = stories.assign_stories(ws, articles[start: start + size], config)
            ws_score = score([s.articles for s in result], gold)
            print(line("newsweave assign_stories, workspace", ws_score, base_f1),
                  f"[{time.perf_counter() - t0:.0f} s incl. features]")
            redirects = ws.conn.execute("SELECT COUNT(*) FROM story_redirect").fetchone()[0]
            print(f"  merges recorded as redirects: {redirects}")
    print("\nthreshold sweep (B3 F1 all at once / 10 batches):")
    for t in SWEEP:
        c = replace(config, threshold=t)
        a, b = (score(stories.cluster(articles, c, batches=n, features=feats), gold) for n in (1, 10))
        print(f"  {t:.2f}: {a[2]:.3f} / {b[2]:.3f}   (pairwise F1 {a[3]:.3f} / {b[3]:.3f}; {a[4]} clusters)")
    print("\nsplit check (threshold picked on one half of the topics, scored on the other, all at once):")
    for pick, test in (("odd", "even"), ("even", "odd")):
        def half(parity: str) -> list[int]:
            want = 1 if parity == "odd" else 0
            return [i for i, a in enumerate(articles) if int(gold[a.id].rstrip("ecbplus")) % 2 == want]

        pick_rows, test_rows = half(pick), half(test)
        arts_p, arts_t = [articles[i] for i in pick_rows], [articles[i] for i in test_rows]
        best = max(SWEEP, key=lambda t: score(stories.cluster(
            arts_p, replace(config, threshold=t), features=feats.take(pick_rows)), gold)[2])
        s = score(stories.cluster(arts_t, replace(config, threshold=best),
                                  features=feats.take(test_rows)), gold)
        print(f"  picked {best:.2f} on {pick} topics -> {test} topics B3 F1 {s[2]:.3f}, "
              f"pairwise F1 {s[3]:.3f}")
    print("\nhalves with the default configuration (B3 F1 all at once / 10 batches / 10 batches without revision):")
    for parity in (1, 0):
        rows = [i for i, a in enumerate(articles) if int(gold[a.id].rstrip("ecbplus")) % 2 == parity]
        part, sub = [articles[i] for i in rows], feats.take(rows)
        a, b, c = (score(stories.cluster(part, replace(config, revise_members=m), batches=n, features=sub), gold)
                   for n, m in ((1, config.revise_members), (10, config.revise_members), (10, 0)))
        print(f"  {'odd' if parity else 'even'} topics: {a[2]:.3f} / {b[2]:.3f} / {c[2]:.3f}")
    print("\nother arrival orders (B3 F1 in 10 / 20 batches; shuffle seed 0 above):")
    for seed in range(1, 6):
        order = list(range(len(articles)))
        random.Random(seed).shuffle(order)
        part, sub = [articles[i] for i in order], feats.take(order)
        a, b = (score(stories.cluster(part, config, batches=n, features=sub), gold) for n in (10, 20))
        print(f"  seed {seed}: {a[2]:.3f} / {b[2]:.3f}")


# -- speed -----------------------------------------------------------------------------------------------

_FIRST = "Ana Boris Carla Dmitri Elena Farid Greta Hamid Ines Jonas Kenji Lena Milo Nadia Omar Petra".split()
_LAST = "Varga Okafor Lindqvist Moreau Tanaka Rossi Novak Haddad Kowalski Brennan Silva Ivanova".split()
_PLACE = "Corvella Ostrava Marenport Lissadel Quillon Brastow Vennick Torhaven Elmsby Kastria Dunmere".split()
_EVENT = [("met", "talks on trade and border security"), ("signed", "a water-sharing agreement"),
          ("opened", "a new rail bridge"), ("was arrested", "on fraud charges"),
          ("resigned", "after a scandal"),
          ("won", "the regional election"), ("announced", "a rescue package for farmers"),
          ("was injured", "in a factory fire"), ("launched", "an inquiry into the flooding")]
_MONTHS = "January February March April May June July August September October November December".split()


def generate(n: int, seed: int = 0) -> tuple[list[Article], dict[str, str]]:
    """n fictional articles, about 8 per event (events vary people, place, action and date), and the gold
    event of each article."""
    rng = random.Random(seed)
    out, gold = [], {}
    n_events = max(1, n // 8)
    for i in range(n):
        e = rng.randrange(n_events)
        er = random.Random(e)
        who = f"{er.choice(_FIRST)} {er.choice(_LAST)}"
        other = f"{er.choice(_FIRST)} {er.choice(_LAST)}"
        place = er.choice(_PLACE)
        verb, what = er.choice(_EVENT)
        day = 1 + er.randrange(28), er.randrange(12), 2000 + er.randrange(25)
        when = f"{_MONTHS[day[1]]} {day[0]}, {day[2]}"
        sents = [f"{who} {verb} {what} in {place} on {when}, officials said.",
                 f"The meeting with {other} was described as {rng.choice(['candid', 'tense', 'useful'])}.",
                 f"Residents of {place} reacted with {rng.choice(['relief', 'anger', 'surprise'])}.",
                 f"{other} told reporters the {rng.choice(['talks', 'deal', 'case'])} would continue.",
                 f"Observers expect further steps in {rng.choice(['weeks', 'months'])}, said {who}."]
        rng.shuffle(sents[1:])
        text = " ".join(sents)
        out.append(Article(id=f"g{i}", source=f"gen/{i}", text=text, sentences=sents,
                           title=f"{who} {verb} {what} in {place}", outlet=f"outlet{rng.randrange(50)}"))
        gold[f"g{i}"] = f"e{e}"
    return out, gold


def cheap_embedder(dim: int = 384):  # noqa: ANN201 - returns a callable
    """Hashed bag of words through a fixed random projection: a stand-in for MiniLM in the speed run."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.random_projection import SparseRandomProjection

    hv = HashingVectorizer(n_features=2 ** 18, alternate_sign=False)
    proj = SparseRandomProjection(n_components=dim, random_state=0).fit(hv.transform(["x"]))
    return lambda texts: np.asarray(proj.transform(hv.transform(texts)).todense(), dtype=np.float32)


def speed(n: int) -> None:
    config = stories.Config(ner="caps", embedder=cheap_embedder())
    articles, gold = generate(n + 1000)
    base, extra = articles[:n], articles[n:]
    events = len({gold[a.id] for a in base})
    t0 = time.perf_counter()
    groups = stories.cluster(base, config)
    took = time.perf_counter() - t0
    print(f"cluster(): {n} articles in {took:.0f} s = {n / took:.0f} articles/s, {len(groups)} stories "
          f"for {events} events, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(line("  quality on the generated events", score(groups, gold)))
    with tempfile.TemporaryDirectory() as tmp, Workspace(tmp) as ws:
        t0 = time.perf_counter()
        for start in range(0, n, 1000):
            result = stories.assign_stories(ws, base[start: start + 1000], config)
        took = time.perf_counter() - t0
        print(f"workspace, {n} articles in batches of 1,000: {took:.0f} s = {n / took:.0f} articles/s, "
              f"{len(result)} stories")
        print(line("  quality on the generated events", score([s.articles for s in result], gold)))
        t0 = time.perf_counter()
        stories.assign_stories(ws, extra, config)
        print(f"add a batch of 1,000 to a workspace of {n}: {time.perf_counter() - t0:.1f} s; "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    sample = [stories._embed_text(a) for a in generate(2000, seed=1)[0]]
    from newsweave import embed

    t0 = time.perf_counter()
    embed.english().encode(sample)
    rate = len(sample) / (time.perf_counter() - t0)
    print(f"MiniLM alone (not in the figures above): {rate:.0f} articles/s on title+lead -> "
          f"{n / rate / 60:.0f} min for {n} articles")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--speed", type=int, default=0, help="speed run only, on N generated articles")
    ap.add_argument("--no-speed", action="store_true", help="ECB+ only")
    ap.add_argument("--cache", type=Path, help="pickle of the ECB+ features (kept outside the repo, e.g. /tmp)")
    args = ap.parse_args()
    if args.speed:
        speed(args.speed)
        return
    if DATA.exists():
        ecb(args.quick, args.cache)
    else:
        print(f"ECB+ not found at {DATA}: skipped")
    if args.no_speed:
        return
    n = 10_000 if args.quick else 100_000
    print(f"\nspeed on {n} generated articles (cheap vectors and capitalised-phrase NER; separate process "
          "so peak memory is its own):")
    sys.stdout.flush()
    subprocess.run([sys.executable, __file__, "--speed", str(n)], check=True)


if __name__ == "__main__":
    main()
