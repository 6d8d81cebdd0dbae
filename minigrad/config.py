"""Global switches, held in ``contextvars`` so threads and asyncio tasks keep their own.

``enable_backprop``: record the graph (off inside ``no_grad()``).
``train``: training behaviour of layers such as dropout and batch norm.
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
