"""numpy: the CPU backend and the default."""
from __future__ import annotations

import ctypes
import os

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minigrad.backend.base import Backend, UfuncKernels, window_offsets


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

    def __init__(self):
        super().__init__()
        keep_freed_memory()

    def device_of(self, array) -> str:
        return "cpu"

    def asarray(self, data, dtype=None, device=None):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return np.asarray(array)

    def host_values(self, scalars):
        return [float(s) for s in scalars]  # already on the host

    def windows(self, x, kernel, stride, dilation, out_size):
        out = np.empty((x.shape[0], *out_size, *kernel, x.shape[3]), x.dtype)
        if x.shape[3] == 1:
            # numpy's copy loops run along the last axis: with one channel, a slice per
            # kernel offset makes them run along the output rows (3x faster)
            for (i, j), (r, c) in zip(np.ndindex(*kernel),
                                      window_offsets(kernel, stride, dilation, out_size)):
                out[:, :, :, i, j, :] = x[:, r, c, :]
            return out
        # one copy of a strided view of every window (3x faster than a slice per offset)
        (sh, sw), (dh, dw), (n, h, w, c) = stride, dilation, x.strides
        np.copyto(out, as_strided(x, out.shape, (n, h * sh, w * sw, h * dh, w * dw, c),
                                  writeable=False))
        return out

    def max_pool_grad(self, x, y, gy, kernel, stride, dilation):
        (kh, kw), (oh, ow) = kernel, y.shape[2:]
        if tuple(stride) != tuple(kernel) or tuple(dilation) != (1, 1):
            return super().max_pool_grad(x, y, gy, kernel, stride, dilation)
        # Windows that tile the image: seen as two more axes of x, (N, C, OH, kh, OW, kw),
        # the compare with y and the product with gy each run once along the memory,
        # where a slice per kernel offset would stride through it kh*kw times (2x faster
        # for the CNN's first pooling, channels-last).
        if gy.strides != y.strides:  # y's memory layout (x's), else the product crawls
            gy, given = np.empty_like(y), gy
            gy[...] = given
        n, c = x.shape[:2]
        gx = np.empty_like(x)
        gx[:, :, oh * kh:, :] = 0  # rows and columns that no window covers
        gx[:, :, :, ow * kw:] = 0
        tiled = (n, c, oh, kh, ow, kw)
        hit = x[:, :, :oh * kh, :ow * kw].reshape(tiled) == y[:, :, :, None, :, None]
        parts = [hit[:, :, :, i, :, j] for i, j in np.ndindex(kh, kw)]
        free = np.logical_not(parts[0])  # windows whose first maximum is still to come
        for k, part in enumerate(parts[1:], 2):
            np.logical_and(part, free, out=part)
            if k < len(parts):
                np.logical_xor(free, part, out=free)
        # (splitting an axis in two always gives a view, so the product lands in gx)
        np.multiply(hit, gy[:, :, :, None, :, None],
                    out=gx[:, :, :oh * kh, :ow * kw].reshape(tiled))
        return gx

    def matmul_tn(self, a, b):
        # With several threads on a busy machine, OpenBLAS's threads wait for each other
        # at every block of a long reduction, and some orientations of the product wait
        # far longer: with two threads under load, 9 x 86528 times 86528 x 32 took up to
        # 2 s where 32 x 86528 times 86528 x 9 took 16 ms, and 64 x 15488 times
        # 15488 x 288 took 390 ms where the other orientation took 16 ms. The product
        # whose result has at least as many rows as columns was the fast one each time.
        if a.shape[1] >= b.shape[1]:
            return a.T @ b
        return (b.T @ a).T

    def channel_sum(self, g):
        rows = g.transpose(0, 2, 3, 1)
        if not rows.flags.c_contiguous:
            return g.sum(axis=(0, 2, 3))
        # Channels-last in memory (what conv2d makes): numpy would add one row of C
        # values after the other, each a loop as short as C; seen as rows 64 times
        # longer, then folded, 6x faster for the CNN's (128, 32, 26, 26) gradient
        rows = rows.reshape(-1, g.shape[1])
        m = rows.shape[0] - rows.shape[0] % 64
        total = rows[:m].reshape(-1, 64 * g.shape[1]).sum(0).reshape(64, -1).sum(0)
        return total + rows[m:].sum(0) if m < rows.shape[0] else total

    def scatter_add(self, target, key, values) -> None:
        np.add.at(target, key, values)

    def zeros(self, shape, dtype, device=None):
        return np.zeros(shape, dtype=dtype)
