"""Scale-out on Dask (dask.distributed): per-story analysis as tasks; the workspace stays the single writer.

Each story's analysis is a pure function of its articles, their copy relations and the options
(`pipeline.analyse_story`), so it runs on any worker: the worker process loads its own models once and
keeps its own per-process caches. The driver (the `newsweave run` process) submits one task per story,
largest first so the long ones do not finish last, and stores each result as it arrives; the brief is
assembled in story order, so it is the same with and without Dask.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .model import Article, CopyRelation, Story

if TYPE_CHECKING:
    from distributed import Client

    from .pipeline import Analysis, Options


@contextmanager
def client_for(options: Options) -> Iterator[Client]:
    """A client of the cluster at `options.scheduler`, or of a local cluster of `options.workers` processes."""
    from distributed import Client, LocalCluster

    if options.scheduler:
        with Client(options.scheduler) as client:
            yield client
        return
    # One thread per worker process: spaCy and onnxruntime are not helped by threads sharing the GIL, and
    # onnxruntime is told to use one thread per process so that N workers use N cores.
    with LocalCluster(n_workers=options.workers or 2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster) as client:
        yield client


def _analyse(story: Story, articles: list[Article], copies: list[CopyRelation], options: Options) -> Analysis:
    import os

    os.environ.setdefault("NEWSWEAVE_THREADS", "1")
    from .pipeline import analyse_story

    return analyse_story(story, articles, copies, options)


def analyse_stories(jobs: list[tuple[Story, list[Article]]], copies: list[CopyRelation],
                    options: Options) -> Iterator[tuple[int, Analysis]]:
    """(job index, analysis) for each (story, articles) job, in the order they finish."""
    from distributed import as_completed

    if not jobs:
        return
    with client_for(options) as client:
        order = sorted(range(len(jobs)), key=lambda k: -sum(len(a.sentences) for a in jobs[k][1]))
        futures = {}
        for k in order:
            story, articles = jobs[k]
            mine = set(story.articles)
            relations = [r for r in copies if r.article in mine or r.of in mine]
            futures[client.submit(_analyse, story, articles, relations, options, pure=False)] = k
        for future in as_completed(futures):
            yield futures[future], future.result()
