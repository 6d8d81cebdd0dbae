"""conv2d, conv_transpose2d, im2col/col2im: gradient cases, a direct loop reference,
PyTorch where installed, padding conventions and bad input."""
import numpy as np
import pytest

import minigrad
from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal


def _col_shape(kk, rows, c):
    return lambda rng: rng.standard_normal((kk, rows, c))


def _constant(values, shape, like):
    """Data without gradient on the device and in the dtype of ``like``."""
    return Variable(values.reshape(shape), dtype=like.dtype, device=like.device,
                    requires_grad=False)


CASES = [
    GradCase("conv2d", F.conv2d, inputs(normal(2, 2, 5, 5), normal(3, 2, 3, 3), normal(3))),
    GradCase("conv2d_stride2_padding1",
             lambda x, W, b: F.conv2d(x, W, b, stride=2, padding=1),
             inputs(normal(2, 2, 5, 5), normal(3, 2, 3, 3), normal(3))),
    GradCase("conv2d_dilation2", lambda x, W: F.conv2d(x, W, dilation=2),
             inputs(normal(2, 2, 5, 5), normal(2, 2, 2, 2))),
    GradCase("conv2d_same_even_kernel", lambda x, W: F.conv2d(x, W, padding="same"),
             inputs(normal(2, 2, 5, 4), normal(2, 2, 2, 3))),
    GradCase("conv2d_same_stride2", lambda x, W: F.conv2d(x, W, stride=2, padding="same"),
             inputs(normal(1, 2, 5, 5), normal(2, 2, 3, 3))),
    GradCase("conv2d_rectangular_stride",
             lambda x, W: F.conv2d(x, W, stride=(1, 2), padding=(0, 1)),
             inputs(normal(2, 1, 5, 5), normal(2, 1, 3, 2))),
    # the pre-activations lie 0.03 or more from ReLU's kink, far beyond the difference step
    GradCase("conv2d_relu", lambda x, W, b: F.conv2d_relu(x, W, b, padding=1),
             inputs(normal(2, 2, 4, 4), normal(3, 2, 3, 3), normal(3))),
    GradCase("conv2d_constant_input",
             lambda W: F.conv2d(_constant(np.linspace(-1, 1, 50), (1, 2, 5, 5), W), W),
             inputs(normal(2, 2, 3, 3))),
    # conv2d(x)^2: the output gradient depends on x and W, so the second-order check
    # also differentiates Conv2dGradWeight with respect to that gradient.
    GradCase("conv2d_squared", lambda x, W: F.conv2d(x, W, padding=1) ** 2,
             inputs(normal(1, 2, 4, 4), normal(2, 2, 3, 3))),
    GradCase("conv_transpose2d",
             lambda x, W, b: F.conv_transpose2d(x, W, b, stride=2, padding=1, output_padding=1),
             inputs(normal(2, 3, 3, 3), normal(3, 2, 3, 3), normal(2))),
    GradCase("conv_im2col", lambda x: F.im2col(x, 3, stride=2, padding=1),
             inputs(normal(2, 2, 5, 5))),
    GradCase("conv_col2im", lambda c: F.col2im(c, (2, 2, 4, 4), 2, stride=1, padding=0),
             inputs(_col_shape(4, 18, 2))),
]


def _direct_conv(x, W, b, stride, pads, dilation):
    """The definition, with explicit loops: pads are ((top, bottom), (left, right))."""
    (sh, sw), (dh, dw) = stride, dilation
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    n, _, h, w = xp.shape
    o, _, kh, kw = W.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, oh, ow))
    for p in range(oh):
        for q in range(ow):
            rows = slice(p * sh, p * sh + dh * (kh - 1) + 1, dh)
            cols = slice(q * sw, q * sw + dw * (kw - 1) + 1, dw)
            patch = xp[:, :, rows, cols]
            y[:, :, p, q] = np.einsum("ncij,ocij->no", patch, W)
    return y if b is None else y + b[:, None, None]


@pytest.mark.parametrize("kw, shapes, pads", [
    (dict(), ((2, 3, 6, 5), (4, 3, 3, 2)), ((0, 0), (0, 0))),
    (dict(stride=2, padding=1), ((2, 3, 7, 6), (4, 3, 3, 3)), ((1, 1), (1, 1))),
    (dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)), ((1, 2, 7, 7), (3, 2, 2, 3)),
     ((0, 0), (2, 2))),
    (dict(padding="same"), ((2, 2, 5, 6), (3, 2, 4, 3)), ((1, 2), (1, 1))),
    (dict(padding="same", dilation=2), ((1, 2, 6, 6), (2, 2, 2, 2)), ((1, 1), (1, 1))),
    (dict(padding="same", stride=2), ((1, 2, 6, 7), (2, 2, 3, 3)), ((0, 1), (1, 1))),
    (dict(padding="valid"), ((1, 2, 4, 4), (2, 2, 4, 4)), ((0, 0), (0, 0))),
])
def test_conv2d_matches_direct_loops(device, kw, shapes, pads):
    rng = np.random.default_rng(0)
    x, W, b = (rng.standard_normal(s) for s in (shapes[0], shapes[1], shapes[1][0]))
    y = F.conv2d(*(Variable(a, device=device) for a in (x, W, b)), **kw)
    stride = kw.get("stride", 1)
    stride = (stride, stride) if isinstance(stride, int) else stride
    dilation = kw.get("dilation", 1)
    dilation = (dilation, dilation) if isinstance(dilation, int) else dilation
    expected = _direct_conv(x, W, b, stride, pads, dilation)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_same_padding_keeps_size_and_keras_strided_size():
    x = Variable(np.ones((1, 1, 7, 8), np.float32))
    W43 = Variable(np.ones((2, 1, 4, 3), np.float32))
    W33 = Variable(np.ones((2, 1, 3, 3), np.float32))
    assert F.conv2d(x, W43, padding="same").shape == (1, 2, 7, 8)
    assert F.conv2d(x, W33, stride=3, padding="same").shape == (1, 2, 3, 3)  # ceil(7/3), ceil(8/3)


def test_channels_last_memory_gives_the_same_result():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    W = Variable(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    np.testing.assert_array_equal(F.conv2d(x_nhwc, W, padding=0).numpy(), F.conv2d(x, W).numpy())


def test_im2col_and_col2im_are_adjoint(device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 5))
    args = dict(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2))
    col = F.im2col(Variable(x, device=device), **args)
    c = rng.standard_normal(col.shape)
    back = F.col2im(Variable(c, device=device), x.shape, **args)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(col.numpy() * c), np.sum(x * back.numpy()), rtol=1e-12)


def test_conv_transpose2d_is_the_input_gradient_of_conv2d(device):
    rng = np.random.default_rng(0)
    x = Variable(rng.standard_normal((2, 3, 7, 6)), device=device)
    W = Variable(rng.standard_normal((4, 3, 3, 3)), device=device)
    args = dict(stride=2, padding=1, dilation=1)
    y = F.conv2d(x, W, **args)
    gy = rng.standard_normal(y.shape)
    (gx,) = minigrad.grad(y, [x], grad_outputs=[Variable(gy, device=device)])
    out = F.conv_transpose2d(Variable(gy, device=device), W, output_padding=(0, 1), **args)
    np.testing.assert_allclose(out.numpy(), gx.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_stays_float32(device):
    x = Variable(np.ones((2, 2, 5, 5), np.float32), device=device)
    W = Variable(np.ones((3, 2, 3, 3), np.float32), device=device)
    b = Variable(np.ones(3, np.float32), device=device)
    y = F.conv2d(x, W, b, padding="same")
    y.backward(create_graph=True)
    for v in (y, x.grad, W.grad, b.grad):
        assert str(v.dtype).endswith("float32")
        assert v.device == device


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("kw", [
    dict(), dict(stride=2, padding=1), dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    dict(padding="same"), dict(padding="valid"),
])
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_conv2d_matches_pytorch(torch, kw):
    rng = np.random.default_rng(1)
    shapes = ((2, 3, 8, 7), (4, 3, 3, 2), (4,))
    x, W, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    ours = [Variable(a) for a in (x, W, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, W, b)]
    y = F.conv2d(*ours, **kw)
    yt = torch.nn.functional.conv2d(*theirs, **kw)
    g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    (y * g).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), dilation=2, output_padding=(1, 2))])
def test_conv_transpose2d_matches_pytorch(torch, kw):
    rng = np.random.default_rng(2)
    shapes = ((2, 3, 4, 5), (3, 2, 3, 3), (2,))
    x, W, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    y = F.conv_transpose2d(Variable(x), Variable(W), Variable(b), **kw)
    yt = torch.nn.functional.conv_transpose2d(*(torch.tensor(a) for a in (x, W, b)), **kw)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-4, atol=1e-5)


def _conv(x_shape=(2, 3, 5, 5), w_shape=(4, 3, 3, 3), b=None, **kw):
    x = Variable(np.ones(x_shape, np.float32))
    W = Variable(np.ones(w_shape, np.float32))
    return F.conv2d(x, W, None if b is None else Variable(np.ones(b, np.float32)), **kw)


@pytest.mark.parametrize("call, error, message", [
    (lambda: _conv((3, 5, 5),), ValueError,
     r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(3, 5, 5\)"),
    (lambda: _conv(w_shape=(4, 3, 3)), ValueError,
     r"conv2d: expected a 4-D kernel .* got shape \(4, 3, 3\)"),
    (lambda: _conv((2, 3, 5, 5), (4, 1, 3, 3)), ValueError,
     r"conv2d: input has 3 channels but the kernel expects 1 "
     r"\(input shape \(2, 3, 5, 5\), kernel shape"),
    (lambda: _conv((1, 3, 2, 2), padding=0), ValueError,
     r"conv2d: kernel 3x3 \(dilation 1x1\) is larger than the padded input 2x2"),
    (lambda: _conv((1, 3, 5, 5), dilation=3), ValueError, "larger than the padded input 5x5"),
    (lambda: _conv(stride=0), ValueError, r"conv2d: stride must be >= 1, got 0"),
    (lambda: _conv(stride=1.5), TypeError,
     r"conv2d: stride must be an int or a pair of ints, got 1.5"),
    (lambda: _conv(stride=(1, 2, 3)), TypeError, "conv2d: stride must be an int or a pair"),
    (lambda: _conv(padding=-1), ValueError, r"conv2d: padding must be >= 0, got -1"),
    (lambda: _conv(padding="full"), ValueError,
     r"conv2d: padding must be .* 'same' or 'valid', got 'full'"),
    (lambda: _conv(padding=True), TypeError, "conv2d: padding must be an int or a pair"),
    (lambda: _conv(b=(3,)), ValueError, r"conv2d: bias has shape \(3,\), expected \(4,\)"),
    (lambda: F.conv2d([[1.0]], Variable(np.ones((1, 1, 1, 1)))), TypeError,
     "conv2d: input must be a Variable"),
    (lambda: F.conv_transpose2d(Variable(np.ones((1, 2, 3, 3))), Variable(np.ones((3, 1, 3, 3)))),
     ValueError, "conv_transpose2d: input has 2 channels but the kernel expects 3"),
    (lambda: F.conv_transpose2d(Variable(np.ones((1, 2, 3, 3))), Variable(np.ones((2, 1, 3, 3))),
                                stride=2, output_padding=2),
     ValueError, "conv_transpose2d: output_padding 2 must be smaller than the stride 2"),
    (lambda: F.col2im(Variable(np.ones((4, 5, 2))), (2, 2, 4, 4), 2), ValueError,
     r"col2im: col has shape \(4, 5, 2\), but input_shape \(2, 2, 4, 4\) .* needs \(4, 18, 2\)"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_pytorchs_positional_groups_is_refused_not_read_as_dilation():
    x, W = Variable(np.ones((1, 2, 3, 3))), Variable(np.ones((2, 1, 3, 3)))
    with pytest.raises(TypeError):
        F.conv_transpose2d(x, W, None, 1, 0, 0, 2)  # PyTorch: groups=2
    assert F.conv_transpose2d(x, W, None, 1, 0, 0, dilation=2).shape == (1, 1, 7, 7)

