"""Stories: group articles that report the same real-world event."""

from __future__ import annotations

import hashlib

from sklearn.feature_extraction.text import TfidfVectorizer

from .model import Article, Story


def group_stories(articles: list[Article], threshold: float = 0.25) -> list[Story]:
    """Connected components of TF-IDF cosine similarity between title and lead of each article."""
    if not articles:
        return []
    docs = [f"{a.title or ''} {' '.join(a.sentences[:5])}" for a in articles]
    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(docs)
    sims = (matrix @ matrix.T).toarray()
    parent = list(range(len(articles)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(articles)):
        for j in range(i + 1, len(articles)):
            if sims[i, j] >= threshold:
                parent[root(j)] = root(i)
    groups: dict[int, list[Article]] = {}
    for i, a in enumerate(articles):
        groups.setdefault(root(i), []).append(a)
    stories = []
    for members in groups.values():
        ids = sorted(a.id for a in members)
        dates = sorted(a.published for a in members if a.published)
        headline = next((a.title for a in members if a.title), members[0].sentences[0])
        story_id = "s-" + hashlib.sha256(ids[0].encode()).hexdigest()[:10]
        stories.append(Story(story_id, [a.id for a in members], headline,
                             dates[0] if dates else None, dates[-1] if dates else None))
    return sorted(stories, key=lambda s: -len(s.articles))
