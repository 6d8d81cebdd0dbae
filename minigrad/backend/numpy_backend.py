"""numpy: the CPU backend and the default."""
from __future__ import annotations

import ctypes
import os

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minigrad.backend.base import Backend, UfuncKernels


HEAP_TOP_PAD = 256 << 20


def keep_freed_memory(top_pad=HEAP_TOP_PAD):
    """Ask glibc's malloc to keep up to ``top_pad`` bytes of freed memory at the top
    of its heap (``mallopt(M_TOP_PAD)``) instead of returning it to the system.

    A training step frees its activations at its end and allocates them again at
    the next one; with glibc's default (128 KB) the heap shrinks and grows again
    every step, and every page comes back through a page fault: 8,700 faults and
    25 ms of a 97 ms step of the CNN of benchmarks/bench_cnn.py. Done once, when
    the CPU backend is made; not where the user set ``MALLOC_TOP_PAD_`` or glibc
    tunables themselves, nor where the C library is not glibc. Returns whether the
    setting was made.
    """
    if "MALLOC_TOP_PAD_" in os.environ or "GLIBC_TUNABLES" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc, or no C library to load
        return False
    m_top_pad = -2  # from glibc's malloc.h
    return bool(mallopt(m_top_pad, top_pad))


class NumpyBackend(UfuncKernels, Backend):
    name = "numpy"
    xp = np
    array_types = (np.ndarray, np.generic)
    single_device = True
    # Adam in slices of 64K elements (256 KB in float32): about 3% off minigrad's
    # optimizer phase, 13% off the numpy program's flat one (docs/performance.md)
    adam_chunk = 65536
    # a convolution's input gradient in chunks of 1 MB of float32 column gradient, added
    # back while in the cache (docs/performance.md)
    col2im_chunk = 1 << 18

    def __init__(self):
        super().__init__()
        keep_freed_memory()

    def device_of(self, array) -> str:
        return "cpu"

    def asarray(self, data, dtype=None, device=None):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return np.asarray(array)

    def softmax_nll(self, x, labels):
        # the same numbers as the generic form, in fewer and cheaper calls: ndarray
        # methods skip numpy's Python wrappers, a fancy index replaces the one-hot mask
        shifted = x - x.max(axis=1, keepdims=True)
        picked = shifted[np.arange(len(labels)), labels]
        probs = np.exp(shifted, out=shifted)
        total = probs.sum(axis=1, keepdims=True)
        probs /= total
        losses = np.log(total[:, 0])
        losses -= picked
        return losses, probs

    def softmax_nll_grad(self, probs, labels, g):
        grad = probs * g
        grad[np.arange(len(labels)), labels] -= g if g.ndim == 0 else g[:, 0]
        return grad

    def windows(self, x, kernel, stride, dilation, out_size):
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
        out = np.empty((x.shape[0], oh, ow, kh, kw, x.shape[3]), x.dtype)
        if x.shape[3] == 1:
            # numpy's copy loops run along the last axis: with one channel, a slice per
            # kernel offset makes them run along the output rows (3x faster)
            for i in range(kh):
                for j in range(kw):
                    out[:, :, :, i, j, :] = x[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                              j * dw:j * dw + sw * (ow - 1) + 1:sw, :]
            return out
        # one copy of a strided view of every window (3x faster than a slice per offset)
        n, h, w, c = x.strides
        np.copyto(out, as_strided(x, out.shape, (n, h * sh, w * sw, h * dh, w * dw, c),
                                  writeable=False))
        return out

    def add_to_first_maxima(self, gx, x, y, gy, offsets, overlapping):
        # the generic passes with out= buffers: "free" marks the windows whose maximum
        # no earlier offset has taken (2.2x faster than the generic form for the CNN's
        # first pooling); gy first takes y's memory layout, which x and gx share
        if gy.strides != y.strides:
            gy, given = np.empty_like(y), gy
            gy[...] = given
        hit, free = np.empty_like(y, dtype=bool), np.empty_like(y, dtype=bool)
        for k, (r, c) in enumerate(offsets):
            np.equal(x[:, :, r, c], y, out=hit)
            if k:
                np.logical_and(hit, free, out=hit)
            if overlapping:
                gx[:, :, r, c] += np.multiply(gy, hit)
            else:
                np.multiply(gy, hit, out=gx[:, :, r, c])
            if k == 0:
                np.logical_not(hit, out=free)
            elif k + 1 < len(offsets):
                np.logical_xor(free, hit, out=free)

    def sum_rows(self, a):
        # as a product with ones (BLAS's gemv): for the tall gradient of a convolution's
        # output, (86528, 32), 8x faster than a.sum(axis=0), which adds row after row
        return np.ones(a.shape[0], a.dtype) @ a

    def scatter_add(self, target, key, values) -> None:
        np.add.at(target, key, values)

    def zeros(self, shape, dtype, device=None):
        return np.zeros(shape, dtype=dtype)
