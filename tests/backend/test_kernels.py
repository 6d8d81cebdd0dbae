"""The backends' fused kernels: each backend's version against the generic one
(``Backend``'s, written with the array API alone) and against float64 formulas."""

import numpy as np
import pytest

from minigrad import backend
from minigrad.backend.base import Backend


def _on(device, array):
    return backend.to_device(array, device)


def _both(device):
    """The device's backend, and the generic methods bound to it."""
    b = backend.get_backend(device)
    return b, lambda name: getattr(Backend, name).__get__(b)


def test_softmax_nll_matches_the_generic_kernel_and_the_formula(device):
    b, generic = _both(device)
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((16, 5)) * 30).astype(np.float32)  # large: needs the shift
    labels = rng.integers(0, 5, 16)
    x, t = _on(device, logits), _on(device, labels)
    losses, probs = b.softmax_nll(x, t)
    ref_losses, ref_probs = generic("softmax_nll")(x, t)
    np.testing.assert_allclose(backend.to_numpy(losses), backend.to_numpy(ref_losses), rtol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(probs), backend.to_numpy(ref_probs), rtol=1e-6)
    z = logits.astype(np.float64)
    lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
    np.testing.assert_allclose(backend.to_numpy(losses), lse - z[np.arange(16), labels],
                               rtol=1e-5, atol=1e-5)
    assert losses.dtype == probs.dtype == x.dtype and losses.shape == (16,)


@pytest.mark.parametrize("weights", ["scalar", "rows"])
def test_softmax_nll_grad_is_probs_minus_one_hot_times_the_weight(device, weights):
    b, generic = _both(device)
    rng = np.random.default_rng(1)
    p = rng.random((6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    g = np.float32(0.25) if weights == "scalar" else rng.random((6, 1)).astype(np.float32)
    probs, t, w = _on(device, p), _on(device, labels), _on(device, np.asarray(g))
    grad = backend.to_numpy(b.softmax_nll_grad(probs, t, w))
    expected = (p - np.eye(4, dtype=np.float32)[labels]) * g
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(backend.to_numpy(generic("softmax_nll_grad")(probs, t, w)),
                               expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(backend.to_numpy(probs), p)  # its input is left alone


@pytest.mark.parametrize("layout", ["slices", "fortran"])
def test_adam_update_matches_the_generic_kernel_and_the_formula(device, monkeypatch, layout):
    """The update in slices (adam_chunk 7 over 30 entries: a short last slice), and on
    a non-contiguous parameter, which is updated whole and in place: bit for bit the
    generic kernel's numbers."""
    b, generic = _both(device)
    monkeypatch.setattr(b, "adam_chunk", 7, raising=False)
    rng = np.random.default_rng(3)
    p0, g = rng.standard_normal((2, 3, 10)).astype(np.float32)
    m0 = rng.standard_normal((3, 10)).astype(np.float32)
    v0 = rng.random((3, 10)).astype(np.float32)
    if layout == "fortran":
        p0, g, m0, v0 = (np.asfortranarray(a) for a in (p0, g, m0, v0))
    b1, b2, eps, step = 0.9, 0.999, 1e-3, 0.01
    results = []
    for update in (b.adam_update_, generic("adam_update_")):
        p, m, v = (_on(device, a.copy(order="K")) for a in (p0, m0, v0))
        if layout == "fortran" and device == "cpu":
            assert not p.flags.c_contiguous
        update(p, m, v, _on(device, g), b1, b2, eps, step)
        results.append([backend.to_numpy(a) for a in (p, m, v)])
        assert p.dtype == m.dtype == v.dtype == _on(device, p0).dtype
    for got, generic_result in zip(*results):  # the same operations in the same order
        np.testing.assert_array_equal(got, generic_result)
    p64, g64, m64, v64 = (a.astype(np.float64) for a in (p0, g, m0, v0))
    m64 = b1 * m64 + (1 - b1) * g64
    v64 = b2 * v64 + (1 - b2) * g64 * g64
    p64 = p64 - step * m64 / (np.sqrt(v64) + eps)
    for got, expected in zip(results[0], (p64, m64, v64)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("channels, kernel, stride, dilation", [
    (1, (3, 3), (1, 1), (1, 1)),    # one channel: numpy copies a slice per offset
    (3, (3, 2), (2, 1), (1, 2)),    # several: one copy of a strided view
])
def test_windows_are_the_receptive_fields(device, channels, kernel, stride, dilation):
    b, generic = _both(device)
    x = np.random.default_rng(5).standard_normal((2, 7, 6, channels)).astype(np.float32)
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    out = ((7 - dh * (kh - 1) - 1) // sh + 1, (6 - dw * (kw - 1) - 1) // sw + 1)
    expected = np.empty((2, *out, kh, kw, channels), np.float32)
    for p in range(out[0]):
        for q in range(out[1]):
            for i in range(kh):
                for j in range(kw):
                    expected[:, p, q, i, j] = x[:, p * sh + i * dh, q * sw + j * dw]
    for windows in (b.windows, generic("windows")):
        got = windows(_on(device, x), kernel, stride, dilation, out)
        np.testing.assert_array_equal(backend.to_numpy(got), expected)


@pytest.mark.parametrize("layout", ["channels_last", "channels_first"])
@pytest.mark.parametrize("pixels", [(10, 10), (8, 8), (5, 6)])
def test_channel_sum_sums_all_but_the_channel_axis(device, layout, pixels):
    """Batches of 10: 1000 rows of channels (numpy adds 15 groups of 64, then 40
    rows), 640 (10 groups), 300 (4 groups and 44 rows)."""
    b, generic = _both(device)
    g = np.random.default_rng(6).standard_normal((10, 7, *pixels)).astype(np.float32)
    if layout == "channels_last":
        g = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    for channel_sum in (b.channel_sum, generic("channel_sum")):
        got = channel_sum(_on(device, g))
        assert got.dtype == _on(device, g).dtype and got.shape == (7,)
        np.testing.assert_allclose(backend.to_numpy(got), g.astype(np.float64).sum((0, 2, 3)),
                                   rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("kernel, stride, size", [
    ((2, 2), (2, 2), 7),   # windows that tile the image (the odd row and column uncovered)
    ((3, 2), (3, 2), 6),
    ((2, 2), (1, 1), 6),   # overlapping windows
    ((2, 2), (3, 3), 7),   # gaps between the windows
])
def test_max_pool_grad_gives_each_window_gradient_to_its_first_maximum(device, kernel, stride,
                                                                       size):
    """Windows over small integers, so that most of them hold tied maxima: each gy goes
    to the first in row-major order, and an element chosen by several windows collects
    all their gradients."""
    b, generic = _both(device)
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, (2, 3, size, size)).astype(np.float32)
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = (size - kh) // sh + 1, (size - kw) // sw + 1
    windows = np.stack([x[:, :, p * sh:p * sh + kh, q * sw:q * sw + kw].reshape(2, 3, -1)
                        for p in range(oh) for q in range(ow)], axis=2)
    y = windows.max(-1).reshape(2, 3, oh, ow)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    expected = np.zeros_like(x)
    first = windows.argmax(-1).reshape(2, 3, oh, ow)  # the first maximum in row-major order
    for index in np.ndindex(*y.shape):
        nn, cc, p, q = index
        i, j = divmod(first[index], kw)
        expected[nn, cc, p * sh + i, q * sw + j] += gy[index]
    for grad in (b.max_pool_grad, generic("max_pool_grad")):
        gx = grad(_on(device, x), _on(device, y), _on(device, gy), kernel, stride, (1, 1))
        np.testing.assert_allclose(backend.to_numpy(gx), expected, rtol=1e-6, atol=1e-6)
        assert gx.dtype == _on(device, x).dtype


def test_max_pool_grad_keeps_a_channels_last_layout():
    x = np.random.default_rng(8).standard_normal((2, 5, 5, 4)).astype(np.float32)
    x = x.transpose(0, 3, 1, 2)  # NCHW seen over channels-last memory
    y = np.maximum.reduce([x[:, :, i:4:2, j:4:2] for i in range(2) for j in range(2)])
    gx = backend.get_backend("cpu").max_pool_grad(x, y, np.ones_like(y), (2, 2), (2, 2), (1, 1))
    assert gx.strides == x.strides


@pytest.mark.parametrize("columns", [3, 40])  # either orientation of the product
def test_matmul_tn_is_the_transposed_product(device, columns):
    b, generic = _both(device)
    rng = np.random.default_rng(9)
    x, g = rng.standard_normal((500, columns)), rng.standard_normal((500, 7))
    for matmul_tn in (b.matmul_tn, generic("matmul_tn")):
        got = backend.to_numpy(matmul_tn(_on(device, x), _on(device, g)))
        np.testing.assert_allclose(got, x.T @ g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel, stride, dilation, out_size", [
    ((3, 3), (1, 1), (1, 1), (4, 5)),   # overlapping windows
    ((2, 2), (3, 2), (1, 1), (3, 3)),   # gaps between the rows of windows
    ((3, 2), (2, 1), (2, 2), (2, 3)),   # dilation
])
def test_conv_input_grad_is_col2im_of_the_gradient_times_the_kernel(device, kernel, stride,
                                                                    dilation, out_size):
    """dx[n, p sh + i dh, q sw + j dw, c] += sum_o g[n, p, q, o] W[o, c, i, j], padded and
    channels last, with a spare row and column that no window reads (left at 0)."""
    b, generic = _both(device)
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
    padded = (sh * (oh - 1) + dh * (kh - 1) + 2, sw * (ow - 1) + dw * (kw - 1) + 2)
    rng = np.random.default_rng(10)
    g = rng.standard_normal((2, oh, ow, 4))
    W = rng.standard_normal((4, 3, kh, kw))
    expected = np.zeros((2, *padded, 3))
    for i in range(kh):
        for j in range(kw):
            expected[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                     j * dw:j * dw + sw * (ow - 1) + 1:sw] += g @ W[:, :, i, j]
    for grad in (b.conv_input_grad, generic("conv_input_grad")):
        for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-5)):
            got = grad(_on(device, g.reshape(-1, 4).astype(dtype)), _on(device, W.astype(dtype)),
                       kernel, stride, dilation, out_size, padded)
            assert got.dtype == _on(device, W.astype(dtype)).dtype
            np.testing.assert_allclose(backend.to_numpy(got), expected, rtol=tolerance,
                                       atol=tolerance)


def test_bias_relu_adds_the_bias_then_clips_at_zero(device):
    b, generic = _both(device)
    rng = np.random.default_rng(11)
    y, bias = rng.standard_normal((7, 5)).astype(np.float32), rng.standard_normal(5)
    bias = bias.astype(np.float32)
    expected = np.maximum(y + bias, 0)
    for bias_relu in (b.bias_relu_, generic("bias_relu_")):
        got = bias_relu(_on(device, y.copy()), _on(device, bias))
        assert got.dtype == _on(device, y).dtype
        np.testing.assert_array_equal(backend.to_numpy(got), expected)
