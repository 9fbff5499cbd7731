"""Extraction quality on the ScrapingHub article-extraction benchmark, and ingest throughput.

    .venv/bin/python bench/extraction.py            # 181 AEB pages + 10,000 HTML and 10,000 text articles
    .venv/bin/python bench/extraction.py --quick    # 60 AEB pages + 1,000 of each

Quality: newsweave's HTML path (`ingest.to_article` on `RawDoc(html=...)`, i.e. trafilatura plus our
cleaning; scored on the article's sentences) against trafilatura's plain default `trafilatura.extract(html)`
on the same pages in this run; metric in `newsweave.eval.extraction` (the benchmark's 4-token shingles).
Throughput: `newsweave.ingest` of generated articles into a fresh workspace, beside baselines in the same
run: trafilatura.extract alone on the same HTML, and one commit per article for the text.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from newsweave.eval.extraction import score
from newsweave.ingest import ingest, to_article
from newsweave.model import RawDoc
from newsweave.workspace import Workspace

AEB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "aeb"

_WORDS = (
    "council bridge river mayor budget vote delay costs residents engineers contract spring winter road "
    "harbour ferry transport minister report officials plan project opposition funding tender design "
    "traffic safety inspection steel concrete crossing town city region county state agency court ruling "
    "appeal protest petition hearing committee chairman spokesperson statement figures survey study data "
    "million thousand percent weeks months years after before during while because although despite"
).split()
_VERBS = "said approved rejected delayed announced confirmed warned argued reported promised".split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 22))]
    words.insert(rng.randint(1, 4), rng.choice(_VERBS))
    return " ".join(words).capitalize() + "."


def _article(rng: random.Random, i: int) -> tuple[str, list[str]]:
    title = f"{rng.choice(_WORDS).capitalize()} {rng.choice(_VERBS)} {rng.choice(_WORDS)} plan {i}"
    paras = [" ".join(_sentence(rng) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(4, 8))]
    return title, paras


def generate(folder: Path, n: int, kind: str, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        title, paras = _article(rng, i)
        if kind == "html":
            body = "".join(f"<p>{p}</p>" for p in paras)
            doc = (
                f"<html><head><title>{title} | Gazette</title><meta name='author' content='Kim Lee'>"
                f"<meta property='article:published_time' content='2024-03-{1 + i % 28:02d}'></head><body>"
                f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>{title}</h1>{body}"
                f"</article><aside>Most Popular</aside><footer>Copyright 2024 Gazette</footer></body></html>"
            )
            path = folder / f"{i:05d}.html"
        else:
            doc = title + "\n\n" + "\n\n".join(paras) + "\n\nShare this article\nLeave a Comment\n"
            path = folder / f"{i:05d}.txt"
        path.write_text(doc, encoding="utf-8")
        paths.append(path)
    return paths


def quality(limit: int | None) -> None:
    if not AEB.is_dir():
        print(f"skipped extraction quality: {AEB} not found")
        return
    gold = json.loads((AEB / "ground-truth.json").read_text())
    keys = sorted(gold)[:limit] if limit else sorted(gold)
    ours: list[tuple[str, str]] = []
    theirs: list[tuple[str, str]] = []
    t_ours = t_theirs = 0.0
    for k in keys:
        html = gzip.decompress((AEB / "html" / f"{k}.html.gz").read_bytes()).decode("utf-8", "replace")
        truth = gold[k].get("articleBody", "")
        t = time.perf_counter()
        theirs.append((truth, trafilatura.extract(html) or ""))
        t_theirs += time.perf_counter() - t
        t = time.perf_counter()
        result = to_article(RawDoc(source=k, html=html, url=gold[k].get("url")))
        t_ours += time.perf_counter() - t
        ours.append((truth, "\n".join(result[0].sentences) if isinstance(result, tuple) else ""))
    a, b = score(ours), score(theirs)
    print(f"AEB extraction, {len(keys)} pages (token 4-shingle precision / recall / F1)")
    print(
        f"  newsweave HTML path        P {a.precision:.3f}  R {a.recall:.3f}  F1 {a.f1:.3f}   "
        f"{len(keys) / t_ours:.1f} pages/s"
    )
    print(
        f"  trafilatura.extract (base) P {b.precision:.3f}  R {b.recall:.3f}  F1 {b.f1:.3f}   "
        f"{len(keys) / t_theirs:.1f} pages/s"
    )
    print(
        f"  ratio newsweave/baseline   P {a.precision / b.precision:.3f}  R {a.recall / b.recall:.3f}  "
        f"F1 {a.f1 / b.f1:.3f}   (published trafilatura 2.0 F1: 0.958)"
    )


def _ingest_rate(folder: Path, ws_dir: Path, **kwargs: int) -> tuple[float, int, float]:
    with Workspace(ws_dir) as ws:
        t = time.perf_counter()
        report = ingest(ws, [folder], **kwargs)
        dt = time.perf_counter() - t
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert not report.errors, report.errors[:3]
        n = ws.count()
    size = sum(f.stat().st_size for f in ws_dir.iterdir()) / 1e6
    return n / dt, n, size


def throughput(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        html = generate(root / "html", n, "html")
        generate(root / "text", n, "text")
        rate, count, size = _ingest_rate(root / "html", root / "ws-html")
        t = time.perf_counter()
        for p in html:
            trafilatura.extract(p.read_text(encoding="utf-8"))
        base = n / (time.perf_counter() - t)
        print(f"ingest {count} generated HTML articles: {rate:.0f} articles/s, workspace {size:.1f} MB")
        print(
            f"  baseline trafilatura.extract alone on the same files: {base:.0f} pages/s "
            f"(ratio {rate / base:.2f})"
        )
        rate, count, size = _ingest_rate(root / "text", root / "ws-text")
        base, _, _ = _ingest_rate(root / "text", root / "ws-text-1", batch_size=1)
        print(f"ingest {count} generated text articles: {rate:.0f} articles/s, workspace {size:.1f} MB")
        print(
            f"  baseline one commit per article (batch_size=1): {base:.0f} articles/s "
            f"(ratio {rate / base:.2f})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="60 AEB pages and 1,000 generated articles of each kind"
    )
    args = parser.parse_args(argv)
    quality(60 if args.quick else None)
    throughput(1000 if args.quick else 10_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
