"""CuPy: arrays on CUDA GPUs, ``"cuda:N"`` on GPU ``N``.

CuPy makes new arrays and runs kernels on its *current* device, whatever the
device of the inputs, so every method that makes an array does so inside
``cupy.cuda.Device(N)``. Random numbers are drawn on the GPU by key
(:mod:`minigrad.backend.philox`): the random state stays on the host.
"""
from __future__ import annotations

import cupy
import cupyx

from minigrad.backend import philox
from minigrad.backend.base import Backend, UfuncKernels

_WORDS = cupy.ElementwiseKernel(
    "uint64 key", "uint32 word", philox.WORDS_OPERATION, "minigrad_philox_words",
    preamble=philox.CUDA_PREAMBLE)
_KEEP = cupy.ElementwiseKernel(
    "uint64 key, uint32 threshold", "bool keep", philox.KEEP_OPERATION, "minigrad_keep_mask",
    preamble=philox.CUDA_PREAMBLE)
# Backend.adam_update_'s twelve passes in one; --fmad=false rounds every product on its
# own as the separate passes do, and 1 - b1, 1 - b2 come rounded from the host as the
# passes' Python floats do, so the numbers are the generic ones bit for bit
_ADAM = cupy.ElementwiseKernel(
    "T g, T b1, T a1, T b2, T a2, T eps, T step", "T p, T m, T v",
    "m = m * b1; m += g * a1; T s = g * g; s *= a2; v = v * b2; v += s;"
    " p -= (m / (sqrt(v) + eps)) * step;",
    "minigrad_adam_update", options=("--fmad=false",))


# max pooling's backward over windows that tile the image (stride = kernel, no
# dilation): one thread per output element sends gy to the first maximum of its
# window, in row-major order (Backend.max_pool_grad's rule); windows do not overlap,
# so every element of gx is written by at most one thread
_MAX_POOL_GRAD = cupy.ElementwiseKernel(
    "raw T x, T y, T gy, int64 H, int64 W, int64 OH, int64 OW, int64 kh, int64 kw",
    "raw T gx",
    """
    long long q = i % OW, p = (i / OW) % OH, plane = i / (OW * OH);
    long long top = plane * H * W + p * kh * W + q * kw;
    bool found = false;
    for (long long a = 0; a < kh && !found; ++a) {
        for (long long b = 0; b < kw && !found; ++b) {
            long long at = top + a * W + b;
            if (x[at] == y) { gx[at] = gy; found = true; }
        }
    }
    """,
    "minigrad_max_pool_grad")


class CupyBackend(philox.KeyedRandom, UfuncKernels, Backend):
    name = "cupy"
    xp = cupy
    array_types = (cupy.ndarray,)
    wraps_indices = True  # CuPy's integer-array indexing, take and scatter_add wrap around

    def device_of(self, array) -> str:
        return f"cuda:{array.device.id}"

    @staticmethod
    def _device_id(device):
        return int(device.split(":")[1]) if device and ":" in device else 0

    def _on(self, device):
        return cupy.cuda.Device(self._device_id(device))

    def asarray(self, data, dtype=None, device=None):
        with self._on(device) as target:
            if isinstance(data, cupy.ndarray) and data.device.id != target.id:
                data = data.copy()  # ndarray.copy() copies to the current device
            return cupy.asarray(data, dtype=dtype)

    def copy(self, array):
        with array.device:  # not the current device's: copy() would move the array there
            return array.copy()

    def zeros(self, shape, dtype, device=None):
        with self._on(device):
            return cupy.zeros(shape, dtype=dtype)

    def to_numpy(self, array):
        return cupy.asnumpy(array)

    def scatter_add(self, target, key, values) -> None:
        with target.device:
            cupyx.scatter_add(target, key, values)

    def windows(self, x, kernel, stride, dilation, out_size):
        # one copy of a strided view of every window (as on numpy), where the generic
        # form copies kh*kw slices and then stacks them
        (sh, sw), (dh, dw), (n, h, w, c) = stride, dilation, x.strides
        view = cupy.lib.stride_tricks.as_strided(
            x, (x.shape[0], *out_size, *kernel, x.shape[3]),
            (n, h * sh, w * sw, h * dh, w * dw, c))
        with x.device:
            return cupy.ascontiguousarray(view)

    def max_pool_grad(self, x, y, gy, kernel, stride, dilation):
        if tuple(stride) != tuple(kernel) or tuple(dilation) != (1, 1):
            return super().max_pool_grad(x, y, gy, kernel, stride, dilation)
        with x.device:
            x = cupy.ascontiguousarray(x)
            gx = cupy.zeros_like(x)
            _MAX_POOL_GRAD(x, y, gy, x.shape[2], x.shape[3], y.shape[2], y.shape[3],
                           kernel[0], kernel[1], gx)
        return gx

    def adam_update_(self, p, m, v, g, b1, b2, eps, step):
        if p.dtype not in (cupy.float32, cupy.float64) or not p.dtype == m.dtype == v.dtype \
                == g.dtype:
            return super().adam_update_(p, m, v, g, b1, b2, eps, step)
        with p.device:
            _ADAM(g, b1, 1.0 - b1, b2, 1.0 - b2, eps, step, p, m, v)

    def _words(self, key, count, device):
        return _WORDS(key, cupy.empty(count, cupy.uint32))

    def _keep(self, key, shape, threshold, device):
        return _KEEP(key, threshold, cupy.empty(shape, cupy.bool_))
