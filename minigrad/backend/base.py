"""The interface every array backend implements."""
from __future__ import annotations

import math

import numpy as np  # host side: every backend can hand data to and from numpy


class Backend:
    """One array library (numpy, CuPy, array-api-strict) seen through one interface.

    ``xp`` is the library's array-API namespace. The methods cover what that
    standard lacks: device names, host transfer, scatter-add and seeded random
    numbers. Each backend's random state is one host ``numpy.random.Generator``
    (``_rng``; saved by :meth:`rng_state`). The methods below draw from it on
    the host; CuPy and array-api-strict override the floating-point draws and
    the keep masks to compute them on the device from one key per draw
    (:class:`minigrad.backend.philox.KeyedRandom`), which leaves the state on
    the host all the same.
    """

    name = "abstract"
    xp = None
    array_types: tuple = ()
    single_device = False  # True when all arrays of this library share one device
    wraps_indices = False  # True when out-of-range integer indices wrap instead of raising

    def __init__(self):
        self._rng = np.random.default_rng(0)

    # -- devices and transfer ------------------------------------------------
    def device_of(self, array) -> str:
        raise NotImplementedError

    def asarray(self, data, dtype=None, device: str | None = None):
        """An array on ``device`` from host data (numpy array, list or scalar)."""
        raise NotImplementedError

    def to_numpy(self, array) -> np.ndarray:
        raise NotImplementedError

    def host_values(self, scalars) -> list:
        """0-d arrays of one device as Python floats, in one transfer: on a GPU every
        read waits for all the queued kernels, so checks that need several numbers
        wait once. float64 holds every integer up to 2**53 exactly."""
        xp = self.xp
        return self.to_numpy(xp.stack([xp.astype(s, xp.float64) for s in scalars])).tolist()

    def copy(self, array):
        return self.xp.asarray(array, copy=True)

    def zeros(self, shape, dtype, device=None):
        return self.asarray(np.zeros(shape, dtype=self._host_dtype(dtype)), device=device)

    # -- primitives the array API lacks --------------------------------------
    def scatter_add(self, target, key, values) -> None:
        """``target[key] += values`` in place, repeated indices accumulating."""
        host = self.to_numpy(target).copy()
        np.add.at(host, _host_key(self, key), self.to_numpy(values))
        target[...] = self.asarray(host, device=self.device_of(target))

    # -- fused elementwise kernels (UfuncKernels: in place, for numpy and CuPy) --
    def relu_(self, y):
        """``max(y, 0)``, in ``y``'s buffer where the library can write in place."""
        return self.xp.maximum(y, 0)

    def bias_relu_(self, y, b):
        """``max(y + b, 0)`` for a product y (M, out) and a bias b (out,): a layer's
        bias and ReLU, in ``y``'s buffer where the library can write in place."""
        y += b
        return self.relu_(y)

    def where_positive(self, g, y):
        """``g`` where ``y > 0``, else 0 (the ReLU mask applied in one pass)."""
        return g * self.xp.astype(y > 0, g.dtype)

    def adam_update_(self, p, m, v, g, b1, b2, eps, step):
        """Adam's update, in place in ``p`` and its moments ``m`` and ``v``::

            m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2;   p -= step * m / (sqrt(v) + eps)

        twelve passes over the arrays; the Python floats ``eps`` and ``step`` carry
        the bias corrections (see :class:`minigrad.optim.Adam`)."""
        m *= b1
        m += g * (1.0 - b1)
        g2 = g * g
        g2 *= 1.0 - b2
        v *= b2
        v += g2
        den = self.xp.sqrt(v)
        den += eps
        update = m / den
        update *= step
        p -= update

    def windows(self, x, kernel, stride, dilation, out_size):
        """The sliding windows of a channels-last (N, H, W, C) array, as a new
        (N, OH, OW, kh, kw, C) array: ``out[n, p, q, i, j, c] = x[n, p sh + i dh, q sw +
        j dw, c]``, im2col's rows. Here one strided slice per kernel offset, stacked."""
        offsets = window_offsets(kernel, stride, dilation, out_size)
        parts = [x[:, r, c, :] for r, c in offsets]
        return self.xp.reshape(self.xp.stack(parts, axis=3),
                               (x.shape[0], *out_size, *kernel, x.shape[3]))

    def conv_input_grad(self, g_rows, W, kernel, stride, dilation, out_size, padded_size):
        """dx of a convolution, as the padded channels-last input (N, H', W', C): the
        output gradient's rows g (N*OH*OW, out) times each kernel offset's (out, C)
        block of W (out, C, kh, kw), added in at the pixels that offset read: col2im of
        g W, ``dx[n, p sh + i dh, q sw + j dw, c] += sum_o g[n, p, q, o] W[o, c, i, j]``.
        Here one product and one strided add per offset, in row-major order: each
        product is contiguous, so each add runs along whole rows of OW*C values,
        without the (N*OH*OW, kh*kw*C) intermediate whose adds would run along runs of C."""
        xp, (n_out, c) = self.xp, W.shape[:2]
        n = g_rows.shape[0] // (out_size[0] * out_size[1])
        blocks = xp.reshape(xp.permute_dims(W, (2, 3, 0, 1)), (-1, n_out, c))
        dx = self.zeros((n, *padded_size, c), g_rows.dtype, device=self.device_of(g_rows))
        for k, (r, cc) in enumerate(window_offsets(kernel, stride, dilation, out_size)):
            dx[:, r, cc, :] += xp.reshape(xp.matmul(g_rows, blocks[k, ...]), (n, *out_size, c))
        return dx

    def max_pool_grad(self, x, y, gy, kernel, stride, dilation):
        """dx of max pooling: x (N, C, H, W) as pooled (padding included), y its window
        maxima; each gy[n, c, p, q] goes to the first element of its window, in row-major
        order, that equals y[n, c, p, q], and where windows overlap an element collects
        the gradients of every window that chose it. A new array of x's shape (and, on
        numpy, memory layout)."""
        xp, taken = self.xp, None
        gx = xp.zeros_like(x)
        overlapping = any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        for r, c in window_offsets(kernel, stride, dilation, y.shape[2:]):
            hit = x[:, :, r, c] == y
            if taken is not None:
                hit = xp.logical_and(hit, xp.logical_not(taken))
            part = xp.where(hit, gy, xp.zeros_like(gy))
            if overlapping:
                gx[:, :, r, c] += part
            else:
                gx[:, :, r, c] = part
            taken = hit if taken is None else xp.logical_or(taken, hit)
        return gx

    def matmul_tn(self, a, b):
        """``a^T b`` for two matrices with the same (long) first axis: a reduction over
        their rows, such as a weight gradient."""
        return self.xp.matmul(self.xp.permute_dims(a, (1, 0)), b)

    def channel_sum(self, g):
        """The sum of an (N, C, H, W) array over every axis but C (a convolution's
        bias gradient)."""
        return self.xp.sum(g, axis=(0, 2, 3))

    def softmax_nll(self, x, labels):
        """Softmax cross-entropy of (N, C) logits against (N,) integer labels: returns
        ``(losses, probs)``, ``losses_i = log sum_c exp(x_ic) - x_i,label`` (max-shifted,
        so it neither overflows nor takes log 0) and ``probs = softmax(x)``."""
        xp = self.xp
        shifted = x - xp.max(x, axis=1, keepdims=True)
        probs = xp.exp(shifted)
        total = xp.sum(probs, axis=1, keepdims=True)
        picked = xp.sum(xp.where(self._label_mask(labels, x), shifted, xp.zeros_like(shifted)),
                        axis=1)
        probs /= total
        return xp.log(xp.reshape(total, (-1,))) - picked, probs

    def softmax_nll_grad(self, probs, labels, g):
        """``(probs - one_hot(labels)) * g``: the gradient of :meth:`softmax_nll` for the
        upstream ``g``, a 0-d array or one weight per row, (N, 1)."""
        return (probs - self.xp.astype(self._label_mask(labels, probs), probs.dtype)) * g

    def _label_mask(self, labels, like):
        """(N, C) booleans, True at each row's label; C and the device from ``like``."""
        classes = self.asarray(np.arange(like.shape[1]), dtype=labels.dtype,
                               device=self.device_of(like))
        return self.xp.reshape(labels, (-1, 1)) == classes

    # -- random numbers ------------------------------------------------------
    def seed(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def rng_state(self):
        return self._rng.bit_generator.state

    def set_rng_state(self, state) -> None:
        self._rng.bit_generator.state = state

    @staticmethod
    def _host_dtype(dtype):
        try:
            return np.dtype(dtype)
        except TypeError:  # array-api-strict dtypes print as "array_api_strict.float32"
            return np.dtype(str(dtype).rsplit(".", 1)[-1])

    def uniform(self, shape, low=0.0, high=1.0, dtype=None, device=None):
        dtype = dtype or self.xp.float32
        host = self._rng.uniform(low, high, size=shape).astype(self._host_dtype(dtype))
        return self.asarray(host, device=device)

    def normal(self, shape, mean=0.0, std=1.0, dtype=None, device=None):
        dtype = dtype or self.xp.float32
        host = self._rng.normal(mean, std, size=shape).astype(self._host_dtype(dtype))
        return self.asarray(host, device=device)

    def integers(self, low, high, shape, device=None):
        return self.asarray(self._rng.integers(low, high, size=shape), device=device)

    def permutation(self, n: int, device=None):
        return self.asarray(self._rng.permutation(n), device=device)

    def keep_mask(self, shape, keep_prob: float, device=None):
        """Boolean mask, True with probability ``keep_prob`` (within 2**-16).

        Drawn as raw 16-bit integers compared with a threshold, which is several
        times cheaper than drawing uniform floats.
        """
        n = math.prod(shape)
        raw = self._rng.bit_generator.random_raw(-(-n // 4))  # 64 random bits each
        bits = raw.view(np.uint16)[:n].reshape(shape)
        return self.asarray(bits < keep_threshold(keep_prob), device=device)

    def dropout_mask(self, shape, keep_prob: float, dtype, device=None):
        """Inverted dropout's mask: ``1 / keep_prob`` where kept, else 0, in ``dtype``."""
        mask = self.xp.astype(self.keep_mask(shape, keep_prob, device), dtype)
        mask *= 1.0 / keep_prob
        return mask


def window_offsets(kernel, stride, dilation, out_size):
    """(rows, cols) slices of a (padded) image read by each kernel offset (i, j) of a
    sliding window, in row-major order; each has the output's spatial shape."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
    rows = [slice(i * dh, i * dh + sh * (oh - 1) + 1, sh) for i in range(kh)]
    cols = [slice(j * dw, j * dw + sw * (ow - 1) + 1, sw) for j in range(kw)]
    return [(r, c) for r in rows for c in cols]


class UfuncKernels:
    """The fused kernels for array libraries whose ufuncs take ``out=`` and ``dtype=``
    (numpy, CuPy): in place where :class:`Backend` allocates, each in one pass.
    Mixed in before ``Backend``; the numbers are those of the generic forms."""

    def relu_(self, y):
        return self.xp.maximum(y, 0, out=y)

    def softmax_nll(self, x, labels):
        # the same numbers as the generic form, in fewer and cheaper calls: ndarray
        # methods skip numpy's Python wrappers, a fancy index with a row range made
        # on the device replaces the one-hot mask (on CuPy, the generic form's class
        # range came from the host: a synchronous upload every step)
        xp = self.xp
        shifted = x - x.max(axis=1, keepdims=True)
        picked = shifted[xp.arange(len(labels)), labels]
        probs = xp.exp(shifted, out=shifted)
        total = probs.sum(axis=1, keepdims=True)
        probs /= total
        losses = xp.log(total[:, 0])
        losses -= picked
        return losses, probs

    def softmax_nll_grad(self, probs, labels, g):
        grad = probs * g
        grad[self.xp.arange(len(labels)), labels] -= g if g.ndim == 0 else g[:, 0]
        return grad

    adam_chunk = 0  # elements per slice in adam_update_; 0: whole arrays, as Backend does

    def adam_update_(self, p, m, v, g, b1, b2, eps, step):
        # Slice by slice when the arrays are longer than adam_chunk, so that a slice
        # is still in the cache for the next of the twelve passes; two slice-sized
        # scratch buffers (out=) hold the intermediate results.
        n, size = p.size, self.adam_chunk
        if (not size or n <= size or not p.flags.c_contiguous
                or not m.flags.c_contiguous or not v.flags.c_contiguous):
            return super().adam_update_(p, m, v, g, b1, b2, eps, step)
        xp = self.xp
        p, m, v, g = (a.reshape(-1) for a in (p, m, v, g))
        scratch_t, scratch_u = xp.empty(size, p.dtype), xp.empty(size, p.dtype)
        for lo in range(0, n, size):
            hi = min(lo + size, n)
            t, u, ms, vs, gs = (scratch_t[:hi - lo], scratch_u[:hi - lo], m[lo:hi], v[lo:hi],
                                g[lo:hi])
            ms *= b1
            xp.multiply(gs, 1.0 - b1, out=t)
            ms += t
            xp.multiply(gs, gs, out=u)
            u *= 1.0 - b2
            vs *= b2
            vs += u
            xp.sqrt(vs, out=t)
            t += eps
            xp.divide(ms, t, out=t)
            t *= step
            p[lo:hi] -= t



def keep_threshold(keep_prob: float) -> int:
    """The 16-bit threshold whose ``bits < threshold`` is true with ``keep_prob``."""
    return int(round(keep_prob * 65536))


def _host_key(backend, key):
    if isinstance(key, tuple):
        return tuple(_host_key(backend, k) for k in key)
    if isinstance(key, backend.array_types):
        return backend.to_numpy(key)
    return key
