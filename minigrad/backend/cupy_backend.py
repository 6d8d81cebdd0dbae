"""CuPy: arrays on CUDA GPUs, ``"cuda:N"`` on GPU ``N``.

CuPy makes new arrays and runs kernels on its *current* device, whatever the
device of the inputs, so every method that makes an array does so inside
``cupy.cuda.Device(N)``. Random numbers are drawn on the GPU by key
(:mod:`minigrad.backend.philox`): the random state stays on the host.
"""
from __future__ import annotations

import cupy
import cupyx

from minigrad.backend import cuda_sources, philox
from minigrad.backend.base import Backend, UfuncKernels, keep_threshold

_WORDS = cupy.ElementwiseKernel(
    "uint64 key", "uint32 word", philox.WORDS_OPERATION, "minigrad_philox_words",
    preamble=philox.CUDA_PREAMBLE)
_KEEP = cupy.ElementwiseKernel(
    "uint64 key, uint32 threshold", "bool keep", philox.KEEP_OPERATION, "minigrad_keep_mask",
    preamble=philox.CUDA_PREAMBLE)


def _elementwise(source):
    return cupy.ElementwiseKernel(source.in_params, source.out_params, source.operation,
                                  source.name, options=source.options,
                                  preamble=source.preamble)


_ADAM = _elementwise(cuda_sources.ADAM_UPDATE)
_MAX_POOL_GRAD = _elementwise(cuda_sources.MAX_POOL_GRAD)
_COL2IM = _elementwise(cuda_sources.COL2IM)
_BIAS_RELU = _elementwise(cuda_sources.BIAS_RELU)
_DROPOUT_MASK = _elementwise(cuda_sources.DROPOUT_MASK)
_SOFTMAX_NLL = _elementwise(cuda_sources.SOFTMAX_NLL)
_SOFTMAX_NLL_GRAD = _elementwise(cuda_sources.SOFTMAX_NLL_GRAD)
ROW_KERNEL_CLASSES = 1024  # softmax_nll's thread per row, up to this many classes


def _floating(*arrays):
    """Whether the kernels (written for float and double) take these arrays."""
    return all(a.dtype in (cupy.float32, cupy.float64) for a in arrays)


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

    def host_values(self, scalars):
        # one stack (its dtype promotion does the generic form's casts) and one copy
        with scalars[0].device:
            return [float(v) for v in cupy.stack(scalars).get().tolist()]

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

    def conv_input_grad(self, g_rows, W, kernel, stride, dilation, out_size, padded_size):
        # one product for every kernel offset, (N*OH*OW, out) by (out, kh*kw*C), and one
        # gather kernel (col2im), where the generic form launches a product and a strided
        # add per offset
        if not _floating(g_rows, W):
            return super().conv_input_grad(g_rows, W, kernel, stride, dilation, out_size,
                                           padded_size)
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
        c = W.shape[1]
        with g_rows.device:
            kernel_matrix = cupy.ascontiguousarray(W.transpose(0, 2, 3, 1)).reshape(W.shape[0], -1)
            cols = cupy.matmul(g_rows, kernel_matrix)  # rows (n, p, q), columns (i, j, c)
            dx = cupy.empty((g_rows.shape[0] // (oh * ow), *padded_size, c), cols.dtype)
            _COL2IM(cols, padded_size[0], padded_size[1], c, oh, ow, kh, kw, sh, sw, dh, dw, dx)
            return dx.astype(g_rows.dtype, copy=False)

    def where_positive(self, g, y):
        # one kernel, the bool mask cast inside it, where the generic form launches a
        # cast first (on numpy the generic form is the faster: a mixed-type loop casts
        # in buffers, 10% slower, benchmarks/RESULTS.md)
        with g.device:
            return cupy.multiply(g, y > 0)

    def bias_relu_(self, y, b):
        if not _floating(y, b) or b.dtype != y.dtype:
            return super().bias_relu_(y, b)
        with y.device:
            return _BIAS_RELU(b, y)

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
        if not _floating(p, m, v, g) or not p.dtype == m.dtype == v.dtype == g.dtype:
            return super().adam_update_(p, m, v, g, b1, b2, eps, step)
        with p.device:
            _ADAM(g, b1, 1.0 - b1, b2, 1.0 - b2, eps, step, p, m, v)

    def dropout_mask(self, shape, keep_prob, dtype, device=None):
        if dtype not in (cupy.float32, cupy.float64):
            return super().dropout_mask(shape, keep_prob, dtype, device)
        with self._on(device):
            return _DROPOUT_MASK(self._next_key(), keep_threshold(keep_prob), 1.0 / keep_prob,
                                 cupy.empty(tuple(shape), dtype))

    def softmax_nll(self, x, labels):
        if not (_floating(x) and x.ndim == 2 and labels.dtype == cupy.int64
                and 0 < x.shape[1] <= ROW_KERNEL_CLASSES):
            return super().softmax_nll(x, labels)
        with x.device:
            x = cupy.ascontiguousarray(x)
            return _SOFTMAX_NLL(x, labels, x.shape[1], cupy.empty(x.shape[0], x.dtype),
                                cupy.empty_like(x))

    def softmax_nll_grad(self, probs, labels, g):
        if not (_floating(probs, g) and probs.dtype == g.dtype and labels.dtype == cupy.int64
                and probs.flags.c_contiguous):
            return super().softmax_nll_grad(probs, labels, g)
        g_stride = 0 if g.ndim == 0 else 1  # one weight, or one per row (N, 1)
        with probs.device:
            return _SOFTMAX_NLL_GRAD(probs, cupy.ascontiguousarray(labels),
                                     cupy.ascontiguousarray(g).reshape(-1), probs.shape[1],
                                     g_stride)

    def _words(self, key, count, device):
        return _WORDS(key, cupy.empty(count, cupy.uint32))

    def _keep(self, key, shape, threshold, device):
        return _KEEP(key, threshold, cupy.empty(shape, cupy.bool_))
