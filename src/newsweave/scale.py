"""Scale-out on Dask (dask.distributed): per-story analysis as tasks; the workspace stays the single writer.

Each story's analysis is a pure function of its articles, their copy relations and the options
(`pipeline.analyse_story`), so it runs on any worker: the worker process loads its own models once and
keeps its own per-process caches. The driver (the `newsweave run` process) submits one task per story,
largest first so the long ones do not finish last, and stores each result as it arrives; the brief is
assembled in story order, so it is the same with and without Dask.

Without a cluster, the same tasks run in two processes forked from the driver (`analyse_forked`), which
inherit its loaded models and the parses of their stories' sentences.

Sentence vectors travel with the tasks: the driver sends the stored vectors of a story's sentences, and the
task sends back the ones it had to compute, which the driver stores, so a worker never embeds a sentence the
workspace already has, and the next run does not embed again what a worker did.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from . import embed
from .model import Article, CopyRelation, Story

if TYPE_CHECKING:
    from distributed import Client

    from .pipeline import Analysis, Job, Options
    from .workspace import Workspace


def may_fork() -> bool:
    """Whether this process may fork helpers: two cores or more, no other Python thread (a child would inherit
    any lock such a thread holds: the web app's server, a deadline's timer), and not itself a daemon (a Dask
    worker's process, whose children it could not wait for)."""
    import multiprocessing
    import threading

    return (os.cpu_count() or 1) >= 2 and threading.active_count() == 1 \
        and not multiprocessing.current_process().daemon


@contextmanager
def client_for(scheduler: str | None, workers: int) -> Iterator[Client]:
    """A client of the cluster at `scheduler`, or of a local cluster of `workers` processes."""
    import logging

    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # A worker restarted or a port taken is Dask's business; the user sees newsweave's progress, not its logs.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    # One thread per worker process: spaCy and onnxruntime are not helped by threads sharing the GIL, and
    # onnxruntime is told to use one thread per process so that N workers use N cores.
    # No dashboard, so no one reads the workers' statistical profile: sampling every task's stack every 10 ms
    # is then pure cost (the config is handed to the worker processes as they start).
    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                         host="127.0.0.1") as cluster, Client(cluster) as client:
        yield client


class _Carried:
    """The vector store of a task: the vectors the driver sent, and those the task computed."""

    def __init__(self, known: dict[str, np.ndarray]) -> None:
        self.known = known
        self.fresh: dict[str, np.ndarray] = {}

    def vectors(self, keys: list[str], model: str) -> dict[str, np.ndarray]:
        return {k: self.known[k].astype(np.float32) for k in keys if k in self.known}

    def put_vectors(self, items: dict[str, Any], model: str) -> None:
        self.fresh.update({k: np.asarray(v, dtype=np.float16) for k, v in items.items()})


def _one_core() -> None:
    """Keep a worker process on one core: onnxruntime's own threads, and the tokenizer's (HF tokenizers
    encodes a batch on every core through Rayon unless told not to; two workers doing so on two cores
    fight). Dask's nanny already does the same for BLAS and OpenMP."""
    os.environ.setdefault("NEWSWEAVE_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _analyse(story: Story, articles: list[Article], copies: list[CopyRelation], options: Options,
             known: dict[str, np.ndarray]) -> tuple[Analysis, dict[str, np.ndarray]]:
    _one_core()
    from .pipeline import analyse_story

    model = embed.english()
    carried = _Carried(known)
    model.store = carried
    try:
        return analyse_story(story, articles, copies, options), carried.fresh
    finally:
        model.store = None


_STAGES = 6  # stages of a story's analysis, each with its own deadline
_INHERITED: list[Any] = []  # in a forked process, the models it inherited


def _forked() -> None:
    """A forked analysis process starts on one core with models of its own making: the parent's onnxruntime
    session relies on a thread pool that did not survive the fork, and the parent's run stores hold its SQLite
    connection, which this process must not use (the vectors it needs travel with its tasks, as on Dask; the
    parses of its stories' sentences it inherited, made just before the fork)."""
    from . import nlp

    _one_core()
    # Kept, never freed: freeing the parent's session here waits forever on its pool's threads.
    _INHERITED.extend(f() for f in (embed.english, embed.multilingual) if f.cache_info().currsize)
    embed.english.cache_clear()
    embed.multilingual.cache_clear()
    embed.forget_stores()
    nlp.forget_stores()


def analyse_forked(jobs: list[Job], options: Options, workspace: Workspace | None = None,
                   ) -> Iterator[tuple[int, Analysis]]:
    """(job index, analysis) for each job, in the order they finish, by two processes forked from this one
    (see `may_fork`): the same tasks as on Dask, without a cluster's start or its models loaded again. The
    stories' sentences must be parsed before the call, so that the processes inherit the parses."""
    if not jobs:
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures import TimeoutError as FuturesTimeout
    from concurrent.futures.process import BrokenProcessPool

    from .pipeline import analyse_story

    order = sorted(range(len(jobs)), key=lambda k: -sum(len(a.sentences) for a in jobs[k][1]))
    # The biggest story first, here: it loads what an analysis loads on first use (scikit-learn's clustering,
    # the name lists, the stemmer, dateparser's locales: ~4 s), once, and both processes inherit it.
    yield order[0], analyse_story(*jobs[order[0]], options)
    order = order[1:]
    if not may_fork():  # a thread started meanwhile (by whoever consumes these results)
        for k in order:
            yield k, analyse_story(*jobs[k], options)
        return
    tasks = [(*jobs[k], options, _known_vectors(workspace, jobs[k][1])) for k in order]
    left = set(range(len(tasks)))
    # Each stage of a story has its deadline: results later than all of them mean a helper is stuck.
    limit = sum(_STAGES * (options.stage_seconds + options.sentence_seconds * sum(len(a.sentences) for a in t[1]))
                for t in tasks)
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"), initializer=_forked)
    stuck = False
    try:
        futures = {pool.submit(_analyse, *task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures, timeout=limit):
            analysis, fresh = future.result()
            left.discard(futures[future])
            if fresh and workspace is not None:
                workspace.put_vectors(fresh, embed.MiniLM.name)
            yield order[futures[future]], analysis
    except BrokenProcessPool:  # a helper died (killed, out of memory): its stories are analysed here
        pass
    except FuturesTimeout:
        stuck = True
    finally:
        if stuck:  # the executor has no public way to stop a worker that never returns
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=not stuck, cancel_futures=True)
    for i in sorted(left):
        yield order[i], analyse_story(*jobs[order[i]], options)


def _known_vectors(workspace: Workspace | None, articles: list[Article]) -> dict[str, np.ndarray]:
    """The stored vectors of the articles' sentences (float16, as stored)."""
    if workspace is None:
        return {}
    keys = list(dict.fromkeys(embed.text_key(s) for a in articles for s in a.sentences))
    found = workspace.vectors(keys, embed.MiniLM.name)
    return {k: v.astype(np.float16) for k, v in found.items()}


def _load_models() -> None:
    """Load a worker's models (spaCy, MiniLM's session) before its first task, all workers at once."""
    _one_core()
    from . import nlp

    nlp.english()
    embed.english().encode(["warm"])


def ready(client: Client) -> None:
    """Every worker of `client` with its models loaded."""
    client.run(_load_models)


def analyse_stories(jobs: list[Job], options: Options, client: Client,
                    workspace: Workspace | None = None) -> Iterator[tuple[int, Analysis]]:
    """(job index, analysis) for each (story, articles, copy relations touching them) job, in the order they
    finish, on the workers of `client`. Vectors the tasks computed go into `workspace`."""
    from distributed import as_completed

    if not jobs:
        return
    order = sorted(range(len(jobs)), key=lambda k: -sum(len(a.sentences) for a in jobs[k][1]))
    futures = {}
    for k in order:
        story, articles, relations = jobs[k]
        known = _known_vectors(workspace, articles)
        futures[client.submit(_analyse, story, articles, relations, options, known, pure=False)] = k
    for future in as_completed(futures):
        analysis, fresh = future.result()
        if fresh and workspace is not None:
            workspace.put_vectors(fresh, embed.MiniLM.name)
        yield futures[future], analysis
