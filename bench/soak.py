"""Soak: every real corpus and a set of hostile inputs through the `newsweave` CLI, each run under a time bound.

    PYTHONPATH=src .venv/bin/python bench/soak.py            # full: every corpus in ../shared/data + seeds
    PYTHONPATH=src .venv/bin/python bench/soak.py --quick    # CI: 30 articles of each corpus (200 made-up
                                                              # ones when ../shared/data is absent)

Full form: each corpus goes into its own workspace in batches: `newsweave ingest` for every batch but the
last, then `newsweave run` with the last one, so stories, copies and resume see a workspace that grows, and
every article is analysed by a `run`. Each hostile input (generated here, at run time) gets its own
`newsweave run`, and one more run gets all of them beside a few ordinary articles (that run must still write
a brief). Quick form: the slices go into one workspace in two batches, and the hostile inputs only into the
run that has them all.

It prints: articles, crashes (a traceback, a signal, or an exit status other than 0, 1 = "some inputs
failed" and 2 = "no articles"), hangs (a run over its wall-clock bound, then killed), runs that ended without
a brief, articles flagged `<stage>-skipped`, `not-analysed` or `analysis-truncated`, seconds per article
(p50/p99/max; an article's share of its ingest batch plus its share of its corpus's run) and the peak memory
of any one run. Baseline, run in the same command: `newsweave run --sample` (the bundled corpus) in seconds
per article; the per-article figures are also given as ratios to it. Exit status 1 when any run crashed or
hung.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"
# Flags of articles the pipeline did not analyse whole: `<stage>-skipped` (a stage over its deadline or
# failed), and these two bounds.
BOUNDED = {"not-analysed", "analysis-truncated"}
OK_STATUS = {0, 1, 2}  # 1: some inputs failed (one line each); 2: nothing left to brief


@dataclass
class Result:
    name: str
    argv: list[str]
    seconds: float
    status: int | None  # None: killed at the bound
    peak_mb: float
    stderr: str
    articles: int = 0  # articles in the brief this run wrote (0 for ingest)
    skipped: Counter = field(default_factory=Counter)

    @property
    def hang(self) -> bool:
        return self.status is None

    @property
    def crash(self) -> bool:
        return not self.hang and (self.status not in OK_STATUS or "Traceback" in self.stderr)


def newsweave(args: list[str], bound: float, name: str, out_dir: Path | None = None) -> Result:
    """Run the CLI in its own process group; kill the group at `bound` seconds. Peak RSS from wait4."""
    argv = [sys.executable, "-c", "from newsweave.cli import main; main()", *args, "--quiet"]
    err_path = Path(tempfile.mkstemp(prefix="soak-err-")[1])
    start = time.monotonic()
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        status: int | None = None
        while True:
            pid, wstatus, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(wstatus)
                break
            if time.monotonic() - start > bound:
                os.killpg(proc.pid, signal.SIGKILL)
                _, _, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
        proc.returncode = status if status is not None else -9  # reaped here, not by Popen
    seconds = time.monotonic() - start
    stderr = err_path.read_text(errors="replace")
    err_path.unlink()
    res = Result(name, args, seconds, status, usage.ru_maxrss / 1024, stderr)
    brief = out_dir / "brief.json" if out_dir else None
    if brief and brief.exists() and status in (0, 1):
        doc = json.loads(brief.read_text())
        res.articles = len(doc["articles"])
        res.skipped = Counter(f for a in doc["articles"] for f in a["flags"] if f.endswith("-skipped") or f in BOUNDED)
    return res


# -- inputs --------------------------------------------------------------------------------------


def _jsonl(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _batches(items: list, size: int) -> list[list]:
    return [items[i: i + size] for i in range(0, len(items), size)] or [[]]


def corpora(data: Path, seeds: Path, work: Path, per_corpus: int | None) -> dict[str, list[Path]]:
    """Corpus name -> input files (one article per file, or JSONL files of a few articles each)."""
    out: dict[str, list[Path]] = {}
    work.mkdir(parents=True, exist_ok=True)

    def take(items: list) -> list:
        return items[:per_corpus] if per_corpus else items

    def rows_of(path: Path) -> list[dict]:
        return [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]

    def split_jsonl(name: str, rows: list[dict]) -> None:
        (work / name).mkdir(exist_ok=True)
        out[name] = [_jsonl(chunk, work / name / f"part{i:03d}.jsonl") for i, chunk in enumerate(_batches(rows, 20))]

    if (data / "aeb" / "html").is_dir():
        out["aeb-html"] = take(sorted((data / "aeb" / "html").glob("*.html.gz")))
        # The same pages read a second way: their gold body and readability's extraction as a JSONL export.
        gold = json.loads((data / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
        readability = json.loads((data / "aeb" / "published_outputs" / "readability.json").read_text(
            encoding="utf-8"))["output"]
        split_jsonl("aeb-text", take([{"text": v["articleBody"], "url": f"https://aeb.example/{k}"}
                                      for k, v in sorted(gold.items()) if v.get("articleBody")]
                                     + [{"text": v["articleBody"], "source": "readability"}
                                        for _, v in sorted(readability.items()) if v.get("articleBody")]))
    if (data / "ecbplus" / "articles.jsonl").is_file():
        split_jsonl("ecbplus", take(rows_of(data / "ecbplus" / "articles.jsonl")))
    for split in ("train", "dev"):
        folder = data / "polnear" / split / "text"
        if folder.is_dir():
            out[f"polnear-{split}"] = take(sorted(folder.glob("*.txt")))
    texts = data / "multiling2011_en" / "SourceTexts"
    if texts.is_dir():  # files end in .english: given to newsweave as .txt
        (work / "multiling").mkdir(exist_ok=True)
        out["multiling"] = []
        for f in take(sorted(texts.glob("*.english"))):
            dest = work / "multiling" / f"{f.stem}.txt"
            shutil.copyfile(f, dest)
            out["multiling"].append(dest)
    for name in ("meantime", "gvc-dev"):
        if (data / name / "articles.jsonl").is_file():
            split_jsonl(name, take(rows_of(data / name / "articles.jsonl")))
    if seeds.is_dir():
        out["seeds"] = take(sorted(seeds.glob("*.txt")))
    return out


def fictional(work: Path, n: int) -> list[Path]:
    """Made-up articles about a few invented events (for CI without ../shared/data)."""
    rng = random.Random(7)
    places = ["Valdoria", "Lisvana", "Marisport", "Emberg", "Stavik", "Tirsa"]
    people = ["Ana Petrov", "Jonas Lenz", "Mira Koval", "Tomas Brandt", "Elena Sorel"]
    events = ["a port strike", "trade talks", "a bridge collapse", "a drone purchase", "flooding"]
    (work / "fictional").mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        place, person, event = rng.choice(places), rng.choice(people), rng.choice(events)
        body = [f"{person} spoke about {event} in {place} on Tuesday.",
                f'"We will not give up," {person} said, adding that talks would go on.',
                f"Officials in {place} said on {rng.randint(1, 28)} March 2025 that {rng.randint(2, 900)} "
                f"people were affected by {event}.",
                f"According to a spokesman, the government denied that {event} had been planned."]
        rng.shuffle(body)
        paths.append(work / "fictional" / f"article{i:03d}.txt")
        paths[-1].write_text(f"{place}: {event}\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")
    return paths


def hostile(work: Path) -> dict[str, Path]:
    """Inputs built to break a pipeline: huge, deep, repetitive, binary, lying about their kind."""
    d = work / "hostile"
    d.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    words = "the minister said on Monday that talks in Rome would go on despite protests".split()
    para = "<p>" + " ".join(rng.choice(words) for _ in range(80)) + ".</p>\n"
    files = {
        "page-5mb.html": "<html><head><title>Big</title></head><body><article>"
                         + para * (5_000_000 // len(para)) + "</article></body></html>",
        "sentences-100k.txt": "".join(f"Item {i % 97} fell. " for i in range(100_000))[:1_200_000],
        "sentence-20k-tokens.txt": " ".join(rng.choice(words) for _ in range(20_000)) + ".",
        "quotes-50k.txt": "Minister said " + '"' * 50_000 + " and left.\n\n"
                          + " ".join(f'"{rng.choice(words)}"' for _ in range(2_000)),
        "nested-10k.html": "<html><body>" + "<div>" * 10_000 + "Deep words here. " * 20 + "</div>" * 10_000
                           + "</body></html>",
    }
    paths = {}
    for name, text in files.items():
        paths[name] = d / name
        paths[name].write_text(text, encoding="utf-8")
    paths["bomb.html.gz"] = d / "bomb.html.gz"
    with gzip.open(paths["bomb.html.gz"], "wb", compresslevel=9) as f:
        zeros = b"\0" * (1 << 20)
        for _ in range(2048):  # 2 GB unpacked, about 2 MB packed
            f.write(zeros)
    paths["binary.html"] = d / "binary.html"
    paths["binary.html"].write_bytes(rng.randbytes(300_000))
    lines = [json.dumps({"title": "Fine", "text": "Talks in Rome went on. The minister said so on Monday. " * 5}),
             '{"title": "cut off", "text": "half', "[1, 2, 3]", '{"text": 12}', "\x01\x02\x7f not json", "{" * 5000,
             json.dumps({"html": "<html><body>" + "<b>" * 3000 + "</body></html>"})]
    paths["malformed.jsonl"] = d / "malformed.jsonl"
    paths["malformed.jsonl"].write_text("\n".join(lines * 20) + "\n", encoding="utf-8")
    return paths


# -- the soak ------------------------------------------------------------------------------------


def soak_corpus(name: str, inputs: list[Path], work: Path, batch: int, per_article: float,
                log: list[Result]) -> list[float]:
    """A corpus in batches into one workspace; seconds per article (ingest share + run share), one per article."""
    ws, out = work / "ws" / name, work / "out" / name
    shutil.rmtree(ws, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    groups: list[list[Path]] = [[]]
    size = 0
    for path in inputs:  # about `batch` articles a group: a JSONL file counts its lines
        weight = sum(1 for ln in path.open(encoding="utf-8") if ln.strip()) if path.suffix == ".jsonl" else 1
        if size and size + weight > batch:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += weight
    shares: list[float] = []
    for i, group in enumerate(groups[:-1]):
        res = newsweave(["ingest", *map(str, group), "-w", str(ws)], 60 + per_article * batch,
                        f"{name} ingest {i + 1}/{len(groups)}")
        log.append(res)
        n = _count(ws) - len(shares)
        shares += [res.seconds / max(n, 1)] * n
    last = newsweave(["run", *map(str, groups[-1]), "-w", str(ws), "--out", str(out)],
                     120 + per_article * (len(shares) + batch), f"{name} run", out)
    log.append(last)
    n = _count(ws)
    shares += [0.0] * (n - len(shares))
    return [s + last.seconds / max(n, 1) for s in shares]


def _count(ws: Path) -> int:
    import sqlite3

    db = ws / "workspace.sqlite"
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


def summary(log: list[Result], times: list[float], baseline: float, mode: str, started: float) -> dict:
    base, runs = log[0], [r for r in log[1:] if r.argv[0] == "run"]
    mixed = [r for r in runs if r.name == MIXED]
    skipped = sum((r.skipped for r in runs), Counter())
    ordered = sorted(times) or [0.0]
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {
        "mode": mode, "articles": sum(r.articles for r in runs if r.name != MIXED), "runs": len(log),
        "crashes": sum(r.crash for r in log), "hangs": sum(r.hang for r in log),
        # A run that may end with a brief (status 0 or 1) but wrote none; the mixed run must always write one.
        "runs_without_brief": sum(1 for r in runs if not r.hang and r.status in (0, 1) and not r.articles)
        + sum(1 for r in mixed if r.status not in (0, 1)),
        "skipped": dict(sorted(skipped.items())),
        "seconds_per_article": {"p50": round(q[49], 3), "p99": round(q[98], 3), "max": round(ordered[-1], 3)},
        "baseline_seconds_per_article": round(baseline, 3), "baseline_articles": base.articles,
        "peak_rss_mb": round(max(r.peak_mb for r in log)), "wall_seconds": round(time.monotonic() - started),
        "per_run": [{"run": r.name, "status": r.status, "seconds": round(r.seconds, 1), "peak_rss_mb": round(r.peak_mb),
                     "articles": r.articles} for r in log],
        "failures": [{"kind": "hang" if r.hang else "crash", "status": r.status, "run": r.name,
                      "argv": r.argv, "stderr_tail": r.stderr.strip().splitlines()[-3:]}
                     for r in log if r.crash or r.hang],
    }


def report(f: dict) -> None:
    print(f"\nsoak ({f['mode']}): {f['articles']} articles in {f['runs']} runs, {f['wall_seconds']} s")
    print(f"crashes: {f['crashes']}   hangs: {f['hangs']}   runs without a brief: {f['runs_without_brief']}")
    print("articles flagged, per stage: " + (", ".join(f"{k} {v}" for k, v in f["skipped"].items()) or "none"))
    s, b = f["seconds_per_article"], f["baseline_seconds_per_article"] or 1.0
    print(f"seconds per article: p50 {s['p50']:.2f}  p99 {s['p99']:.2f}  max {s['max']:.2f}   (baseline "
          f"`run --sample`: {b:.2f} s/article; ratios {s['p50'] / b:.2f} / {s['p99'] / b:.2f} / {s['max'] / b:.2f})")
    print(f"peak memory of one run: {f['peak_rss_mb']} MB")
    for x in f["failures"]:
        print(f"  {x['kind'].upper()} (status {x['status']}) {x['run']}: newsweave {' '.join(x['argv'])[:300]}\n"
              f"    {' | '.join(x['stderr_tail'])[:600]}")


MIXED = "hostile all together"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="CI: a slice of each corpus into one workspace, hostile inputs in one run beside them")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seeds", type=Path, default=SEEDS)
    ap.add_argument("--work", type=Path, help="where inputs, workspaces and briefs go (default: a temp dir)")
    ap.add_argument("--batch", type=int, default=250, help="articles per batch of a corpus (full form)")
    ap.add_argument("--per-article", type=float, default=10.0,
                    help="wall-clock bound: seconds per article of a run, on top of a fixed 60-120 s")
    ap.add_argument("--hostile-bound", type=float,
                    help="wall-clock bound of a hostile run (default 300 s, 120 s with --quick; 3x for all of them)")
    ap.add_argument("--only", help="comma-separated corpora to run (e.g. polnear-dev,seeds); 'hostile' for the "
                    "hostile inputs, which are otherwise left out when --only is given")
    ap.add_argument("--json", type=Path, help="write the figures here (rewritten after every corpus)")
    args = ap.parse_args()
    args.hostile_bound = args.hostile_bound or (120.0 if args.quick else 300.0)
    work = args.work or Path(tempfile.mkdtemp(prefix="newsweave-soak-"))
    mode = "quick" if args.quick else "full"
    log: list[Result] = []
    times: list[float] = []
    started = time.monotonic()

    def progress(line: str) -> None:
        print(f"  [{time.monotonic() - started:5.0f} s] {line}", flush=True)
        if args.json:
            args.json.write_text(json.dumps(summary(log, times, baseline, mode, started), indent=2) + "\n")

    base = newsweave(["run", "--sample", "-w", str(work / "ws" / "baseline"), "--out", str(work / "out" / "baseline")],
                     600, "baseline: run --sample", work / "out" / "baseline")
    log.append(base)
    baseline = base.seconds / max(base.articles, 1)
    progress(f"baseline `run --sample`: {base.articles} articles, {base.seconds:.0f} s")

    only = set(args.only.split(",")) if args.only else None
    bad = hostile(work / "inputs") if only is None or "hostile" in only else {}
    if not args.quick:  # each alone, so that a failure names its input
        for name, path in bad.items():
            out = work / "out" / f"hostile-{name}"
            res = newsweave(["run", str(path), "-w", str(work / "ws" / f"hostile-{name}"), "--out", str(out)],
                            args.hostile_bound, f"hostile {name}", out)
            log.append(res)
            times += [res.seconds] * res.articles
            last = res.stderr.strip().splitlines()[-1:] or [""]
            progress(f"hostile {name}: status {res.status}, {res.seconds:.0f} s, {last[0][:110]}")
    if bad:
        mixed_out = work / "out" / "hostile-all"
        ordinary = fictional(work / "inputs" / "beside", 5)
        log.append(newsweave(["run", *map(str, bad.values()), *map(str, ordinary), "-w",
                              str(work / "ws" / "hostile-all"), "--out", str(mixed_out)],
                             args.hostile_bound * 3, MIXED, mixed_out))
        progress(f"{MIXED}: status {log[-1].status}, {log[-1].articles} articles in the brief, {log[-1].seconds:.0f} s")

    inputs = corpora(args.data, args.seeds, work / "inputs", 30 if args.quick else None) if args.data.is_dir() else {}
    if only is not None:
        inputs = {k: v for k, v in inputs.items() if k in only}
    elif not inputs:
        inputs = {"fictional": fictional(work / "inputs", 200)}
    if args.quick:  # every slice into one workspace, in two batches
        paths = [p for ps in inputs.values() for p in ps]
        n = sum(sum(1 for _ in p.open(encoding="utf-8")) if p.suffix == ".jsonl" else 1 for p in paths)
        inputs, batch = {"quick": paths}, n // 2 + 1
    else:
        batch = args.batch
    for name, paths in inputs.items():
        times += soak_corpus(name, paths, work, batch, args.per_article, log)
        progress(f"{name}: {log[-1].articles} articles, status {log[-1].status}, {log[-1].seconds:.0f} s for the run")

    figures = summary(log, times, baseline, mode, started)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if figures["crashes"] or figures["hangs"] else 0


if __name__ == "__main__":
    sys.exit(main())
