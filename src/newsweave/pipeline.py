"""The pipeline: workspace articles -> copies -> stories -> per-story analysis -> Brief.

Each stage is a plain function over the data model; this module only wires them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from . import copies as copies_stage
from . import stories as stories_stage
from .model import Article, Brief, CopyRelation, Story, StoryBrief
from .workspace import Workspace


@dataclass
class Options:
    """Everything a run can be told; the CLI's flags map one to one onto these fields."""

    sentences: int = 5
    words: int | None = None
    writer: str = "extractive"
    llm_url: str | None = None


def analyse_story(story: Story, articles: list[Article], copies: list[CopyRelation], options: Options) -> StoryBrief:
    """Everything the brief says about one story."""
    story.independent_sources = copies_stage.independent_sources(story.articles, copies)
    return StoryBrief(story=story)


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
    copies = copies_stage.find_copies(articles)
    step("stories", 0, 1)
    stories = stories_stage.group_stories(articles)
    by_id = {a.id: a for a in articles}
    briefs = []
    for i, story in enumerate(stories):
        step("analysis", i, len(stories))
        briefs.append(analyse_story(story, [by_id[a] for a in story.articles], copies, options))
    step("analysis", len(stories), len(stories))
    return Brief(articles=articles, copies=copies, stories=briefs,
                 generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
