"""2-D convolution as one matrix product (im2col lowering), and its transpose.

The forward pass copies every receptive field of the NCHW input into one row
of a matrix, channels last (the backend's ``windows`` kernel: on numpy one
copy of a strided view, never a loop over pixels), so the convolution is a
single large matrix product that BLAS runs at full speed: y = im2col(x) W + b,
channels-last in memory. The gradient with respect to the input multiplies gy
by each kernel offset's (C, out) block and adds the results back onto the
input (col2im, the backend's ``conv_input_grad``: one strided add per offset
on numpy, one product and one gather kernel on CuPy); dW is one matrix product with
the saved columns. Each backward has a form written with differentiable
functions, so conv2d differentiates any number of times, and a form on arrays
for the ordinary first-order backward pass.
Shapes and padding follow PyTorch; ``padding="same"``/``"valid"`` follow Keras.
Source: Chellapilla, Puri and Simard, "High Performance Convolutional Neural
Networks for Document Processing" (2006).
"""
from __future__ import annotations

import dataclasses
import math

from minigrad import backend
from minigrad.backend.base import window_offsets
from minigrad.core import Function, as_variable, constant, recording
from minigrad.functions.array import reshape, transpose
from minigrad.functions.linalg import ProductReLU, matmul
from minigrad.functions.reduction import sum


__all__ = [
    "Conv2d",
    "Conv2dGradWeight",
    "Conv2dReLU",
    "Im2Col",
    "Col2Im",
    "conv2d",
    "conv2d_relu",
    "conv_transpose2d",
    "im2col",
    "col2im",
]


@dataclasses.dataclass(frozen=True)
class Window:
    """Where a 2-D sliding window reads: sizes are (height, width) pairs and
    ``pad`` is ((top, bottom), (left, right))."""

    in_size: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    pad: tuple

    @property
    def padded_size(self):
        return tuple(n + a + b for n, (a, b) in zip(self.in_size, self.pad))

    @property
    def out_size(self):
        """floor((H + pads - d (k - 1) - 1) / s) + 1 per axis, as PyTorch."""
        return tuple(
            (p - d * (k - 1) - 1) // s + 1
            for p, k, s, d in zip(self.padded_size, self.kernel, self.stride, self.dilation)
        )

    @property
    def size(self):
        """Number of kernel offsets, kh * kw."""
        return self.kernel[0] * self.kernel[1]

    @property
    def padded(self):
        return any(a or b for a, b in self.pad)

    @property
    def overlapping(self):
        """Whether two kernel offsets can read the same input element."""
        return any(s < d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))

    def offsets(self):
        """(rows, cols) slices of the padded input read by each kernel offset
        (i, j), in row-major order; each has the output's spatial shape."""
        return window_offsets(self.kernel, self.stride, self.dilation, self.out_size)

    def interior(self):
        """(rows, cols) slices of the padded input that hold the input itself."""
        (top, _), (left, _) = self.pad
        return slice(top, top + self.in_size[0]), slice(left, left + self.in_size[1])


def pair(op, name, value, minimum):
    """``value`` (an int or a pair of ints, each >= ``minimum``) as a pair."""
    values = (value, value) if isinstance(value, int) else value
    if (
        not isinstance(values, (tuple, list)) or len(values) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    ):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(values)


def _same_pad(size, kernel, stride, dilation):
    """Keras "same": output ceil(size / stride), the odd pixel at the end."""
    total = max((math.ceil(size / stride) - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def sliding_window(op, in_size, kernel_size, stride=1, padding=0, dilation=1):
    """Check the arguments of a 2-D windowed operation and return its Window.

    ``padding`` is an int, a pair, ``"valid"`` (none) or ``"same"`` (output
    size ceil(input / stride) as Keras; with stride 1 the padding of PyTorch's
    ``"same"``, the odd pixel going to the bottom/right).
    """
    kernel = pair(op, "kernel_size", kernel_size, 1)
    stride = pair(op, "stride", stride, 1)
    dilation = pair(op, "dilation", dilation, 1)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(
                f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
            )
        pad = (
            tuple(_same_pad(*args) for args in zip(in_size, kernel, stride, dilation))
            if padding == "same" else ((0, 0), (0, 0))
        )
    else:
        pad = tuple((p, p) for p in pair(op, "padding", padding, 0))
    window = Window(tuple(in_size), kernel, stride, dilation, pad)
    for axis, p, k, d in zip(("height", "width"), window.padded_size, kernel, dilation):
        if d * (k - 1) + 1 > p:
            raise ValueError(
                f"{op}: kernel {kernel[0]}x{kernel[1]} (dilation {dilation[0]}x{dilation[1]}) is "
                f"larger than the padded input {window.padded_size[0]}x{window.padded_size[1]} "
                f"in {axis} (input {in_size[0]}x{in_size[1]}, padding {padding!r})"
            )
    return window


def shape_of(op, name, a):
    shape = getattr(a, "shape", None)
    if shape is None:
        raise TypeError(f"{op}: {name} must be a Variable or an array, got {type(a).__name__}")
    return tuple(shape)


def check_nchw(op, shape, name="input"):
    if len(shape) != 4:
        raise ValueError(f"{op}: expected a 4-D {name} (N, C, H, W), got shape {shape}")


# -- array helpers (forward passes and first-order backward passes) --------------
def _nhwc(x, window, xp):
    """x (N, C, H, W) as a C-contiguous, zero-padded (N, H', W', C) array, so
    that each kernel offset copies whole runs of channels. A channels-last
    array seen as NCHW (what conv2d returns) needs no copy."""
    xh = xp.permute_dims(x, (0, 2, 3, 1))
    if not window.padded and getattr(getattr(xh, "flags", None), "c_contiguous", False):
        return xh
    n, c = x.shape[:2]
    buf = backend.zeros((n, *window.padded_size, c), x.dtype, like=x)
    rows, cols = window.interior()
    buf[:, rows, cols, :] = xh
    return buf


def _patches(x, window, xp, axis):
    """The input under each kernel offset, (N, OH, OW, C) each, stacked on ``axis``."""
    xh = _nhwc(x, window, xp)
    return xp.stack([xh[:, r, c, :] for r, c in window.offsets()], axis=axis)


def _columns(x, window):
    """im2col(x) as one (N*OH*OW, kh*kw*C) matrix, one row per output pixel: its
    receptive field, kernel offsets major and channels minor (the backend's
    ``windows`` kernel: on numpy one strided copy)."""
    w = window
    windows = backend.backend_of(x).windows(_nhwc(x, w, backend.namespace(x)), w.kernel,
                                            w.stride, w.dilation, w.out_size)
    return backend.namespace(x).reshape(windows, (-1, w.size * x.shape[1]))


def _kernel_matrix(W, xp):
    """Kernel (out, C, kh, kw) as the (kh*kw*C, out) matrix that multiplies the columns."""
    return xp.reshape(xp.permute_dims(W, (2, 3, 1, 0)), (-1, W.shape[0]))


def _rows_to_nchw(y, n, size, xp):
    """(N*OH*OW, C) rows, channels last, as an (N, C, OH, OW) view."""
    return xp.permute_dims(xp.reshape(y, (n, *size, y.shape[-1])), (0, 3, 1, 2))


def _array_rows(g, xp):
    """(N, C, H, W) -> (N*H*W, C) on arrays: a view when g is channels-last in memory."""
    return xp.reshape(xp.permute_dims(g, (0, 2, 3, 1)), (-1, g.shape[1]))


def _array_grad_input(g_rows, W, window):
    """dx of a convolution on arrays (the backend's ``conv_input_grad``: col2im of the
    output gradient times the kernel), as an (N, C, H, W) view of the padded input."""
    w = window
    dx = backend.backend_of(g_rows).conv_input_grad(g_rows, W, w.kernel, w.stride, w.dilation,
                                                    w.out_size, w.padded_size)
    rows, cols = w.interior()
    return backend.namespace(dx).permute_dims(dx[:, rows, cols, :], (0, 3, 1, 2))


def _array_grad_weight(columns, g_rows, window, channels, xp):
    """dW = columns^T g (the backend's ``matmul_tn``) as an (out, C, kh, kw) array."""
    gW = backend.backend_of(g_rows).matmul_tn(columns, g_rows)
    return xp.permute_dims(xp.reshape(gW, (*window.kernel, channels, -1)), (3, 2, 0, 1))


# -- differentiable helpers (recorded backward passes) ------------------------
def _rows(x):
    """(N, C, H, W) -> (N*H*W, C): one row per pixel, channels last."""
    return reshape(transpose(x, (0, 2, 3, 1)), (-1, x.shape[1]))


def _offset_blocks(W):
    """Kernel (out, C, kh, kw) as kh*kw blocks of shape (out, C), one per offset."""
    return reshape(transpose(W, (2, 3, 0, 1)), (-1, W.shape[0], W.shape[1]))


def _grad_input(gy_rows, W, window):
    """dx of a convolution with kernel W: col2im of gy times each offset's block."""
    return Col2Im(window)(matmul(gy_rows, _offset_blocks(W)))


class Im2Col(Function):
    """col[k, (n, p, q), c] = x_pad[n, c, p*sh + i*dh, q*sw + j*dw], k = i*kw + j.

    x (N, C, H, W) becomes (kh*kw, N*OH*OW, C): for each kernel offset, the
    input pixels it meets, one row per output pixel, channels last (each
    offset is one strided copy). dx = col2im(gcol).
    """

    def __init__(self, window):
        self.window = window

    def forward(self, x):
        xp, w = self.xp, self.window
        return xp.reshape(_patches(x, w, xp, axis=0), (w.size, -1, x.shape[1]))

    def backward(self, gcol):
        return Col2Im(self.window)(gcol)


class Col2Im(Function):
    """The adjoint of im2col: x[n, c, h, w] = sum of the entries of col that
    im2col copies from (n, c, h, w), as one strided add per kernel offset;
    overlapping windows accumulate. dcol = im2col(gx)."""

    def __init__(self, window):
        self.window = window

    def forward(self, col):
        xp, w = self.xp, self.window
        n = col.shape[1] // (w.out_size[0] * w.out_size[1])
        parts = xp.reshape(col, (w.size, n, *w.out_size, col.shape[2]))
        buf = backend.zeros((n, *w.padded_size, col.shape[2]), col.dtype, like=col)
        for k, (r, c) in enumerate(w.offsets()):
            buf[:, r, c, :] += parts[k, ...]
        rows, cols = w.interior()
        return xp.permute_dims(buf[:, rows, cols, :], (0, 3, 1, 2))

    def backward(self, gx):
        return Im2Col(self.window)(gx)


class Conv2d(Function):
    """y = im2col(x) W + b, with x (N, C, H, W), W (out, C, kh, kw), b (out,).

    The forward lays the columns out as one (N*OH*OW, kh*kw*C) matrix for a
    single matrix product; y is channels-last in memory, seen as NCHW, so a
    following convolution reads it without a copy. dx = col2im(gy W_k per
    offset k) (transposed convolution), dW = columns^T gy (Conv2dGradWeight,
    reusing the saved columns), db = sum of gy over N, OH, OW. When the backward
    pass is not recorded, the three are computed on the arrays: one product per
    kernel offset added straight into dx, dW by the backend's ``matmul_tn`` and db
    by its ``channel_sum``.
    """

    def __init__(self, window):
        self.window = window
        self.columns = None

    def forward(self, x, W, b=None):
        xp, w = self.xp, self.window
        self.columns = _columns(x, w)
        y = self._finish(xp.matmul(self.columns, _kernel_matrix(W, xp)), b)
        return _rows_to_nchw(y, x.shape[0], w.out_size, xp)

    def _finish(self, y, b):
        """The product's rows (N*OH*OW, out) plus the bias, in place."""
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        need = self.needs_input_grad
        has_bias = len(self.inputs) == 3
        if recording():
            rows = _rows(gy)
            gx = _grad_input(rows, W, self.window) if need[0] else None
            gW = Conv2dGradWeight(self.window, self.columns)(x, rows) if need[1] else None
            # db from gy as it came (N, C, OH, OW), not from its rows: CuPy reduces a
            # tall matrix down its columns with one block per column (docs/performance.md)
            gb = sum(gy, axis=(0, 2, 3)) if has_bias and need[2] else None
        else:
            xp = self.xp
            rows = _array_rows(gy.data, xp)
            gx = constant(_array_grad_input(rows, W.data, self.window)) if need[0] else None
            gW = constant(_array_grad_weight(self.columns, rows, self.window, x.shape[1], xp)) \
                if need[1] else None
            gb = constant(backend.backend_of(rows).channel_sum(gy.data)) \
                if has_bias and need[2] else None
        return (gx, gW, gb) if has_bias else (gx, gW)


class Conv2dReLU(ProductReLU, Conv2d):
    """y = max(conv2d(x, W, b), 0) as one node: ``Conv2D(filters, ..., activation="relu")``.

    The bias and the ReLU run in place on the product's buffer (the backend's
    ``bias_relu_``: one kernel on CuPy), and the backward takes its
    mask from the output (y > 0 exactly where the convolution's value is): dz =
    gy where y > 0, else 0, then the gradients of :class:`Conv2d`. One node, one buffer
    and one pass fewer than Conv2d and ReLU apart. Paper (ReLU): Nair & Hinton, 2010.
    """

    def backward(self, gy):
        return super().backward(self._through_relu(gy))


class Conv2dGradWeight(Function):
    """dW of conv2d from its input x and the output gradient as rows
    (N*OH*OW, out): dW = im2col(x)^T gy_rows, reshaped to (out, C, kh, kw).
    Its own gradients are convolutions: dx = conv_transpose(gy, ggW),
    dgy = conv2d(x, ggW)."""

    def __init__(self, window, columns):
        self.window = window
        self.columns = columns  # im2col(x) as laid out by Conv2d's forward

    def forward(self, x, gy_rows):
        xp, w = self.xp, self.window
        gW = xp.matmul(xp.permute_dims(self.columns, (1, 0)), gy_rows)
        return xp.permute_dims(xp.reshape(gW, (*w.kernel, x.shape[1], -1)), (3, 2, 0, 1))

    def backward(self, ggW):
        x, gy_rows = self.inputs
        need = self.needs_input_grad
        gx = _grad_input(gy_rows, ggW, self.window) if need[0] else None
        ggy = _rows(Conv2d(self.window)(x, ggW)) if need[1] else None
        return gx, ggy


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """The input under each kernel offset of NCHW ``x``, as a (kh*kw, N*OH*OW, C)
    array (see :class:`Im2Col`). Arguments as :func:`conv2d`."""
    shape = shape_of("im2col", "input", x)
    check_nchw("im2col", shape)
    return Im2Col(sliding_window("im2col", shape[2:], kernel_size, stride, padding, dilation))(x)


def col2im(col, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Add ``col`` (kh*kw, N*OH*OW, C), as made by :func:`im2col`, back onto an
    array of ``input_shape`` (N, C, H, W); overlapping windows accumulate."""
    shape = shape_of("col2im", "col", col)
    input_shape = tuple(input_shape)
    check_nchw("col2im", input_shape, "input_shape")
    n, c, h, w = input_shape
    window = sliding_window("col2im", (h, w), kernel_size, stride, padding, dilation)
    expected = (window.size, n * window.out_size[0] * window.out_size[1], c)
    if shape != expected:
        raise ValueError(
            f"col2im: col has shape {shape}, but input_shape {input_shape} with these "
            f"window arguments needs {expected}"
        )
    return Col2Im(window)(col)


def _check_kernel(op, xs, ws, layout, channel_axis):
    check_nchw(op, xs)
    if len(ws) != 4:
        raise ValueError(f"{op}: expected a 4-D kernel {layout}, got shape {ws}")
    if xs[1] != ws[channel_axis]:
        raise ValueError(
            f"{op}: input has {xs[1]} channels but the kernel expects {ws[channel_axis]} "
            f"(input shape {xs}, kernel shape {ws})"
        )


def _check_bias(op, b, channels):
    if b is not None and shape_of(op, "bias", b) != (channels,):
        raise ValueError(f"{op}: bias has shape {shape_of(op, 'bias', b)}, expected ({channels},)")


def conv2d(x, W, b=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as in every framework) of NCHW ``x``.

    y[n, o, p, q] = b[o] + sum_{c,i,j} W[o, c, i, j] x_pad[n, c, p*sh + i*dh, q*sw + j*dw]

    ``x`` (N, C, H, W); ``W`` (out_channels, C, kh, kw) as PyTorch; ``b``
    (out_channels,) or None; ``stride``, ``dilation``: int or pair; ``padding``:
    int, pair, ``"valid"`` or ``"same"`` (see :func:`sliding_window`). Returns
    (N, out_channels, OH, OW), OH = floor((H + 2p - d (kh - 1) - 1) / s) + 1.
    """
    return _conv_node(Conv2d, "conv2d", x, W, b, stride, padding, dilation)


def conv2d_relu(x, W, b=None, stride=1, padding=0, dilation=1):
    """``relu(conv2d(x, W, b, ...))`` as one node (what ``Conv2D(activation="relu")``
    runs): the numbers of the two apart, with one buffer and one pass fewer.
    Arguments as :func:`conv2d`."""
    return _conv_node(Conv2dReLU, "conv2d_relu", x, W, b, stride, padding, dilation)


def _conv_node(node, op, x, W, b, stride, padding, dilation):
    xs, ws = shape_of(op, "input", x), shape_of(op, "kernel", W)
    _check_kernel(op, xs, ws, "(out_channels, in_channels, kh, kw)", 1)
    _check_bias(op, b, ws[0])
    window = sliding_window(op, xs[2:], ws[2:], stride, padding, dilation)
    return node(window)(x, W) if b is None else node(window)(x, W, b)


def conv_transpose2d(x, W, b=None, stride=1, padding=0, output_padding=0, *, dilation=1):
    """Transposed convolution: the gradient of conv2d with respect to its input.

    PyTorch's ``F.conv_transpose2d`` without ``groups``; ``dilation`` is
    keyword-only because PyTorch's seventh positional argument is ``groups``.

    ``x`` (N, C_in, H, W); ``W`` (C_in, C_out, kh, kw) as PyTorch; ``b`` (C_out,).
    Returns (N, C_out, OH, OW), OH = (H - 1) s - 2p + d (kh - 1) + output_padding + 1;
    ``output_padding`` (smaller than the stride) picks one of the sizes that
    conv2d with the same arguments maps to H. Computed as col2im(x W_k per offset k).
    """
    op = "conv_transpose2d"
    xs, ws = shape_of(op, "input", x), shape_of(op, "kernel", W)
    _check_kernel(op, xs, ws, "(in_channels, out_channels, kh, kw)", 0)
    _check_bias(op, b, ws[1])
    kernel, s = ws[2:], pair(op, "stride", stride, 1)
    p, d = pair(op, "padding", padding, 0), pair(op, "dilation", dilation, 1)
    extra = pair(op, "output_padding", output_padding, 0)
    if any(e >= si for e, si in zip(extra, s)):
        raise ValueError(
            f"{op}: output_padding {output_padding!r} must be smaller than the stride {stride!r}"
        )
    out = tuple((h - 1) * si - 2 * pi + di * (k - 1) + e + 1
                for h, si, pi, di, k, e in zip(xs[2:], s, p, d, kernel, extra))
    if min(out) < 1:
        raise ValueError(
            f"{op}: padding {padding!r} leaves an empty output {out} (input shape {xs})"
        )
    x = as_variable(x)
    W = as_variable(W, like=x)  # constants take x's dtype, as in conv2d
    b = b if b is None else as_variable(b, like=x)
    y = _grad_input(_rows(x), W, sliding_window(op, out, kernel, s, p, d))
    return y if b is None else y + reshape(b, (1, ws[1], 1, 1))
