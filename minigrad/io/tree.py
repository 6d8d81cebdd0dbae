"""Atomic files of nested state: dicts, lists, numbers, strings and arrays (checkpoint trees).

A training checkpoint holds the model's arrays, the optimizer's state (nested
dicts keyed by ints, tuples of hyperparameters), schedule positions and the
random generators' states (dicts with 128-bit integers). :func:`save_tree`
writes such a structure to one ``.npz`` file: every array becomes an entry of
its own (host copy, dtype kept) and the structure around them is JSON in the
entry ``__tree__``, so loading needs no pickle and runs no code.
"""
from __future__ import annotations

import json
import os

import numpy as np  # the file format is numpy's .npz

from minigrad.backend import is_array
from minigrad.io.npz import UnreadableFileError, load_npz, save_npz

TREE_ENTRY = "__tree__"  # the entry holding the structure as JSON


def save_tree(path, tree) -> None:
    """Write ``tree`` to ``path`` atomically (temporary file, then ``os.replace``).

    Allowed leaves: None, bool, int, float (NaN and infinities too), str and
    arrays of any backend (saved as host arrays). Containers: dict (keys str
    or int), list, tuple. Anything else is a TypeError naming where it sits.
    """
    arrays = {}
    encoded = _encode(tree, arrays, "tree")
    text = json.dumps(encoded, allow_nan=True)
    arrays[TREE_ENTRY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    save_npz(path, arrays)


def load_tree(path):
    """The structure written by :func:`save_tree`, with host (numpy) arrays.

    A file that is not such a tree (empty, truncated, damaged, a plain ``.npz``
    such as ``Module.save`` writes, another format) raises
    :class:`~minigrad.io.npz.UnreadableFileError` naming ``path``; a missing file
    is a ``FileNotFoundError``.
    """
    path = os.fspath(path)
    entries = load_npz(path)
    if TREE_ENTRY not in entries:
        raise UnreadableFileError(
            path, f"an .npz archive without the {TREE_ENTRY!r} entry of a checkpoint (weights "
                  f"saved by Module.save are read with module.load(path))")
    return decode_tree(entries, path)


def decode_tree(entries, path):
    """The structure held by ``entries`` (what :func:`~minigrad.io.npz.load_npz` read
    from a file of :func:`save_tree`, at ``path``, named in errors)."""
    try:
        structure = json.loads(entries.pop(TREE_ENTRY).tobytes().decode("utf-8"))
        return _decode(structure, entries)
    except (ValueError, KeyError, TypeError) as e:  # JSON, a missing array, a bad shape
        raise UnreadableFileError(
            path, f"its checkpoint structure is damaged ({type(e).__name__}: {e})") from e


def _encode(value, arrays, where):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):  # numpy scalars (e.g. a float32 metric)
        return value.item()
    if is_array(value):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"__array__": name}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save_tree: dict key {key!r} at {where} is not a str or int")
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"__dict__": items}
    if isinstance(value, (list, tuple)):
        kind = "__list__" if isinstance(value, list) else "__tuple__"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
    raise TypeError(f"save_tree: cannot save a {type(value).__name__} at {where}; "
                    f"expected numbers, strings, arrays, dicts, lists or tuples")


def _decode(value, arrays):
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return arrays[value["__array__"]]
    if "__dict__" in value:
        return {key: _decode(item, arrays) for key, item in value["__dict__"]}
    if "__list__" in value:
        return [_decode(v, arrays) for v in value["__list__"]]
    return tuple(_decode(v, arrays) for v in value["__tuple__"])
