"""Benchmark of the copies stage on generated news with known copies, beside a plain MinHashLSH baseline.

    .venv/bin/python bench/copies.py            # 100,000 articles
    .venv/bin/python bench/copies.py --quick    # 10,000 articles
    .venv/bin/python bench/copies.py --n 30000

The corpus is synthesised here: events (people, organisations, places, amounts, quotes) are written up
independently by several "writers" (each picks its own sentence frames, synonyms and background), so
that articles of one event share names, numbers and direct quotes without being copies (the hard
negatives). Then copies of known kinds are made from base articles: exact, near-verbatim (other
boilerplate, a few edits, a dropped sentence), partial (a block of paragraphs under the copier's own
text, sometimes stitched from two wires), rewrite (synonym spinning, or round-trip-translation style
rewording). Translations are not generated (no synthetic second language); the fixture tests cover them.

Figures: precision per predicted kind, recall per true kind, articles/second, peak memory (ru_maxrss of
the process, generation included), and the same for a datasketch-only baseline: MinHash of word
5-shingles of the whole text, MinHashLSH at Jaccard 0.5, every hit taken as a copy.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from datasketch import MinHash, MinHashLSH  # noqa: E402

from newsweave import copies as stage  # noqa: E402
from newsweave.model import Article  # noqa: E402

# -- a small grammar of news sentences -------------------------------------------------------------
# Synonym sets: writers pick one member; a spinner swaps members. Multi-word members are fine.
SYN = [
    ["said", "stated", "declared", "noted"], ["announced", "unveiled", "revealed", "disclosed"],
    ["suspended", "halted", "paused", "froze"], ["approved", "backed", "endorsed", "cleared"],
    ["rejected", "dismissed", "turned down", "refused"], ["plan", "proposal", "scheme", "project"],
    ["warned", "cautioned", "alerted"], ["officials", "authorities", "administrators"],
    ["company", "firm", "business", "group"], ["meeting", "talks", "session", "summit"],
    ["large", "big", "major", "sizeable"], ["new", "fresh", "novel"], ["investigation", "inquiry", "probe"],
    ["increase", "rise", "jump", "surge"], ["decline", "fall", "drop", "slump"],
    ["residents", "locals", "inhabitants", "citizens"], ["workers", "employees", "staff"],
    ["report", "study", "review", "assessment"], ["began", "started", "commenced"],
    ["expected", "anticipated", "forecast"], ["criticised", "condemned", "attacked", "faulted"],
    ["money", "funds", "financing", "cash"], ["building", "construction", "development"],
    ["quickly", "rapidly", "swiftly"], ["important", "crucial", "vital", "key"],
    ["chief", "head", "director", "leader"], ["town", "city", "municipality"],
    ["damage", "harm", "destruction"], ["agreement", "deal", "accord", "pact"],
    ["contract", "tender", "award"], ["river", "stream", "waterway"], ["harbour", "port", "dock"],
    ["problem", "issue", "difficulty"], ["help", "aid", "support", "assistance"],
    ["said on", "stated on", "declared on"], ["week", "seven days"], ["because of", "due to", "owing to"],
]
SYN_OF = {w: group for group in SYN for w in group}
NOUNS = ["bridge", "railway", "hospital", "school", "airport", "tunnel", "reservoir", "stadium", "factory",
         "power station", "wind farm", "ferry line", "museum", "library", "market", "highway", "canal",
         "refinery", "mine", "water plant", "housing estate", "tram line", "data centre", "shipyard", "dam",
         "clinic", "prison", "university", "pipeline", "landfill"]
ROLES = ["mayor", "minister", "spokesperson", "chairman", "chief executive", "inspector", "governor",
         "councillor", "prosecutor", "union leader", "director", "auditor"]
ORG_KINDS = ["Council", "Ministry of Works", "Transport Agency", "Water Board", "Chamber of Commerce",
             "Health Authority", "Port Authority", "Energy Company", "Planning Office", "Police"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ONSETS = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "dr",
          "gr", "kr", "st", "tr", "sh", "ch", "th"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ei", "ou", "ar", "en", "ol"]
BOILER = ["Subscribe to our newsletter for the latest regional news.",
          "Follow us on social media for updates.",
          "This article was automatically republished from a partner feed.",
          "Copyright of the respective owners. All rights reserved.",
          "Read more stories in our local section."]


def name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(parts)).capitalize()


def pick(rng: random.Random, word: str) -> str:
    return rng.choice(SYN_OF[word])


@dataclass
class Event:
    person: str
    person2: str
    role: str
    role2: str
    org: str
    place: str
    noun: str
    noun2: str
    amount: str
    day: str
    count: int
    quotes: list[str]


def make_event(rng: random.Random) -> Event:
    place = name(rng, rng.choice([2, 3]))
    quotes = [quote(rng, rng.choice(NOUNS)) for _ in range(2)]
    return Event(f"{name(rng)} {name(rng, 3)}", f"{name(rng)} {name(rng, 2)}", rng.choice(ROLES),
                 rng.choice(ROLES), f"the {place} {rng.choice(ORG_KINDS)}", place, rng.choice(NOUNS),
                 rng.choice(NOUNS), f"{rng.randint(2, 950)} million euros", rng.choice(DAYS),
                 rng.randint(3, 900), quotes)


def quote(rng: random.Random, noun: str) -> str:
    frames = ["We will not accept any further delay on the {n}, and everyone here knows why",
              "This {n} was promised to the people of this region years ago and we intend to deliver it",
              "Nobody told us the real cost of the {n} until the very last moment",
              "We have done everything the law asks of us and we will keep doing so",
              "The numbers simply do not add up, whatever the ministry says about the {n}",
              "I have never seen anything like this in thirty years of public service"]
    return rng.choice(frames).format(n=noun)


def event_sentences(rng: random.Random, e: Event, writer: int) -> list[list[str]]:
    """Writer number `writer`'s account of an event: its own sentence frames (no two writers of one event
    share a frame, as real reporters do not) and its own word choices and background."""

    def frame(options: list[str]) -> str:
        return options[writer % len(options)]

    w = lambda x: pick(rng, x)  # noqa: E731 - a writer's word choice
    actor = frame([f"{e.person}, the {e.role} of {e.org},", f"{e.role.capitalize()} {e.person}",
                        f"{e.org[4:]} {w('chief')} {e.person}"])
    lead = frame([
        f"{actor} {w('suspended')} the {w('building')} of the {e.noun} in {e.place} on {e.day} after "
        f"{e.count} {w('residents')} signed a petition against it.",
        f"On {e.day}, work on the {e.noun} in {e.place} was {w('suspended')} by {e.org}, which cited "
        f"{e.count} complaints from {w('residents')}.",
        f"The {w('building')} of a {w('large')} {e.noun} in {e.place} has been {w('suspended')}, "
        f"{e.org} {w('said')} on {e.day}, {w('because of')} a petition with {e.count} signatures.",
    ])
    money = frame([
        f"The {e.noun} was {w('expected')} to cost {e.amount} and to open within three years.",
        f"Budgeted at {e.amount}, the {e.place} {e.noun} had been {w('expected')} to open by the end of the decade.",
        f"A {w('contract')} worth {e.amount} for the {e.noun} was signed last year.",
    ])
    critic = frame([
        f"{e.role2.capitalize()} {e.person2} {w('criticised')} the decision and {w('warned')} of "
        f"{w('large')} "
        f"costs for the {w('town')}.",
        f"The decision was {w('criticised')} by {e.person2}, the local {e.role2}, who {w('said')} the "
        f"{w('town')} would pay for the delay.",
        f"Not everyone agrees: {e.person2} {w('warned')} that the pause puts {w('money')} for the "
        f"{e.noun2} at risk too.",
    ])
    q1 = frame([f'"{e.quotes[0]}," {e.person} {w("said")}.',
                     f'"{e.quotes[0]}," {e.person} told reporters.'])
    q2 = frame([f'"{e.quotes[1]}," {e.person2} {w("said")}.', f'"{e.quotes[1]}," {e.person2} added.'])
    next_step = frame([
        f"A {w('new')} {w('report')} on the {e.noun} is {w('expected')} within a {w('week')}.",
        f"An independent {w('investigation')} into the {e.place} {e.noun} is {w('expected')} to start next {e.day}.",
        f"The {w('meeting')} to decide the future of the {e.noun} will take place next month.",
    ])
    paragraphs = [[lead], [money, q1], [critic, q2], [next_step]]
    for _ in range(rng.randint(2, 4)):  # the writer's own background
        own = [background(rng) for _ in range(rng.randint(1, 2))]
        paragraphs.insert(rng.randint(1, len(paragraphs)), own)
    return paragraphs


def background(rng: random.Random) -> str:
    w = lambda x: pick(rng, x)  # noqa: E731
    org = f"the {name(rng, 2)} {rng.choice(ORG_KINDS)}"
    noun = rng.choice(NOUNS)
    return rng.choice([
        f"In {rng.randint(1990, 2023)}, {org} {w('approved')} a {w('plan')} for a {noun} that was "
        "never built.",
        f"{org[4:]} {w('officials')} have {w('rejected')} {rng.randint(2, 40)} similar {w('plan')}s since "
        f"{rng.randint(1990, 2020)}.",
        f"The region saw a {w('increase')} of {rng.randint(2, 60)} percent in {noun} traffic last year, "
        f"according to a {w('report')} by {org}.",
        f"{w('residents')} of {name(rng, 2)} {w('warned')} about the {w('damage')} to the {w('river')} "
        f"near the old {noun}.",
        f"A {w('decline')} in {w('money')} for the {noun} left {rng.randint(5, 500)} {w('workers')} without "
        f"jobs, {org} {w('said')}.",
        f"The {noun} in {name(rng, 3)} {w('began')} operating in {rng.randint(1950, 2020)} after "
        f"{rng.randint(2, 15)} years of {w('building')}.",
    ])


# -- mutations -------------------------------------------------------------------------------------


def spin(rng: random.Random, sentence: str, p: float) -> str:
    out = sentence
    for group in SYN:
        for word in group:
            if f" {word} " in f" {out} " and rng.random() < p:
                other = rng.choice([g for g in group if g != word])
                out = f" {out} ".replace(f" {word} ", f" {other} ", 1)[1:-1]
                break
    return out


def round_trip(rng: random.Random, sentence: str) -> str:
    """Round-trip machine translation style: synonyms, moved time phrase, articles dropped or added."""
    s = spin(rng, sentence, 0.5)
    for day in DAYS:
        if f" on {day}" in s and rng.random() < 0.7:
            s = f"On {day}, " + s.replace(f" on {day}", "", 1)[0].lower() + s.replace(f" on {day}", "", 1)[1:]
            break
    s = s.replace(" the ", " the " if rng.random() < 0.6 else " ", 1)
    return s.replace(" which ", " that ").replace(" has been ", " was ").replace(" was ", " has been ", 1)


@dataclass
class Corpus:
    paragraphs: list[list[list[str]]] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    truth: list[tuple[int, int, str]] = field(default_factory=list)  # (copier, original, kind)


def generate(n: int, seed: int = 1) -> Corpus:
    rng = random.Random(seed)
    c = Corpus()
    plan = {"exact": 0.03, "near-verbatim": 0.03, "partial": 0.03, "rewrite-spun": 0.005, "rewrite-mt": 0.005}
    n_copies = {k: int(n * v) for k, v in plan.items()}
    n_base = n - sum(n_copies.values())

    def add(paras: list[list[str]], day: int) -> int:
        c.paragraphs.append([list(p) for p in paras if p])
        c.dates.append(f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}")
        return len(c.paragraphs) - 1

    day_of: list[int] = []
    while len(c.paragraphs) < n_base:
        e = make_event(rng)
        day = rng.randint(0, 300)
        for writer in range(min(rng.choice([1, 1, 2, 2, 3]), n_base - len(c.paragraphs))):
            add(event_sentences(rng, e, writer), day)
            day_of.append(day)
    for kind, count in n_copies.items():
        for _ in range(count):
            o = rng.randrange(n_base)
            src = c.paragraphs[o]
            later = day_of[o] + rng.randint(1, 3)
            if kind == "exact":
                new = src
            elif kind == "near-verbatim":
                new = [[spin(rng, s, 0.1) for s in p] for p in src]
                if rng.random() < 0.5 and len(new) > 3:
                    new.pop(rng.randrange(1, len(new)))
                new = [[rng.choice(BOILER)]] + new + [[rng.choice(BOILER)]]
            elif kind == "partial":
                k = max(2, int(len(src) * rng.uniform(0.35, 0.6)))
                own = [[background(rng) for _ in range(2)]]
                new = own + src[:k] + [[background(rng)]]
                if rng.random() < 0.2:  # a roundup stitching a second wire
                    o2 = rng.randrange(n_base)
                    new += c.paragraphs[o2][:3]
                    c.truth.append((len(c.paragraphs), o2, kind))
                    later = max(later, day_of[o2] + 1)
            elif kind == "rewrite-spun":
                new = [[spin(rng, s, 0.8) for s in p] for p in src]
            else:
                new = [[round_trip(rng, s) for s in p] for p in src]
            c.truth.append((len(c.paragraphs), o, kind.split("-")[0] if kind.startswith("rewrite") else kind))
            add(new, later)
    return c


def to_articles(c: Corpus) -> list[Article]:
    out = []
    for i, (paras, date) in enumerate(zip(c.paragraphs, c.dates, strict=True)):
        sentences = [s for p in paras for s in p]
        para_of = [k for k, p in enumerate(paras) for _ in p]
        out.append(Article(id=f"a{i}", source=f"gen/{i}", text="\n\n".join(" ".join(p) for p in paras),
                           sentences=sentences, outlet=f"outlet{i % 997}", published=date,
                           paragraph_of=para_of))
    return out


# -- scoring ---------------------------------------------------------------------------------------


def score(pairs: dict[tuple[int, int], str],
          c: Corpus) -> tuple[dict[str, tuple[int, int]], dict[str, float]]:
    """Precision per predicted kind (right when the two share an original) and recall per true kind."""
    originals: dict[int, set[int]] = defaultdict(set)
    for copier, original, _ in c.truth:
        originals[copier].add(original)

    def related(a: int, b: int) -> bool:
        return bool(({a} | originals[a]) & ({b} | originals[b]))

    precision: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (a, b), kind in pairs.items():
        precision[kind][0] += related(a, b)
        precision[kind][1] += 1
    recall: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for copier, original, kind in c.truth:
        key = (min(copier, original), max(copier, original))
        recall[kind][0] += key in pairs
        recall[kind][1] += 1
    return ({k: (v[0], v[1]) for k, v in precision.items()},
            {k: v[0] / v[1] for k, v in recall.items()})


def baseline(articles: list[Article]) -> dict[tuple[int, int], str]:
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    found: dict[tuple[int, int], str] = {}
    for i, a in enumerate(articles):
        words = a.text.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(words[k: k + 5]).encode() for k in range(max(1, len(words) - 4))])
        for j in lsh.query(m):
            found[(j, i)] = "near-duplicate"
        lsh.insert(i, m)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="articles to generate (default 100,000)")
    ap.add_argument("--quick", action="store_true", help="10,000 articles")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = 10_000 if args.quick else args.n

    t = time.perf_counter()
    corpus = generate(n, args.seed)
    articles = to_articles(corpus)
    print(f"generated {len(articles):,} articles ({sum(len(a.sentences) for a in articles):,} sentences), "
          f"{len(corpus.truth):,} true copy pairs {dict(Counter(k for *_, k in corpus.truth))} "
          f"in {time.perf_counter() - t:.1f}s")
    index = {a.id: i for i, a in enumerate(articles)}

    t = time.perf_counter()
    base = baseline(articles)
    t_base = time.perf_counter() - t

    from newsweave import embed
    model = embed.english()
    calls = Counter()
    original_encode = model.encode

    def counting_encode(texts: list[str], **kw: object):  # noqa: ANN202
        calls["sentences"] += len(texts)
        return original_encode(texts, **kw)

    model.encode = counting_encode  # type: ignore[method-assign]
    t = time.perf_counter()
    rels = stage.find_copies(articles)
    t_ours = time.perf_counter() - t
    ours = {}
    direction_ok = 0
    truth_dir = {(cp, o) for cp, o, _ in corpus.truth}
    for r in rels:
        a, b = index[r.article], index[r.of]
        ours[(min(a, b), max(a, b))] = r.kind
        direction_ok += (a, b) in truth_dir
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024

    runs = (("newsweave copies", ours, t_ours), ("baseline MinHashLSH(0.5)", base, t_base))
    for label, pairs, secs in runs:
        prec, rec = score(pairs, corpus)
        print(f"\n{label}: {secs:.1f}s, {len(articles) / secs:,.0f} articles/s, {len(pairs):,} pairs")
        for kind, (good, total) in sorted(prec.items()):
            print(f"  precision {kind:15s} {good / total:.3f}  ({good}/{total})")
        for kind, value in sorted(rec.items()):
            print(f"  recall    {kind:15s} {value:.3f}")
    found_true = sum(1 for cp, o, _ in corpus.truth if (min(cp, o), max(cp, o)) in ours)
    print(f"\ndirection right on {direction_ok}/{found_true} found true pairs")
    print(f"sentences embedded: {calls['sentences']:,} (of {sum(len(a.sentences) for a in articles):,})")
    print(f"speed ratio newsweave/baseline: {t_base / t_ours:.2f}x (time ratio {t_ours / t_base:.2f})")
    print(f"peak memory (process, generation included): {rss_gb:.2f} GB")


if __name__ == "__main__":
    main()
