"""Atomic ``.npz`` files of named arrays: how modules save and load their state."""
from __future__ import annotations

import os
import zipfile

import numpy as np  # the .npz format is numpy's

from minigrad.backend import to_numpy
from minigrad.io.atomic import atomic_writer

_NPY_MAGIC = b"\x93NUMPY"


class UnreadableFileError(ValueError):
    """A file that minigrad cannot read as what it was asked to load (empty,
    truncated, damaged, another format); the message names the file and why."""

    def __init__(self, path, problem):
        super().__init__(f"{path!r} is not a readable minigrad file: {problem}")
        self.path = path


def save_npz(path, arrays: dict) -> None:
    """Write ``{name: array}`` (arrays of any backend) to ``path`` through
    :func:`~minigrad.io.atomic.atomic_writer`: readers and a crash mid-write see
    the old file or the whole new one, never a part. ``path`` is used exactly as
    given (no ``.npz`` suffix is appended).
    """
    with atomic_writer(path) as f:
        np.savez(f, **{name: to_numpy(a) for name, a in arrays.items()})


def load_npz(path) -> dict:
    """``{name: numpy array}`` read from an ``.npz`` file (host arrays; move them
    with :func:`minigrad.backend.to_device`).

    An empty, truncated or damaged file, another format, or arrays of Python
    objects (which would need pickle) raise :class:`UnreadableFileError`; a
    missing file is a ``FileNotFoundError``.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        problem = _not_an_archive(f)
        if problem is not None:
            raise UnreadableFileError(path, problem)
        try:
            with np.load(f, allow_pickle=False) as data:
                return {name: data[name] for name in data.files}
        except Exception as e:  # zipfile and numpy fail in many ways on damaged bytes
            raise UnreadableFileError(
                path, f"reading the .npz archive failed ({type(e).__name__}: {e})") from e


def _not_an_archive(f):
    """Why the open file ``f`` is no zip archive, or None (then ``f`` is at its start)."""
    head = f.read(len(_NPY_MAGIC))
    size = os.fstat(f.fileno()).st_size
    if size == 0:
        return "it is empty (0 bytes)"
    if head == _NPY_MAGIC:
        return "it is a .npy file of one array, not an .npz archive of named arrays"
    if not zipfile.is_zipfile(f):
        return (f"it is not a complete .npz (zip) archive ({size} bytes without the zip "
                f"directory at the end: truncated, or another format)")
    f.seek(0)
    return None
