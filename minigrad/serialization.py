"""``minigrad.save(obj, path)`` and ``minigrad.load(path)``: PyTorch's names for
state files, without pickle.

A flat ``{name: array}`` dict (a ``state_dict``) is written as a plain ``.npz``
file, the very file ``Module.save`` writes; anything else (an optimizer's
``state_dict``, nested dicts, lists, numbers, strings) as a checkpoint tree
(:mod:`minigrad.io.tree`). Both go through the one atomic writer, and loading
runs no code.
"""
from __future__ import annotations

import os

from minigrad import backend
from minigrad.core import Variable
from minigrad.io.npz import load_npz, save_npz
from minigrad.io.tree import TREE_ENTRY, decode_tree, save_tree

__all__ = ["save", "load"]


def save(obj, path):
    """Write ``obj`` to ``path`` atomically (the old file or the whole new one survives
    a crash). Variables are saved as their arrays; a model itself is refused
    (saving code would need pickle): save ``model.state_dict()``.
    """
    if callable(getattr(obj, "state_dict", None)):
        raise TypeError(f"save: cannot save a {type(obj).__name__} object (that would need "
                        f"pickle); save its state: minigrad.save(obj.state_dict(), path)")
    state = _arrays(obj)
    if _flat(state):
        save_npz(path, state)
    else:
        save_tree(path, state)


def load(path, device=None):
    """What :func:`save` wrote to ``path`` (also a file of ``Module.save`` or a
    training checkpoint), with host (numpy) arrays, or on ``device`` if given
    (PyTorch's ``map_location``). ``model.load_state_dict(minigrad.load(path))``
    restores a saved ``state_dict``."""
    path = os.fspath(path)
    entries = load_npz(path)
    state = decode_tree(entries, path) if TREE_ENTRY in entries else entries
    return state if device is None else _moved(state, backend.normalize_device(device))


def _arrays(obj):
    """``obj`` with every Variable replaced by its array."""
    if isinstance(obj, Variable):
        return obj.data
    if isinstance(obj, dict):
        return {key: _arrays(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_arrays(value) for value in obj]
        return items if isinstance(obj, list) else tuple(items)
    return obj


def _flat(state):
    return (isinstance(state, dict) and TREE_ENTRY not in state
            and all(isinstance(k, str) and backend.is_array(v) for k, v in state.items()))


def _moved(state, device):
    if backend.is_array(state):
        return backend.to_device(state, device)
    if isinstance(state, dict):
        return {key: _moved(value, device) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        items = [_moved(value, device) for value in state]
        return items if isinstance(state, list) else tuple(items)
    return state
