"""Disputes on real stories, judged by hand: how often what newsweave shows as a dispute is one.

    .venv/bin/python bench/disputes.py [--sets ecbplus,gvc,polnear,seeds,aeb] [--show] [--judge]

A dispute is right when its statement denies, contradicts or questions *the claim it is listed under*, and its
speaker is who says so (issue 14). Stories, each run through the stages a story's analysis runs (copies,
entities, quotes, claims): ECB+ sub-topics (real multi-article stories; the set the dispute rules were tuned
on), GVC dev incidents and each PolNeAR dev article (checked, not tuned on), the seed story when
../shared/seeds is present, and each English AEB web page alone (real pages with captions and chrome; the
rules of 2026-12-02's second round were written while reading its disputes, so it is not held out either).
Verdicts live in eval/audit/disputes.jsonl, one per (article, dispute sentence,
claim), keyed by hashes of the texts so that no text is stored; a dispute shown that has no verdict yet is
counted apart as unjudged, and `--judge` prints each of those for a reader to decide.

Baseline in the same run: the same stages with the attachment threshold of the previous release
(claims.SIM_DISPUTE = 0.45), i.e. every denial attached to its nearest claim unless that is far off; its
disputes are judged by the same verdicts (the ones without a verdict are counted apart).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

from newsweave import claims as claims_stage
from newsweave.claims import find_claims
from newsweave.copies import find_copies
from newsweave.entities import resolve_entities
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc
from newsweave.quotes import extract_quotes

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = ROOT / "eval" / "audit" / "disputes.jsonl"
DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"


def key(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:12]


def _article(aid: str, text: str, title: str | None = None) -> Article | None:
    result = to_article(RawDoc(source=aid, text=text, title=title, language="en"))
    if isinstance(result, Exception):
        return None
    art = result[0]
    art.id = aid
    return art


def stories(name: str) -> dict[str, list[Article]]:
    """Story id -> its articles, for one set."""
    out: dict[str, list[Article]] = defaultdict(list)
    if name in ("ecbplus", "gvc"):
        path = DATA / ("ecbplus" if name == "ecbplus" else "gvc-dev") / "articles.jsonl"
        for line in path.open(encoding="utf-8"):
            rec = json.loads(line)
            art = _article(rec["id"], rec["text"])
            if art is not None:
                out[rec["subtopic" if name == "ecbplus" else "incident"]].append(art)
    elif name == "polnear":
        for p in sorted((DATA / "polnear" / "dev" / "text").glob("*.txt")):
            title, _, body = p.read_text(encoding="utf-8").partition("\n")
            art = _article(p.name, body, title.strip())
            if art is not None:
                out[p.name].append(art)
    elif name == "aeb":
        for p in sorted((DATA / "aeb" / "html").glob("*.html.gz")):
            html = gzip.decompress(p.read_bytes()).decode("utf-8", errors="replace")
            result = to_article(RawDoc(source=p.name, html=html))
            if not isinstance(result, Exception) and result[0].language == "en":
                result[0].id = p.name.split(".")[0][:16]
                out[result[0].id].append(result[0])
    elif name == "seeds":
        for p in sorted(SEEDS.glob("*.txt")):
            art = _article(p.name, p.read_text(encoding="utf-8"))
            if art is not None:
                out["seeds"].append(art)
    return out


BASELINE_SIM = 0.45


def disputes_of(articles: list[Article]) -> dict[str, list[tuple[str, str, str, str, str]]]:
    """(article, dispute sentence, claim text, speaker, relation) for every dispute the story's brief shows,
    for newsweave and for the baseline threshold."""
    copies = find_copies(articles) if len(articles) > 1 else []
    index = resolve_entities(articles)
    quotes = extract_quotes(articles, index)
    by_id = {a.id: a for a in articles}
    out: dict[str, list[tuple[str, str, str, str, str]]] = {}
    ours = claims_stage.SIM_DISPUTE
    for system, sim in (("newsweave", ours), ("baseline", BASELINE_SIM)):
        claims_stage.SIM_DISPUTE = sim
        try:
            found = find_claims(articles, quotes, index, copies)
        finally:
            claims_stage.SIM_DISPUTE = ours
        out[system] = [(d.article, by_id[d.article].sentences[d.sentence], c.text, d.by_name, d.relation)
                       for c in found for d in c.disputes]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="ecbplus,gvc,polnear,seeds,aeb")
    ap.add_argument("--show", action="store_true", help="print every dispute shown, with its verdict")
    ap.add_argument("--judge", action="store_true", help="print the disputes (ours and the baseline's) that have no "
                    "verdict yet")
    ap.add_argument("--stories", default="", help="only these story ids (comma-separated)")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"no evaluation data at {DATA}", file=sys.stderr)
        return 2
    verdicts = {}
    if VERDICTS.exists():
        for line in VERDICTS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                v = json.loads(line)
                verdicts[(v["article"], v["sentence"], v["claim"])] = v["right"]
    rows = []
    for name in args.sets.split(","):
        if name == "seeds" and not SEEDS.is_dir():
            continue
        for sid, arts in sorted(stories(name).items()):
            if args.stories and sid not in args.stories.split(","):
                continue
            for system, found in disputes_of(arts).items():
                for aid, sentence, claim, by, relation in found:
                    k = (aid, key(sentence), key(claim))
                    right = verdicts.get(k)
                    rows.append((system, name, right))
                    if system == "newsweave" and args.show or args.judge and right is None:
                        mark = {True: "RIGHT", False: "WRONG", None: "UNJUDGED"}[right]
                        print(json.dumps({"system": system, "set": name, "story": sid, "article": aid,
                                          "sentence": k[1], "claim": k[2], "verdict": mark}))
                        print(f"   claim: {claim[:220]}")
                        print(f"   {relation} by {by}: {sentence[:300]}")
    print("\n| system | set | disputes shown | judged | right | precision |")
    print("|---|---|---|---|---|---|")
    for system in ("newsweave", f"baseline (threshold {BASELINE_SIM})"):
        for name in [*args.sets.split(","), "all"]:
            mine = [r for s, n, r in rows if system.startswith(s) and (n == name or name == "all")]
            judged = [r for r in mine if r is not None]
            prec = f"{sum(judged) / len(judged):.3f}" if judged else "—"
            print(f"| {system} | {name} | {len(mine)} | {len(judged)} | {sum(judged)} | {prec} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
