"""The CUDA C++ of the CuPy backend's elementwise kernels, as plain data.

Kept apart from :mod:`minigrad.backend.cupy_backend` (which compiles them with
``cupy.ElementwiseKernel``) so that a machine without a GPU can check them: the
bodies use only C++ that a host compiler also accepts, and
tests/backend/test_cuda_sources.py compiles each one in a loop over ``i`` and
compares it, bit for bit, with the generic form it replaces (``Backend``'s
method of the same purpose). CuPy's conventions: ``i`` is the output index;
a ``raw`` parameter is the whole array, indexed by its flat C-order index; any
other array parameter is its element ``i`` (inputs broadcast to the output's
shape); ``T`` is the type of the arrays given for it.
"""
from __future__ import annotations

import dataclasses

from minigrad.backend import philox


@dataclasses.dataclass(frozen=True)
class Elementwise:
    """One ``cupy.ElementwiseKernel``: its parameters, body, name and compiler options."""

    in_params: str
    out_params: str
    operation: str
    name: str
    options: tuple = ()
    preamble: str = ""


# Backend.adam_update_'s twelve passes in one; --fmad=false rounds every product on its
# own as the separate passes do, and 1 - b1, 1 - b2 come rounded from the host as the
# passes' Python floats do, so the numbers are the generic ones bit for bit
ADAM_UPDATE = Elementwise(
    "T g, T b1, T a1, T b2, T a2, T eps, T step", "T p, T m, T v",
    "m = m * b1; m += g * a1; T s = g * g; s *= a2; v = v * b2; v += s;"
    " p -= (m / (sqrt(v) + eps)) * step;",
    "minigrad_adam_update", ("--fmad=false",))

# max pooling's backward over windows that tile the image (stride = kernel, no
# dilation): one thread per output element sends gy to the first maximum of its
# window, in row-major order (Backend.max_pool_grad's rule); windows do not overlap,
# so every element of gx is written by at most one thread
MAX_POOL_GRAD = Elementwise(
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

# col2im as a gather: one thread per element (n, h, w, c) of the padded, channels-last
# input adds the window entries that read it, cols[n, p, q, a, b, c] for every kernel
# offset (a, b) with h = p sh + a dh and w = q sw + b dw, in row-major order of (a, b)
# from 0 (the order of Backend.conv_input_grad's strided adds, so the same sums); each
# element is written once, where the adds read and write the whole input kh*kw times
COL2IM = Elementwise(
    "raw T cols, int64 Hp, int64 Wp, int64 C, int64 OH, int64 OW, int64 kh, int64 kw,"
    " int64 sh, int64 sw, int64 dh, int64 dw",
    "T x",
    """
    long long c = i % C, w = (i / C) % Wp, h = (i / (C * Wp)) % Hp, n = i / (C * Wp * Hp);
    T total = 0;
    for (long long a = 0; a < kh; ++a) {
        long long r = h - a * dh;
        if (r < 0) break;
        if (r % sh != 0 || r / sh >= OH) continue;
        for (long long b = 0; b < kw; ++b) {
            long long s = w - b * dw;
            if (s < 0) break;
            if (s % sw != 0 || s / sw >= OW) continue;
            total += cols[((((n * OH + r / sh) * OW + s / sw) * kh + a) * kw + b) * C + c];
        }
    }
    x = total;
    """,
    "minigrad_col2im")

# y + b and the ReLU in one pass over a layer's product (Backend.bias_relu_'s two);
# numpy's maximum(s, 0): nan stays nan, -0.0 becomes 0
BIAS_RELU = Elementwise(
    "T b", "T y",
    "T s = y + b; y = (s > (T)0 || s != s) ? s : (T)0;",
    "minigrad_bias_relu")

# inverted dropout's mask in one pass: Backend.dropout_mask's keep mask (the 16-bit
# chunk i of the Philox stream of ``key`` against ``threshold``: philox.KEEP_OPERATION)
# and its scaling to ``scale`` where kept, else 0
DROPOUT_MASK = Elementwise(
    "uint64 key, uint32 threshold, T scale", "T mask",
    "unsigned int w = minigrad_philox_word(key, ((unsigned long long)i) >> 1);"
    "mask = (((i & 1) ? (w >> 16) : (w & 0xFFFFu)) < threshold) ? scale : (T)0;",
    "minigrad_dropout_mask", preamble=philox.CUDA_PREAMBLE)

# softmax cross-entropy of one row of C logits per thread (Backend.softmax_nll's ten or
# so kernels in one): the row's maximum, probs = exp(x - max) / their total, loss =
# log(total) - (x[label] - max). A label outside [0, C), which the losses' range check
# rules out before, gives nan (log of the negative -total, total >= 1), not a read out
# of bounds
SOFTMAX_NLL = Elementwise(
    "raw T x, int64 label, int64 C", "T loss, raw T probs",
    """
    long long row = i * C;
    T top = x[row];
    for (long long c = 1; c < C; ++c) {
        if (x[row + c] > top) top = x[row + c];
    }
    T total = 0;
    for (long long c = 0; c < C; ++c) {
        T e = exp(x[row + c] - top);
        probs[row + c] = e;
        total += e;
    }
    for (long long c = 0; c < C; ++c) probs[row + c] = probs[row + c] / total;
    loss = (label < 0 || label >= C) ? log(-total) : log(total) - (x[row + label] - top);
    """,
    "minigrad_softmax_nll")

# its gradient, (probs - one_hot(labels)) g, as UfuncKernels.softmax_nll_grad rounds it:
# probs g, then g subtracted at the label (--fmad=false: no fused multiply-subtract);
# g is one weight for every row (g_stride 0) or one per row (g_stride 1)
SOFTMAX_NLL_GRAD = Elementwise(
    "T p, raw int64 labels, raw T g, int64 C, int64 g_stride", "T gx",
    "long long r = i / C; T w = g[r * g_stride]; T v = p * w;"
    " if (labels[r] == i % C) v -= w; gx = v;",
    "minigrad_softmax_nll_grad", ("--fmad=false",))
