"""The stage's threads: its heavy loops are numpy, pandas and Arrow kernels that release the GIL.

``each`` spreads independent column passes (one bincount, one cast, one comparison per column)
over the configured threads; ``side_by_side`` runs independent tables beside each other.
``RWB_THREADS=1`` (``config.WORKER_THREADS``) keeps everything in the calling thread, with the
same results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from pipelines import config

T = TypeVar("T")
R = TypeVar("R")


def each(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(x) for x in items]``, in order, on up to ``WORKER_THREADS`` threads."""
    items = list(items)
    threads = min(config.WORKER_THREADS, len(items))
    if threads < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="metrics-each") as pool:
        return list(pool.map(fn, items))


@contextmanager
def side_by_side() -> Iterator[Callable[..., Future]]:
    """``submit(fn, *args)`` → a future: on a worker thread, or run at once with one thread configured."""
    if config.WORKER_THREADS < 2:
        def now(fn: Callable[..., Any], *args: Any) -> Future:
            done: Future = Future()
            done.set_result(fn(*args))
            return done

        yield now
        return
    with ThreadPoolExecutor(max_workers=config.WORKER_THREADS - 1, thread_name_prefix="metrics") as pool:
        yield pool.submit
