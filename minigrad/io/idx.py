"""IDX files (the MNIST format), gzip-compressed or raw: bytes to host arrays and back.

The IDX format (LeCun et al., the MNIST files) is a 4-byte magic number --
two zero bytes, a type code, the number of dimensions -- then one big-endian
uint32 per dimension, then the data in big-endian C order.

Source: Y. LeCun, C. Cortes, C. Burges, "The MNIST database of handwritten
digits", file-format section.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np  # host bytes of the IDX format

from minigrad import backend
from minigrad.io.atomic import atomic_writer

GZIP_MAGIC = b"\x1f\x8b"

# type code -> big-endian numpy dtype
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array stored in the IDX bytes ``data``, in native byte order.

    Raises ``ValueError`` naming ``source`` for a bad magic number, an unknown
    type code, a short header, or a data section of the wrong length.
    """
    where = f"IDX file {source!r}"
    if len(data) < 4:
        raise ValueError(f"{where}: {len(data)} bytes, too short for the 4-byte magic number")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise ValueError(
            f"{where}: bad magic number 0x{data[:4].hex()}: expected two zero bytes, a type "
            f"code and the number of dimensions (e.g. 0x00000803 for uint8 images)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02x} ({d.name})" for c, d in IDX_DTYPES.items())
        raise ValueError(f"{where}: unknown type code 0x{code:02x}; known codes: {known}")
    if ndim == 0:
        raise ValueError(f"{where}: the header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{where} is truncated: {len(data)} bytes, the header of {ndim} dimensions "
            f"needs {header}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    found = len(data) - header
    if found != expected:
        problem = "is truncated" if found < expected else "has trailing bytes"
        raise ValueError(
            f"{where} {problem}: the header declares shape {shape} of {dtype.name} "
            f"({expected} bytes of data) but {found} bytes follow it"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable native-order copy


def encode_idx(array) -> bytes:
    """The IDX bytes of a host array of dtype uint8, int8, int16, int32, float32 or float64."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        names = ", ".join(d.name for d in _CODES)
        raise ValueError(
            f"encode_idx: IDX cannot store dtype {array.dtype}; cast to one of {names}"
        )
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"encode_idx: IDX stores 1 to 255 dimensions, got shape {array.shape}")
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


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
    Written through :func:`~minigrad.io.atomic.atomic_writer` (atomic and durable).
    """
    path = os.fspath(path)
    data = encode_idx(backend.to_numpy(array))
    if compress if compress is not None else path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with atomic_writer(path) as f:
        f.write(data)
