"""2-D max and average pooling over NCHW input.

Both read the same sliding windows as conv2d (see
:func:`minigrad.functions.conv.sliding_window`): one strided slice per kernel
offset, never a loop over pixels. Shapes and padding follow PyTorch
(``stride`` defaults to ``kernel_size``); ``padding="same"``/``"valid"``
follow Keras.
"""
from __future__ import annotations

import builtins
import math

from minigrad import backend
from minigrad.core import Function, Variable, constant, recording
from minigrad.functions.array import reshape, transpose
from minigrad.functions.conv import Im2Col, check_nchw, shape_of, sliding_window
from minigrad.functions.reduction import sum


__all__ = [
    "MaxPool2d",
    "MaxPool2dGrad",
    "max_pool2d",
    "avg_pool2d",
]


def _pool_window(op, x, kernel_size, stride, padding, dilation=1):
    shape = shape_of(op, "input", x)
    check_nchw(op, shape)
    window = sliding_window(op, shape[2:], kernel_size,
                            kernel_size if stride is None else stride, padding, dilation)
    spans = [d * (k - 1) + 1 for k, d in zip(window.kernel, window.dilation)]
    if not isinstance(padding, str) and any(a > s // 2 for (a, _), s in zip(window.pad, spans)):
        raise ValueError(
            f"{op}: padding {padding!r} must be at most half the kernel size {kernel_size!r} "
            f"(dilated {spans[0]}x{spans[1]}; input shape {shape})"
        )
    return window


def _padded(x, window, fill):
    """x inside a border of ``fill`` as wide as the window's padding."""
    if not window.padded:
        return x
    n, c = x.shape[:2]
    buf = backend.zeros((n, c, *window.padded_size), x.dtype, like=x)
    if fill:
        buf[...] = fill
    rows, cols = window.interior()
    buf[:, :, rows, cols] = x
    return buf


class MaxPool2d(Function):
    """y[n, c, p, q] = max over the window at (p, q) of x padded with -inf.

    The maximum is taken over the kernel's rows, then over its columns
    (kh - 1 + kw - 1 passes). Ties: the gradient goes to the first maximal
    element of each window in row-major order (as PyTorch's CPU kernel), so it
    is not split; an element that is the chosen maximum of several overlapping
    windows collects all of their gradients. The forward keeps only y: the
    backward finds each window's first element equal to y (the backend's
    ``max_pool_grad``; no index array) and adds gy there. ``choice`` (the index of the chosen
    offset per output) is built only for a recorded backward
    (MaxPool2dGrad); given, the forward picks those elements instead (the
    adjoint of MaxPool2dGrad, used for double backward).
    """

    def __init__(self, window, choice=None):
        self.window = window
        self.choice = choice

    def forward(self, x):
        xp, w = self.xp, self.window
        if self.choice is not None:
            windows = [_padded(x, w, 0.0)[:, :, r, c] for r, c in w.offsets()]
            y = windows[0] * xp.astype(self.choice == 0, x.dtype)
            for k, win in enumerate(windows[1:], 1):
                y = y + win * xp.astype(self.choice == k, x.dtype)
            return y
        self.y = _window_max(_padded(x, w, -math.inf), w, xp)
        return self.y

    def backward(self, gy):
        x = self.inputs[0].data
        if self.choice is None:
            if not recording():
                return constant(_grad_to_first_maxima(gy.data, x, self.y, self.window))
            self.choice = self._choice(x)
        return MaxPool2dGrad(self.window, self.choice, x)(gy)

    def _choice(self, x):
        """The offset index of each window's first maximum, as int8 (int32 for 128
        or more offsets)."""
        xp = self.xp
        index = xp.int8 if self.window.size < 128 else xp.int32
        choice = backend.zeros(self.y.shape, index, like=x)
        hits = _first_maxima(_padded(x, self.window, -math.inf), self.y, self.window, xp)
        for k, hit in enumerate(hits):
            if k:
                choice = choice + xp.astype(hit, index) * k
        return choice


class MaxPool2dGrad(Function):
    """The backward of max_pool2d: gx = zeros with each gy[n, c, p, q] added
    to the element its window chose. dgy = ggx at the chosen elements
    (MaxPool2d with the same ``choice``)."""

    def __init__(self, window, choice, like):
        self.window = window
        self.choice = choice
        self.like = like

    def forward(self, gy):
        xp, w = self.xp, self.window
        if w.padded:
            gx = backend.zeros((*gy.shape[:2], *w.padded_size), gy.dtype, like=gy)
        else:
            gx = xp.zeros_like(self.like)  # numpy keeps the input's memory layout
        for k, (r, c) in enumerate(w.offsets()):
            part = gy * xp.astype(self.choice == k, gy.dtype)
            if w.overlapping:
                gx[:, :, r, c] += part
            else:
                gx[:, :, r, c] = part
        rows, cols = w.interior()
        return gx[:, :, rows, cols] if w.padded else gx

    def backward(self, ggx):
        return MaxPool2d(self.window, self.choice)(ggx)


def _window_max(xpad, window, xp):
    """The maximum of each window of the padded input: over the kernel's rows
    for every column, then over the kernel's columns."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = (window.kernel, window.stride, window.dilation,
                                              window.out_size)
    rows = [xpad[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, :] for i in range(kh)]
    best = rows[0] if kh == 1 else xp.maximum(rows[0], rows[1])
    for part in rows[2:]:
        best = xp.maximum(best, part)
    cols = [best[:, :, :, j * dw:j * dw + sw * (ow - 1) + 1:sw] for j in range(kw)]
    if kh == kw == 1:
        return xp.asarray(cols[0], copy=True)  # a new array, not a view of x
    best = cols[0] if kw == 1 else xp.maximum(cols[0], cols[1])
    for part in cols[2:]:
        best = xp.maximum(best, part)
    return best


def _first_maxima(xpad, y, window, xp):
    """For each kernel offset in row-major order, where it holds its window's first
    maximum: ``x == y`` there and at no earlier offset (bool, y's shape)."""
    taken = None
    for r, c in window.offsets():
        hit = xpad[:, :, r, c] == y
        if taken is not None:
            hit = xp.logical_and(hit, xp.logical_not(taken))
            taken = xp.logical_or(taken, hit)
        else:
            taken = hit
        yield hit


def _grad_to_first_maxima(gy, x, y, window):
    """dx of max pooling on arrays: each gy[n, c, p, q] added at its window's first
    maximum (the backend's ``max_pool_grad``)."""
    w = window
    gx = backend.backend_of(gy).max_pool_grad(_padded(x, w, -math.inf), y, gy, w.kernel,
                                              w.stride, w.dilation)
    rows, cols = w.interior()
    return gx[:, :, rows, cols] if w.padded else gx


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """Maximum over each (kh, kw) window of NCHW ``x``, per channel.

    ``stride`` defaults to ``kernel_size``; ``padding`` (int, pair, ``"valid"``
    or ``"same"``) pads with -inf, and an int padding must be at most half the
    kernel (as PyTorch). Output size as :func:`conv2d`. See :class:`MaxPool2d`
    for ties.
    """
    return MaxPool2d(_pool_window("max_pool2d", x, kernel_size, stride, padding, dilation))(x)


def _window_counts(window, like):
    """How many elements of the unpadded input each window covers, as (OH, OW, 1)."""
    per_axis = []
    for size, k, s, d, (before, _), out in zip(
        window.in_size, window.kernel, window.stride, window.dilation, window.pad, window.out_size
    ):
        per_axis.append([
            builtins.sum(0 <= p * s + i * d - before < size for i in range(k)) for p in range(out)
        ])
    counts = [[[float(a * b)] for b in per_axis[1]] for a in per_axis[0]]
    return backend.as_array(counts, dtype=like.dtype, device=backend.device_of(like))


def avg_pool2d(x, kernel_size, stride=None, padding=0, *, count_include_pad=True):
    """Mean over each (kh, kw) window of NCHW ``x``, per channel (PyTorch's
    ``F.avg_pool2d`` without ``ceil_mode``, its fifth positional argument, so
    ``count_include_pad`` is keyword-only).

    ``stride`` defaults to ``kernel_size``; ``padding`` pads with zeros (int,
    pair, ``"valid"`` or ``"same"``). With ``count_include_pad=True`` (PyTorch's
    default) every window is divided by kh*kw, padding included; with False by
    the number of input elements it covers (Keras' ``"same"`` pooling).
    Computed as the mean of im2col's columns, so it differentiates any number of times.
    """
    window = _pool_window("avg_pool2d", x, kernel_size, stride, padding)
    n, c = x.shape[:2]
    total = reshape(sum(Im2Col(window)(x), axis=0), (n, *window.out_size, c))
    if count_include_pad or not window.padded:
        y = total * (1.0 / window.size)
    else:
        y = total / _window_counts(window, x.data if isinstance(x, Variable) else x)
    return transpose(y, (0, 3, 1, 2))
