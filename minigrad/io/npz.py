"""Atomic ``.npz`` files of named arrays: how modules save and load their state."""
from __future__ import annotations

import os

import numpy as np  # the .npz format is numpy's

from minigrad.backend import to_numpy
from minigrad.io.atomic import atomic_writer


def save_npz(path, arrays: dict) -> None:
    """Write ``{name: array}`` (arrays of any backend) to ``path``, atomically.

    The data go to a temporary file in the same directory, which then replaces
    ``path`` in one step (``os.replace``): a crash mid-write leaves the old
    file intact, never a truncated one. ``path`` is used exactly as given (no
    ``.npz`` suffix is appended).
    """
    with atomic_writer(path) as f:
        np.savez(f, **{name: to_numpy(a) for name, a in arrays.items()})


def load_npz(path) -> dict:
    """``{name: numpy array}`` read from an ``.npz`` file (host arrays; move them
    with :func:`minigrad.backend.to_device`)."""
    with open(os.fspath(path), "rb") as f, np.load(f, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
