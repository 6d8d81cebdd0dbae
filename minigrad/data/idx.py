"""Read and write IDX files (the MNIST format), gzip-compressed or raw."""
from __future__ import annotations

import gzip
import os
import zlib

from minigrad import backend
from minigrad.backend.idx import encode_idx, parse_idx
from minigrad.fileio import atomic_writer

GZIP_MAGIC = b"\x1f\x8b"


def read_idx_bytes(path) -> bytes:
    """The IDX bytes of ``path``, decompressed if the file is gzip (told by its first bytes)."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(
            f"IDX file {path!r}: corrupt or truncated gzip data ({e}); delete it and "
            f"download it again"
        ) from e


def read_idx(path, device=None):
    """The array stored in the IDX file ``path`` (gzip or raw), on ``device`` (default ``"cpu"``).

    A bad magic number, an unknown type code or a truncated file is a ``ValueError``
    that names the file.
    """
    path = os.fspath(path)
    return backend.to_device(parse_idx(read_idx_bytes(path), source=path), device or "cpu")


def write_idx(path, array, compress=None) -> None:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an IDX file.

    ``compress``: gzip the file; ``None`` (default) gzips when ``path`` ends in ``.gz``.
    Written atomically: to a temporary file in the same directory, then renamed.
    """
    path = os.fspath(path)
    data = encode_idx(backend.to_numpy(array))
    if compress if compress is not None else path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    with atomic_writer(path) as f:
        f.write(data)
