"""Elementwise work split into chunks over threads.

numpy releases the GIL inside its ufunc loops, so the same sequence of in-place
operations run on disjoint slices of large arrays proceeds in parallel. Used
where one update touches whole parameter arrays (Adam's step); the thread
count is :func:`minigrad.set_num_threads` (default 1: no threads).
"""
from __future__ import annotations

import concurrent.futures
import threading

from minigrad import backend, config

MIN_CHUNK = 1 << 16  # elements; smaller chunks cost more in Python than they save

_pool = None
_pool_workers = 0
_pool_lock = threading.Lock()


def elementwise(kernel, arrays, *scalars):
    """``kernel(*arrays, *scalars)``, or the same on slices ``[lo:hi]`` of the arrays'
    flat views in up to ``get_num_threads()`` threads. ``kernel`` must treat every
    element independently and write only into its argument arrays, which must all
    have the same size."""
    threads = config.get_num_threads()
    size = arrays[0].size
    parts = min(threads, size // MIN_CHUNK)
    if parts < 2:
        return kernel(*arrays, *scalars)
    flats = [backend.flat_view(a) for a in arrays]
    if any(f is None for f in flats):  # not a CPU array library, or not contiguous
        return kernel(*arrays, *scalars)
    step = -(-size // parts)
    bounds = [(lo, min(lo + step, size)) for lo in range(0, size, step)]
    futures = [_executor(len(bounds) - 1).submit(kernel, *(f[lo:hi] for f in flats), *scalars)
               for lo, hi in bounds[1:]]
    lo, hi = bounds[0]
    kernel(*(f[lo:hi] for f in flats), *scalars)
    for future in futures:
        future.result()
    return None


def _executor(workers):
    global _pool, _pool_workers
    with _pool_lock:
        if _pool is None or _pool_workers < workers:
            if _pool is not None:
                _pool.shutdown(wait=True)
            _pool = concurrent.futures.ThreadPoolExecutor(workers,
                                                          thread_name_prefix="minigrad")
            _pool_workers = workers
        return _pool
