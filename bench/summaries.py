"""ROUGE of newsweave's extractive summary on MultiLing 2011 (English), weights chosen by 2-fold
cross-validation over topics, beside baselines run in the same command.

    .venv/bin/python bench/summaries.py [--words 250] [--data ../shared/data/multiling2011_en]

Every system gets the same articles split into the same sentences (newsweave.ingest.to_article) and
every output is cut to the word budget. ROUGE: rouge-score, ROUGE-1 and ROUGE-2 F-measure, Porter stemmer,
no stopword removal, averaged over the 3 human summaries (also cut to the budget), then over topics.

Cross-validation: the topics are split into two halves (M000-M004, M005-M009); newsweave's weights
(`summarize.Weights`) are chosen by a grid search for the best mean ROUGE-2 on one half and scored on the
other half, and the reverse; the figure is the mean over the 10 held-out topic scores. Every held-out summary
is checked to be extractive and cited (`faithfulness_problems`). Baselines, on the same topics: lead (the
first sentence of each article in date order, then the second ones, ...), sumy LexRank and sumy TextRank
(sumy 0.13, English stemmer and stop words; sumy's NLTK sentence splitter needs a download, so sumy is given
the same sentences as newsweave), and a centroid baseline (MEAD-style: TF-IDF cosine to the topic centroid,
greedy, skipping sentences closer than 0.7 to one already picked).
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from newsweave.eval.summaries import faithfulness_problems, rouge, truncate_words
from newsweave.ingest import to_article
from newsweave.model import Article, RawDoc
from newsweave.summarize import DEFAULT_WEIGHTS, Weights, summarize

WORDS = 250
# A small grid: the machine this runs on is shared, and every setting costs one summary per topic.
GRID = [Weights(meaning=m, cover=c, words=0.5, position_decay=p, mmr_lambda=0.6, concepts=k)
        for m, c, p, k in itertools.product((0.0, 0.25), (0.25, 0.5), (0.5, 1.0, 2.0), (0.0, 0.25, 0.5))]
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


def lead(articles: list[Article], words: int) -> str:
    ordered = sorted(articles, key=lambda a: a.published or "")
    rounds = max(len(a.sentences) for a in ordered)
    sents = [a.sentences[i] for i in range(rounds) for a in ordered if i < len(a.sentences)]
    return truncate_words(" ".join(sents), words)


def centroid(articles: list[Article], words: int) -> str:
    from sklearn.feature_extraction.text import TfidfVectorizer

    sents = [s for a in articles for s in a.sentences]
    m = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(sents)
    centre = np.asarray(m.mean(0)).ravel()
    score = np.asarray(m @ centre).ravel()
    picked: list[int] = []
    used = 0
    for k in np.argsort(-score):
        if used >= words:
            break
        if picked and float((m[picked] @ m[k].T).toarray().max()) >= 0.7:
            continue
        picked.append(int(k))
        used += len(sents[k].split())
    return truncate_words(" ".join(sents[k] for k in picked), words)


class _Tokenizer:
    """sumy's tokenizer interface over newsweave's sentences (sumy's own needs NLTK punkt data)."""

    language = "english"

    def to_sentences(self, paragraph: str) -> list[str]:
        return [paragraph]

    def to_words(self, sentence: str) -> list[str]:
        return re.findall(r"\w+(?:['\u2019]\w+)?", sentence)


def sumy_summary(articles: list[Article], algorithm: str, words: int) -> str:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    tok = _Tokenizer()
    doc = ObjectDocumentModel([Paragraph([Sentence(s, tok) for s in a.sentences]) for a in articles])
    summarizer = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer}[algorithm](Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    # Ask for enough sentences to pass the budget; sumy returns them in document order.
    picked = summarizer(doc, max(4, words // 12))
    return truncate_words(" ".join(str(s) for s in picked), words)


def newsweave_summary(articles: list[Article], words: int, weights: Weights = DEFAULT_WEIGHTS) -> str:
    summary = summarize(articles, [], [], words=words, weights=weights)
    problems = faithfulness_problems(summary, articles)
    assert not problems, problems  # extractive and cited, whatever the weights
    return " ".join(s.text for s in summary)


def _grid_scores(data: list, words: int) -> np.ndarray:
    """ROUGE-2 of every grid setting (rows) on every topic (columns)."""
    return np.array([[rouge(newsweave_summary(arts, words, w), refs, words)["rouge2"] for _, arts, refs in data]
                     for w in GRID])


def _choose(table: np.ndarray, topics: slice) -> tuple[Weights, float]:
    """The grid's weights with the best mean ROUGE-2 on `topics` (ties: the earlier setting)."""
    means = table[:, topics].mean(1)
    k = int(np.argmax(means))
    return GRID[k], float(means[k])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--words", type=int, default=WORDS, help="word budget of every summary (default 250)")
    args = ap.parse_args()
    if not (args.data / "SourceTexts").is_dir():
        print(f"no MultiLing data at {args.data}", file=sys.stderr)
        return 2
    words = args.words
    data = topics(args.data)
    t0 = time.perf_counter()
    table = _grid_scores(data, words)
    print(f"{len(GRID)} settings x {len(data)} topics in {time.perf_counter() - t0:.0f} s", flush=True)
    halves = [slice(0, 5), slice(5, 10)]
    chosen: dict[str, Weights] = {}
    for k, half in enumerate(halves):
        w, r2 = _choose(table, half)
        for t, _, _ in data[halves[1 - k]]:
            chosen[t] = w
        print(f"fold {k + 1}: chosen on {data[half][0][0]}-{data[half][-1][0]} (R2 {r2:.4f} there): {w}")
    everywhere, r2_all = _choose(table, slice(0, 10))
    print(f"chosen on all 10 topics (the shipped defaults; R2 {r2_all:.4f}, not a held-out figure): {everywhere}")
    systems = {"newsweave (cross-validated)": lambda t, a: newsweave_summary(a, words, chosen[t]),
               "newsweave (shipped defaults, in-sample)": lambda t, a: newsweave_summary(a, words),
               "lead": lambda t, a: lead(a, words),
               "centroid": lambda t, a: centroid(a, words),
               "sumy LexRank": lambda t, a: sumy_summary(a, "lexrank", words),
               "sumy TextRank": lambda t, a: sumy_summary(a, "textrank", words)}
    scores = {name: {"rouge1": [], "rouge2": [], "words": []} for name in systems}
    for topic, arts, refs in data:
        row = [topic]
        for name, fn in systems.items():
            text = fn(topic, arts)
            scores[name]["words"].append(len(truncate_words(text, words).split()))
            r = rouge(text, refs, words)
            for m in ("rouge1", "rouge2"):
                scores[name][m].append(r[m])
            row.append(f"{name.split(' (')[0] if name.startswith('newsweave') else name} R2 {r['rouge2']:.3f}")
        print("  ".join(row), flush=True)
    print(f"\n{len(data)} topics x 10 articles, summaries cut to {words} words; ROUGE F (rouge-score, stemmed, "
          f"mean over 3 references); newsweave (cross-validated) scored only on topics its weights were not "
          f"chosen on\n")
    print("| system | ROUGE-1 F | ROUGE-2 F | cross-validated newsweave R2 / system R2 | fold 1 held-out ratio "
          "| fold 2 held-out ratio | mean words |")
    print("|---|---|---|---|---|---|---|")
    ours = scores["newsweave (cross-validated)"]["rouge2"]
    for name, sc in scores.items():
        r2 = sc["rouge2"]
        folds = [np.mean(ours[5:]) / np.mean(r2[5:]), np.mean(ours[:5]) / np.mean(r2[:5])]
        print(f"| {name} | {np.mean(sc['rouge1']):.4f} | {np.mean(r2):.4f} | {np.mean(ours) / np.mean(r2):.2f} | "
              f"{folds[0]:.2f} | {folds[1]:.2f} | {np.mean(sc['words']):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
