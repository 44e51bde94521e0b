"""Independent fits side by side in worker processes (a back-test's windows, a forecast's
bootstrap refits).

On Linux the workers are forked from the calling process: they inherit its imported libraries
and its data, so a worker is ready in milliseconds, where a freshly started Python spends 7-8 s
importing pandas, scikit-learn and LightGBM before its first fit (most of the replica's
back-test once its fits were fast). The work is handed over by inheritance too, so nothing is
pickled on the way in. Each worker's numerical libraries run on one thread: the workers share
the cores instead of fighting over them, and GNU OpenMP, which LightGBM uses, hangs in a forked
child that asks for more threads than one once the parent has used it. Elsewhere joblib's loky
workers are started instead (macOS and Windows do not fork safely).
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

T = TypeVar("T")
R = TypeVar("R")

#: The function and items of the running ``map_processes`` call, inherited by its workers.
_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def map_processes(function: Callable[[T], R], items: Sequence[T], jobs: int
                        ) -> Iterator[R]:
    """``function`` of each item, in order, computed by up to ``jobs`` processes (in this one
    when ``jobs`` is 1 or there is a single item)."""
    if jobs <= 1 or len(items) <= 1:
        return map(function, items)
    if not sys.platform.startswith("linux"):
        return iter(Parallel(n_jobs=jobs, return_as="generator")(
            delayed(function)(item) for item in items))
    return _forked(function, items, min(jobs, len(items)))


def _forked(function: Callable[[T], R], items: Sequence[T], jobs: int) -> Iterator[R]:
    global _work
    _work = (function, items)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=threadpool_limits, initargs=(1,)) as pool:
            yield from pool.map(_run, range(len(items)))
    finally:
        _work = None


def _run(index: int) -> Any:
    if _work is None:
        raise RuntimeError("a worker runs only inside map_processes")
    function, items = _work
    return function(items[index])
