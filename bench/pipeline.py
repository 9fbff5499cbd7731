"""End-to-end speed of `newsweave run`: fresh, no change, incremental, one big story, and Dask.

    .venv/bin/python bench/pipeline.py ecb              # ECB+ 982 articles, fresh workspace, stage seconds
    .venv/bin/python bench/pipeline.py aeb              # the 181 AEB web pages (HTML, many languages)
    .venv/bin/python bench/pipeline.py incremental      # +100 articles into a 10,000-article workspace
    .venv/bin/python bench/pipeline.py big              # one story of 5,000 articles
    .venv/bin/python bench/pipeline.py dask             # story analysis on 1 vs 2 local Dask workers
    .venv/bin/python bench/pipeline.py helpers --n 300  # parsing, ingest and analysis with forked helpers or not
    .venv/bin/python bench/pipeline.py floor            # the least work a brief needs, against the 20/s and 5/s goals

Baselines named in the output, run in the same command: for a fresh run, the same pipeline with the
stored analyses ignored is the run itself, so the figure is articles/s against the issue's 4.6/s
measurement; for Dask, one worker against two on the same stories. Data: ../shared/data (skips when absent).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from newsweave import api, pipeline
from newsweave.model import Story
from newsweave.pipeline import Options

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def ecb_records(times: int = 1) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / "ecbplus" / "articles.jsonl").open()]
    out = []
    for k in range(times):
        for r in rows:
            # Repetition with new ids: another outlet for each round, so each round is a new article.
            out.append({"text": r["text"], "title": r.get("title"), "url": r.get("url"),
                        "source": f"round{k}" if k else None, "published": r.get("published")})
    return out


def timed_run(ws: api.Workspace, options: Options | None = None,
              out: Path | None = None) -> tuple[float, dict[str, float], object]:
    """Seconds of a pipeline run and the seconds of each of its steps, the brief written into `out` (as a
    user's `newsweave run -o out` does run after run) or into a new folder."""
    marks: dict[str, float] = defaultdict(float)
    last = [time.perf_counter(), ""]

    def on_step(name: str, _done: int, _total: int) -> None:
        now = time.perf_counter()
        if last[1]:
            marks[last[1]] += now - last[0]
        last[0], last[1] = now, name

    start = time.perf_counter()
    brief = api.run(ws, options, on_step=on_step)
    end = time.perf_counter()
    marks[last[1]] += end - last[0]
    t0 = time.perf_counter()
    if out is not None:
        api.write_brief(brief, out)
    else:
        with tempfile.TemporaryDirectory() as fresh_out:
            api.write_brief(brief, fresh_out)
    marks["write brief"] = time.perf_counter() - t0
    return end - start + marks["write brief"], dict(marks), brief


def fresh(name: str, records: list[dict] | None = None, paths: list[str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = api.open_workspace(tmp)
        t0 = time.perf_counter()
        report = api.ingest(ws, paths or [], records or [])
        ingest_s = time.perf_counter() - t0
        n = len(report.added) + len(report.existing)
        out = Path(tmp) / "brief"
        run_s, marks, _ = timed_run(ws, out=out)
        total = ingest_s + run_s
        print(f"{name}: {n} articles, fresh workspace: {total:.1f} s = {n / total:.2f} articles/s "
              f"(issue #13 measured 4.6/s on ECB+, 0.27/s on AEB: "
              f"ratio {n / total / (4.6 if name == 'ECB+' else 0.27):.2f}x)")
        print(f"  ingest {ingest_s:.1f} s; " + "; ".join(f"{k} {v:.1f} s" for k, v in marks.items()))
        again, marks, _ = timed_run(ws, out=out)
        print(f"  no-change run: {again:.2f} s (" + "; ".join(f"{k} {v:.2f} s" for k, v in marks.items()) + ")")
        print(f"  peak RSS {peak_gb():.2f} GB")


_COLD = """
import sys, time
from pathlib import Path
from newsweave import api
sys.path.insert(0, {bench!r})
from pipeline import ecb_records, timed_run
records = ecb_records({rounds})[{base}:{end}]
t0 = time.perf_counter()
ws = api.open_workspace({ws!r})
api.ingest(ws, [], records)
ingest_s = time.perf_counter() - t0
run_s, marks, _ = timed_run(ws, out=Path({out!r}))
print(f"{{ingest_s + run_s:.2f}} s to a new brief (ingest {{ingest_s:.2f}} s; "
      + "; ".join(f"{{k}} {{v:.2f}} s" for k, v in marks.items()) + ")")
"""


def _in_new_process(rounds: int, base: int, end: int, tmp: str, name: str) -> str:
    """Records base..end added to the workspace `tmp`/`name` and a run, in a new Python process."""
    import subprocess

    brief = "cold-brief" if name == "cold" else "brief"
    script = _COLD.format(bench=str(Path(__file__).parent), rounds=rounds, base=base, end=end,
                          ws=str(Path(tmp) / name), out=str(Path(tmp) / brief))
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return f"{done.stdout.strip()}; {time.perf_counter() - t0:.1f} s with the interpreter's start and imports"


def _wall(command: list[str]) -> float:
    """Seconds a command takes from start to exit, as a user at a shell waits for it."""
    import subprocess

    t0 = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - t0


def incremental(base: int, added: int) -> None:
    """A no-change run and +`added` articles on a workspace of `base`: in this process, as `newsweave serve`
    runs them after earlier runs (models loaded, recent parses and vectors in memory), and in a new process,
    as a `newsweave ingest` then `newsweave run` from the shell do (models loaded again, everything else read
    from the workspace)."""
    import shutil

    rounds = -(-(base + added) // 982)
    records = ecb_records(rounds)[: base + added]
    with tempfile.TemporaryDirectory() as tmp:
        ws = api.open_workspace(Path(tmp) / "ws")
        t0 = time.perf_counter()
        api.ingest(ws, [], records[:base])
        out = Path(tmp) / "brief"
        first, _, _ = timed_run(ws, out=out)
        print(f"workspace of {base}: ingest + first run {time.perf_counter() - t0:.0f} s")
        again, marks, _ = timed_run(ws, out=out)
        print(f"  no-change run, same process: {again:.2f} s ("
              + "; ".join(f"{k} {v:.2f} s" for k, v in marks.items()) + ")")
        ws.close()
        print(f"  no-change run, new process (as `newsweave run`): {_in_new_process(rounds, base, base, tmp, 'ws')}")
        for name in ("cold", "cli"):
            shutil.copytree(Path(tmp) / "ws", Path(tmp) / name)
            shutil.copytree(out, Path(tmp) / f"{name}-brief")
        ws = api.open_workspace(Path(tmp) / "ws")
        t0 = time.perf_counter()
        api.ingest(ws, [], records[base:])
        ingest_s = time.perf_counter() - t0
        run_s, marks, _ = timed_run(ws, out=out)
        print(f"  +{added} articles, same process (as `serve`): {ingest_s + run_s:.1f} s to a new brief (ingest "
              f"{ingest_s:.1f} s; " + "; ".join(f"{k} {v:.1f} s" for k, v in marks.items())
              + f"); against the first run {first:.0f} s")
        print(f"  +{added} articles, new process (as `newsweave ingest` + `run`): "
              f"{_in_new_process(rounds, base, base + added, tmp, 'cold')}")
        added_file = Path(tmp) / "added.jsonl"
        added_file.write_text("".join(json.dumps(r) + "\n" for r in records[base:]))
        cli = [sys.executable, "-m", "newsweave.cli", "run", "-w", str(Path(tmp) / "cli"), "-o",
               str(Path(tmp) / "cli-brief"), "--quiet"]
        print(f"  +{added} articles with the CLI (`newsweave run added.jsonl`, wall clock from the shell): "
              f"{_wall([*cli, str(added_file)]):.1f} s; then nothing new (`newsweave run`): {_wall(cli):.2f} s")
        print(f"  peak RSS {peak_gb():.2f} GB")


def big(n: int) -> None:
    """One story of `n` articles: ECB+ articles repeated as one story, analysed alone."""
    records = ecb_records(-(-n // 982))[:n]
    with tempfile.TemporaryDirectory() as tmp:
        ws = api.open_workspace(tmp)
        api.ingest(ws, [], records, )
        articles = ws.articles()[:n]
        story = Story(id="s-big", articles=[a.id for a in articles], headline="big")
        copies = api.find_copies(ws)
        t0 = time.perf_counter()
        analysis = pipeline.analyse_story(story, articles, copies, Options())
        secs = time.perf_counter() - t0
        b = analysis.brief
        print(f"one story of {len(articles)} articles: analysed in {secs:.1f} s, peak RSS {peak_gb():.2f} GB "
              f"(issue goal: <= 120 s, <= 4 GB); {len(b.summary)} summary sentences, {len(b.claims)} claims, "
              f"{len(b.quotes)} quotes; skipped: {b.skipped or 'nothing'}")


def dask(n_articles: int) -> None:
    """Story analysis in this process (a fresh run), then the same stories on one Dask worker and on two:
    the cluster's start and its workers' model loading timed apart from the tasks, and each worker's
    analyses compared with this process's."""
    from newsweave import scale
    from newsweave.model import plain

    records = ecb_records()[:n_articles]
    with tempfile.TemporaryDirectory() as tmp:
        ws = api.open_workspace(tmp)
        api.ingest(ws, [], records)
        _, marks, brief = timed_run(ws)
        print(f"  in-process: analysis {marks['analysis']:.1f} s")
        by_id = {a.id: a for a in ws.articles()}
        stories = [b.story for b in brief.stories]
        relations = pipeline._relations_by_story(stories, brief.copies)
        jobs = [(s, [by_id[a] for a in s.articles], r) for s, r in zip(stories, relations, strict=True)]
        expected = [plain(b) for b in brief.stories]
        tasks = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            with scale.client_for(None, workers) as client:
                scale.ready(client)
                up = time.perf_counter() - t0
                t0 = time.perf_counter()
                done = dict(scale.analyse_stories(jobs, Options(), client))
                tasks[workers] = time.perf_counter() - t0
            same = all(plain(done[k].brief) == expected[k] for k in range(len(jobs)))
            print(f"  {workers} Dask worker(s): cluster up with models loaded {up:.1f} s, story analysis "
                  f"{tasks[workers]:.1f} s; every story's analysis the same as in-process: {same}")
        print(f"Dask, {n_articles} ECB+ articles, {len(jobs)} stories: 2 workers are {tasks[1] / tasks[2]:.2f}x "
              f"one worker on the story analysis (issue goal >= 1.8x) and {marks['analysis'] / tasks[2]:.2f}x "
              "the analysis in this process (what `run` does without --workers)")


_HELPERS = """
import hashlib, json, sys, tempfile, time
sys.path.insert(0, {bench!r})
from pipeline import DATA, ecb_records, timed_run
from newsweave import api, pipeline, scale
from newsweave.model import plain
if {alone!r}:
    scale.may_fork = lambda: False
with tempfile.TemporaryDirectory() as tmp:
    ws = api.open_workspace(tmp)
    t0 = time.perf_counter()
    api.ingest(ws, [], ecb_records()[:{n}])
    ingest_s = time.perf_counter() - t0
    run_s, marks, brief = timed_run(ws)
    doc = api.to_dict(brief)
    doc.pop("generated_at")
    digest = lambda x: hashlib.sha256(json.dumps(x, sort_keys=True).encode()).hexdigest()
    print(json.dumps([ingest_s, marks["analysis"], run_s, digest(doc), digest([plain(a) for a in ws.articles()])]))
"""


def helpers(n_articles: int) -> None:
    """The pipeline's helper processes, each against this process alone: parsing 4,000 ECB+ sentences
    (newsweave's two forked processes, spaCy's own n_process=2, one process), then ingest and a fresh run of
    `n_articles` ECB+ articles in a new process with helpers and in one without (`scale.may_fork` off)."""
    import subprocess

    from newsweave import clean, nlp

    rows = [json.loads(line) for line in (DATA / "ecbplus" / "articles.jsonl").open()][:400]
    sentences = list(dict.fromkeys(s for r in rows for s in clean.split_sentences(r["text"].split("\n"), "en")[0]))
    sentences = sentences[:4000]
    model = nlp.english()
    list(model.pipe(sentences[:20]))
    t0 = time.perf_counter()
    list(model.pipe(sentences, batch_size=256))
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    list(model.pipe(sentences, batch_size=256, n_process=2))
    spacy_two = time.perf_counter() - t0
    t0 = time.perf_counter()
    [nlp._loads(b, "en") for b in nlp._parse_forked(sentences, "en", 256)]
    ours = time.perf_counter() - t0
    n = len(sentences)
    print(f"parsing {n} sentences: one process {n / one:.0f}/s; spaCy n_process=2 {n / spacy_two:.0f}/s "
          f"({one / spacy_two:.2f}x); two forked processes {n / ours:.0f}/s ({one / ours:.2f}x one, "
          f"{spacy_two / ours:.2f}x spaCy's)")
    out = {}
    for alone in (True, False):
        script = _HELPERS.format(bench=str(Path(__file__).parent), alone=alone, n=n_articles)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        out[alone] = json.loads(done.stdout.strip().splitlines()[-1])
    (i1, a1, r1, b1, s1), (i2, a2, r2, b2, s2) = out[True], out[False]
    print(f"{n_articles} ECB+ articles, new process each: ingest {i1:.1f} s alone, {i2:.1f} s with helpers "
          f"({i1 / i2:.2f}x; same articles: {s1 == s2}); fresh run {r1:.1f} s alone, {r2:.1f} s with helpers "
          f"({r1 / r2:.2f}x; analysis {a1:.1f} -> {a2:.1f} s; same brief: {b1 == b2})")


_NER_ONLY = ["tagger", "parser", "attribute_ruler", "lemmatizer"]


def _entities_of(sentences: list[str]) -> int:
    from newsweave import nlp

    return sum(len(d.ents) for d in nlp.english().pipe(sentences, batch_size=256, disable=_NER_ONLY))


def floor(name: str, goal: float, records: list[dict] | None = None, paths: list[str] | None = None) -> None:
    """The work no brief can skip, with both cores, against the time a goal of `goal` articles/s allows:
    ingest (text, cleaning, language, sentences; with its helpers), spaCy's entity recogniser alone over every
    distinct English sentence in two forked processes (the people and organisations of a story are read from
    all its sentences; tagger, parser and lemmatiser off), and one MiniLM vector per article (stories compare
    articles by title and lead). The full parse (newsweave's two forked processes) is the baseline."""
    import multiprocessing

    from newsweave import embed, nlp

    with tempfile.TemporaryDirectory() as tmp:
        ws = api.open_workspace(tmp)
        t0 = time.perf_counter()
        api.ingest(ws, paths or [], records or [])
        ingest_s = time.perf_counter() - t0
        articles = list(ws.articles())
        ws.close()
    english = [a for a in articles if a.language == "en"]
    sentences = list(dict.fromkeys(s for a in english for s in a.sentences))
    model = nlp.english()
    list(model.pipe(sentences[:20]))
    half = len(sentences) // 2
    t0 = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_entities_of, [sentences[:half], sentences[half:]])
    ner_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    list(nlp._parse_forked(sentences, "en", 256))
    parse_s = time.perf_counter() - t0
    texts = [" ".join([a.title or "", *a.sentences[:2]]) for a in articles]
    minilm = embed.english()
    minilm._embed(texts[:8])
    t0 = time.perf_counter()
    minilm._embed(texts)
    embed_s = time.perf_counter() - t0
    least = ingest_s + ner_s + embed_s
    budget = len(articles) / goal
    print(f"{name}: {len(articles)} articles ({len(english)} English), {len(sentences)} distinct English sentences")
    print(f"  ingest {ingest_s:.1f} s + entities alone {ner_s:.1f} s ({len(sentences) / ner_s:.0f} sentences/s; "
          f"the full parse {parse_s:.1f} s, {parse_s / ner_s:.2f}x) + one MiniLM vector per article {embed_s:.1f} s "
          f"= {least:.1f} s, at most {len(articles) / least:.1f} articles/s before stories, copies, claims, "
          f"summaries and the brief; the goal of {goal:g}/s allows {budget:.1f} s ({least / budget:.2f}x of it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["ecb", "aeb", "incremental", "big", "dask", "helpers", "floor"])
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--added", type=int, default=100)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit("../shared/data not present: nothing to measure")
    print(f"bench/pipeline.py {args.what}, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    if args.what == "ecb":
        fresh("ECB+", records=ecb_records())
    elif args.what == "aeb":
        fresh("AEB", paths=[str(DATA / "aeb" / "html")])
    elif args.what == "incremental":
        incremental(args.base, args.added)
    elif args.what == "big":
        big(args.n)
    elif args.what == "helpers":
        helpers(min(args.n, 982))
    elif args.what == "floor":
        floor("ECB+", 20, records=ecb_records())
        floor("AEB", 5, paths=[str(DATA / "aeb" / "html")])
    else:
        dask(min(args.n, 982))


if __name__ == "__main__":
    main()
