"""The pipeline: workspace articles -> copies -> stories -> per-story analysis -> Brief.

Each stage is a plain function over the data model; this module only wires them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from . import claims as claims_stage
from . import copies as copies_stage
from . import entities as entities_stage
from . import quotes as quotes_stage
from . import stories as stories_stage
from . import summarize as summarize_stage
from . import timeline as timeline_stage
from .model import Article, Brief, CopyRelation, Story, StoryBrief
from .workspace import Workspace


@dataclass
class Options:
    """Everything a run can be told; the CLI's flags map one to one onto these fields."""

    sentences: int = 5
    words: int | None = None
    writer: str = "extractive"
    llm_url: str | None = None
    llm_model: str = "local"


def _flag(article: Article, flag: str) -> Article:
    return article if flag in article.flags else replace(article, flags=[*article.flags, flag])


def analyse_story(
    story: Story, articles: list[Article], copies: list[CopyRelation], options: Options
) -> tuple[StoryBrief, set[str]]:
    """Everything the brief says about one story, and the ids of its articles that garble names."""
    # Every stage below walks the copy relations (several times per claim): only the story's own matter.
    mine = set(story.articles)
    copies = [r for r in copies if r.article in mine or r.of in mine]
    story = replace(story, independent_sources=copies_stage.independent_sources(story.articles, copies))
    index = entities_stage.resolve_entities(articles)
    garbled = index.garbled_articles()
    # The summary prefers clean wording, so it must see the flag the entity stage found.
    articles = [_flag(a, "garbled-names") if a.id in garbled else a for a in articles]
    quotes = quotes_stage.extract_quotes(articles, index)
    claims = claims_stage.find_claims(articles, quotes, index, copies)
    misspelt = index.garbled_sentences()
    summary = summarize_stage.summarize(articles, copies, claims, sentences=options.sentences, words=options.words,
                                        garbled=misspelt)
    if options.writer == "llm" and options.llm_url:
        from . import writer

        summary = writer.rewrite(summary, {a.id: a for a in articles}, options.llm_url, model=options.llm_model)
    return StoryBrief(
        story=story,
        summary=summary,
        key_facts=summarize_stage.key_facts(articles, copies, claims, summary, garbled=misspelt),
        entities=index.entities,
        quotes=quotes,
        claims=claims,
        timeline=timeline_stage.build_timeline(articles, copies),
    ), garbled


def run(
    workspace: Workspace,
    options: Options | None = None,
    on_step: Callable[[str, int, int], None] | None = None,
) -> Brief:
    """Run every stage over the workspace's articles and return the brief."""
    options = options or Options()
    step = on_step or (lambda _name, _done, _total: None)
    articles = workspace.articles()
    step("copies", 0, 1)
    copies = copies_stage.find_copies(articles, workspace)
    step("stories", 0, 1)
    stories = stories_stage.assign_stories(workspace, articles)
    by_id = {a.id: a for a in articles}
    briefs: list[StoryBrief] = []
    garbled: set[str] = set()
    for i, story in enumerate(stories):
        step("analysis", i, len(stories))
        brief, garbled_here = analyse_story(story, [by_id[a] for a in story.articles if a in by_id], copies, options)
        briefs.append(brief)
        garbled |= garbled_here
    step("analysis", len(stories), len(stories))
    # Flags found by later stages are added to copies of the articles, never to the stored ones.
    articles = [_flag(a, "garbled-names") if a.id in garbled else a for a in articles]
    return Brief(articles=articles, copies=copies, stories=briefs,
                 generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
