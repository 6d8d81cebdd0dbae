"""Global switches, held in ``contextvars`` so threads and asyncio tasks keep their own.

``enable_backprop``: record the graph (off inside ``no_grad()``).
``train``: training behaviour of layers such as dropout and batch norm.
``set_num_threads(n)``: threads for minigrad's own elementwise work (process-wide).
"""
from __future__ import annotations

import contextlib
import contextvars

_FLAGS = {
    "enable_backprop": contextvars.ContextVar("enable_backprop", default=True),
    "train": contextvars.ContextVar("train", default=True),
}
_enable_backprop = _FLAGS["enable_backprop"]
_train = _FLAGS["train"]


def get(name: str):
    try:
        return _FLAGS[name].get()
    except KeyError:
        raise KeyError(f"unknown config flag {name!r}; known: {sorted(_FLAGS)}") from None


def is_grad_enabled() -> bool:
    return _enable_backprop.get()


def is_training() -> bool:
    return _train.get()


@contextlib.contextmanager
def using_config(name: str, value):
    """Set flag ``name`` to ``value`` inside a ``with`` block (this context only)."""
    if name not in _FLAGS:
        raise KeyError(f"unknown config flag {name!r}; known: {sorted(_FLAGS)}")
    token = _FLAGS[name].set(value)
    try:
        yield
    finally:
        _FLAGS[name].reset(token)


def no_grad():
    """Compute without recording a graph: ``with minigrad.no_grad(): ...``."""
    return using_config("enable_backprop", False)


def enable_grad():
    """Record the graph again, e.g. inside a ``no_grad()`` block."""
    return using_config("enable_backprop", True)


def eval_mode():
    """Layers behave as at inference (dropout off, batch norm uses running stats)."""
    return using_config("train", False)


_num_threads = 1


def set_num_threads(n: int) -> None:
    """Let minigrad split large elementwise updates (Adam's step on CPU arrays) over
    ``n`` threads; numpy releases the GIL inside its loops, so they run in parallel.
    Default 1. Matrix products follow the BLAS library's own setting
    (``OPENBLAS_NUM_THREADS``); ``torch.set_num_threads`` is PyTorch's counterpart."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected an int >= 1, got {n!r}")
    _num_threads = n


def get_num_threads() -> int:
    return _num_threads
