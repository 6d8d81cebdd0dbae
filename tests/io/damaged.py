"""Damaged versions of a good file, for the tests of every loader: each must be
refused with an error naming the file, never loaded as something else."""
import io

import numpy as np

_NPY_MAGIC = b"\x93NUMPY"


def _npy_file(good):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3, np.float32))
    return buffer.getvalue()


def _object_arrays(good):
    buffer = io.BytesIO()
    np.savez(buffer, w=np.array([None, 1], dtype=object))
    return buffer.getvalue()


def _flipped_byte(good):
    """One byte of the first array's data inverted: only the zip CRC can tell."""
    data = bytearray(good)
    data[good.index(_NPY_MAGIC) + 130] ^= 0xFF
    return bytes(data)


# what happened -> the bytes a loader finds instead of the ``good`` ones
DAMAGES = {
    "empty": lambda good: b"",
    "truncated in the middle": lambda good: good[: len(good) // 2],
    "last byte missing": lambda good: good[:-1],
    "random bytes": lambda good: np.random.default_rng(0).bytes(len(good)),
    "text": lambda good: b"weights go here\n",
    "a .npy file": _npy_file,
    "object arrays": _object_arrays,
    "a flipped byte": _flipped_byte,
}
