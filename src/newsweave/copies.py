"""Copies: which articles repeat others, so that a copy does not count as an independent source."""

from __future__ import annotations

from collections.abc import Iterable

from .clean import text_key
from .model import Article, CopyRelation


def find_copies(articles: list[Article]) -> list[CopyRelation]:
    """Copy relations among `articles` (exact wording only, for now)."""
    first: dict[str, Article] = {}
    relations: list[CopyRelation] = []
    for a in sorted(articles, key=lambda a: (a.published or "9999", a.id)):
        key = text_key(a.text)
        if key in first:
            relations.append(CopyRelation(a.id, first[key].id, "exact", 1.0, reason="same wording, published later"))
        else:
            first[key] = a
    return relations


def independent_sources(article_ids: Iterable[str], copies: Iterable[CopyRelation]) -> int:
    """Number of groups of the given articles once articles joined by copy relations count once."""
    ids = list(dict.fromkeys(article_ids))
    parent = {a: a for a in ids}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for rel in copies:
        if rel.article in parent and rel.of in parent:
            parent[root(rel.article)] = root(rel.of)
    return len({root(a) for a in ids})
