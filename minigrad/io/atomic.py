"""Atomic file writes: readers see the old file or the whole new one, never a part."""
from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_writer(path, suffix=".part"):
    """A binary file to write ``path`` through: the data go to a temporary file in the
    same folder (``f.name``), which replaces ``path`` in one ``os.replace`` when the
    ``with`` block ends without an error and is removed when it raises. A crash
    mid-write leaves the old file intact. ``suffix`` ends the temporary name (some
    writers pick the format from it)."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix="." + os.path.basename(path) + ".", suffix=suffix)
    os.close(fd)
    try:
        with open(tmp, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
