"""ROUGE of newsweave's 250-word extractive summary on MultiLing 2011 (English), beside baselines.

    .venv/bin/python bench/summaries.py [--quick] [--data ../shared/data/multiling2011_en]

Every system gets the same articles split into the same sentences (newsweave.ingest.to_article) and
every output is cut to 250 words. ROUGE: rouge-score, ROUGE-1 and ROUGE-2 F-measure, Porter stemmer,
no stopword removal, averaged over the 3 human summaries (also cut to 250 words), then over topics.
"newsweave + copies" also gives it the copy relations newsweave.copies finds among the articles (as
`newsweave run` does). Baselines, in the same run: lead (the first sentence of each article in date order,
then the second ones, ...), sumy LexRank and sumy TextRank (sumy 0.13, English stemmer and stop words;
sumy's NLTK sentence splitter needs a download, so sumy is given the same sentences as newsweave).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime
from pathlib import Path

from newsweave.copies import find_copies
from newsweave.eval.summaries import rouge, truncate_words
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc
from newsweave.summarize import summarize

WORDS = 250
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "multiling2011_en"


def load_article(path: Path) -> Article:
    """A MultiLing source text: a title (some prefixed 'YYYY/MM/DD'), a dateline
    ('Saturday, January 8, 2005', sometimes run into the first sentence), then the body."""
    lines = path.read_text(encoding="utf-8").splitlines()
    m = re.match(r"(\d{4})/(\d{2})/(\d{2})\s+(.*)", lines[0])
    title, published = (m.group(4), f"{m.group(1)}-{m.group(2)}-{m.group(3)}") if m else (lines[0], None)
    body = lines[1:]
    while body and not body[0].strip():
        body.pop(0)
    dateline = re.match(r"^\w+day, (\w+ \d{1,2}, \d{4})\s*(.*)", body[0]) if body else None
    if dateline:
        published = published or datetime.strptime(dateline.group(1), "%B %d, %Y").strftime("%Y-%m-%d")
        body[0] = dateline.group(2)
    result = to_article(RawDoc(source=str(path), text="\n".join(body), title=title, published=published,
                               outlet="wikinews"))
    assert isinstance(result, tuple), result
    return result[0]


def topics(data: Path) -> list[tuple[str, list[Article], list[str]]]:
    out = []
    for t in range(10):
        arts = [load_article(p) for p in sorted((data / "SourceTexts").glob(f"M00{t}?.english"))]
        refs = [p.read_text(encoding="utf-8")
                for p in sorted((data / "ModelSummaries").glob(f"M00{t}.?.250"))]
        out.append((f"M00{t}", arts, refs))
    return out


def lead(articles: list[Article]) -> str:
    ordered = sorted(articles, key=lambda a: a.published or "")
    rounds = max(len(a.sentences) for a in ordered)
    sents = [a.sentences[i] for i in range(rounds) for a in ordered if i < len(a.sentences)]
    return truncate_words(" ".join(sents), WORDS)


class _Tokenizer:
    """sumy's tokenizer interface over newsweave's sentences (sumy's own needs NLTK punkt data)."""

    language = "english"

    def to_sentences(self, paragraph: str) -> list[str]:
        return [paragraph]

    def to_words(self, sentence: str) -> list[str]:
        return re.findall(r"\w+(?:['\u2019]\w+)?", sentence)


def sumy_summary(articles: list[Article], algorithm: str) -> str:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    tok = _Tokenizer()
    doc = ObjectDocumentModel([Paragraph([Sentence(s, tok) for s in a.sentences]) for a in articles])
    summarizer = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer}[algorithm](Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    # Ask for enough sentences to pass 250 words; sumy returns them in document order.
    picked = summarizer(doc, 20)
    return truncate_words(" ".join(str(s) for s in picked), WORDS)


def newsweave_summary(articles: list[Article], with_copies: bool = False) -> str:
    # With copies, what newsweave run does: copied sentences are shown in their original's words.
    copies = find_copies(articles) if with_copies else []
    return " ".join(s.text for s in summarize(articles, copies, [], words=WORDS))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--quick", action="store_true", help="first 3 topics only")
    args = ap.parse_args()
    if not (args.data / "SourceTexts").is_dir():
        print(f"no MultiLing data at {args.data}", file=sys.stderr)
        return 2
    data = topics(args.data)[: 3 if args.quick else 10]
    systems = {"newsweave": newsweave_summary, "newsweave + copies": lambda a: newsweave_summary(a, True),
               "lead": lead,
               "sumy LexRank": lambda a: sumy_summary(a, "lexrank"),
               "sumy TextRank": lambda a: sumy_summary(a, "textrank")}
    totals = {name: {"rouge1": 0.0, "rouge2": 0.0, "seconds": 0.0, "words": 0} for name in systems}
    for topic, arts, refs in data:
        row = [topic]
        for name, fn in systems.items():
            t0 = time.perf_counter()
            text = fn(arts)
            totals[name]["seconds"] += time.perf_counter() - t0
            totals[name]["words"] += len(truncate_words(text, WORDS).split())
            r = rouge(text, refs, WORDS)
            for m in ("rouge1", "rouge2"):
                totals[name][m] += r[m]
            row.append(f"{name} R2 {r['rouge2']:.3f}")
        print("  ".join(row), flush=True)
    n = len(data)
    print(f"\n{n} topics x 10 articles, summaries cut to {WORDS} words; ROUGE F (rouge-score, stemmed, "
          f"mean over 3 references)\n")
    print("| system | ROUGE-1 F | ROUGE-2 F | newsweave R2 / system R2 | mean words | seconds/topic |")
    print("|---|---|---|---|---|---|")
    ours = totals["newsweave"]["rouge2"] / n
    for name, t in totals.items():
        r2 = t["rouge2"] / n
        print(f"| {name} | {t['rouge1'] / n:.4f} | {r2:.4f} | {ours / r2:.2f} | {t['words'] / n:.0f} | "
              f"{t['seconds'] / n:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
