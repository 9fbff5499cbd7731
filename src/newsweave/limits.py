"""Bounds on the work one stage may do for one story: a deadline that interrupts a stage, in any thread.

Python cannot stop a computation from outside except by raising in its thread, so a timer thread
raises `StageTimeout` in the working thread (CPython's `PyThreadState_SetAsyncExc`). It is delivered at
the next bytecode, so a stage stuck in one long C call ends when that call returns; every C call the
stages make (a spaCy batch, an ONNX batch, a matrix product) is itself bounded by the size caps.
Signals (`SIGALRM`) would only work in the main thread, not in a Dask worker's.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimeout(Exception):
    """A stage went past its deadline."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise `StageTimeout` inside the block once it has run for `seconds`."""
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _set_async_exc(target, StageTimeout)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
        timer.cancel()
        timer.join()  # gone before the next fork (`scale.may_fork` counts threads)
        if state["fired"]:
            # The exception may still be pending if the block ended just as it fired: clear it, so it cannot
            # surface later in unrelated code, and say so here instead.
            _set_async_exc(target, ctypes.py_object())  # NULL clears
            raise StageTimeout(f"over its {seconds:g} s bound")
