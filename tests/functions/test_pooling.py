"""max_pool2d and avg_pool2d: gradient cases, direct loop references, PyTorch
where installed, the tie rule and bad input."""
import numpy as np
import pytest

from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal


def distinct(*shape):
    """Values at least 0.1 apart, so no window has a tie within gradcheck's step."""
    return lambda rng: (rng.permutation(int(np.prod(shape))).reshape(shape) - 20) * 0.1


CASES = [
    GradCase("max_pool2d", lambda x: F.max_pool2d(x, 2), inputs(distinct(2, 2, 5, 5)),
             smooth=False),
    GradCase("max_pool2d_overlapping_padded", lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
             inputs(distinct(2, 2, 5, 5)), smooth=False),
    GradCase("max_pool2d_dilation_rectangular",
             lambda x: F.max_pool2d(x, (2, 3), stride=1, dilation=2),
             inputs(distinct(1, 2, 5, 6)), smooth=False),
    # max_pool2d(x)^2 has a second derivative: it exercises MaxPool2dGrad's own backward.
    GradCase("max_pool2d_squared", lambda x: F.max_pool2d(x, 2, stride=1, padding=1) ** 2,
             inputs(distinct(2, 2, 4, 4))),
    GradCase("avg_pool2d", lambda x: F.avg_pool2d(x, 2), inputs(normal(2, 2, 5, 5))),
    GradCase("avg_pool2d_overlapping_padded", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1),
             inputs(normal(2, 2, 5, 5))),
    GradCase("avg_pool2d_exclude_pad",
             lambda x: F.avg_pool2d(x, 3, 2, padding="same", count_include_pad=False),
             inputs(normal(1, 2, 6, 5))),
]


def _windows(x, k, s, pads, fill):
    """Every window of x (padded with ``fill``), by explicit loops: (N, C, OH, OW, kh, kw)."""
    xp = np.pad(x, ((0, 0), (0, 0), *pads), constant_values=fill)
    oh, ow = (xp.shape[2] - k[0]) // s[0] + 1, (xp.shape[3] - k[1]) // s[1] + 1
    out = np.empty(x.shape[:2] + (oh, ow) + k)
    for p in range(oh):
        for q in range(ow):
            out[:, :, p, q] = xp[:, :, p * s[0]:p * s[0] + k[0], q * s[1]:q * s[1] + k[1]]
    return out


@pytest.mark.parametrize("k, s, p", [((2, 2), (2, 2), 0), ((3, 3), (2, 2), 1),
                                     ((2, 3), (1, 2), (1, 0))])
def test_pools_match_direct_loops(device, k, s, p):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    pads = ((p, p), (p, p)) if isinstance(p, int) else ((p[0], p[0]), (p[1], p[1]))
    v = Variable(x, device=device)
    np.testing.assert_allclose(F.max_pool2d(v, k, s, p).numpy(),
                               _windows(x, k, s, pads, -np.inf).max(axis=(4, 5)), rtol=1e-12)
    np.testing.assert_allclose(F.avg_pool2d(v, k, s, p).numpy(),
                               _windows(x, k, s, pads, 0).mean(axis=(4, 5)), rtol=1e-12)
    real = _windows(np.ones_like(x), k, s, pads, 0).sum(axis=(4, 5))
    np.testing.assert_allclose(F.avg_pool2d(v, k, s, p, count_include_pad=False).numpy(),
                               _windows(x, k, s, pads, 0).sum(axis=(4, 5)) / real, rtol=1e-12)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum(device):
    x = Variable(np.ones((1, 1, 4, 4), np.float32), device=device)
    F.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4), np.float32)
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_overlapping_windows_accumulate_on_a_shared_maximum(device):
    x = np.zeros((1, 1, 3, 3), np.float32)
    x[0, 0, 1, 1] = 5
    v = Variable(x, device=device)
    F.max_pool2d(v, 2, stride=1).sum().backward()
    assert v.grad.numpy()[0, 0, 1, 1] == 4
    assert v.grad.numpy().sum() == 4


def test_same_padding_and_float32(device):
    x = Variable(np.ones((2, 3, 7, 7), np.float32), device=device)
    for y in (F.max_pool2d(x, 2, padding="same"), F.avg_pool2d(x, 3, 1, padding="same")):
        y.backward()
        assert str(y.dtype).endswith("float32") and str(x.grad.dtype).endswith("float32")
    assert F.max_pool2d(x, 2, padding="same").shape == (2, 3, 4, 4)
    assert F.max_pool2d(x, 2, padding="valid").shape == (2, 3, 3, 3)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3), stride=1, dilation=(2, 1))])
def test_max_pool2d_matches_pytorch_including_ties(torch, kw):
    # small integers: many windows hold tied maxima
    x = np.random.default_rng(0).integers(0, 3, (2, 3, 7, 8)).astype(np.float32)
    ours, theirs = Variable(x), torch.tensor(x, requires_grad=True)
    y, yt = F.max_pool2d(ours, **kw), torch.nn.functional.max_pool2d(theirs, **kw)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (y * g).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)])
def test_avg_pool2d_matches_pytorch(torch, kw):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8)).astype(np.float32)
    ours, theirs = Variable(x), torch.tensor(x, requires_grad=True)
    y, yt = F.avg_pool2d(ours, **kw), torch.nn.functional.avg_pool2d(theirs, **kw)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.max_pool2d(x[0], 2), ValueError,
     r"max_pool2d: expected a 4-D input \(N, C, H, W\), got shape \(3, 4, 4\)"),
    (lambda x: F.max_pool2d(x, 3, padding=2), ValueError,
     r"max_pool2d: padding 2 must be at most half the kernel size 3 "
     r"\(dilated 3x3; input shape \(2, 3, 4, 4\)\)"),
    (lambda x: F.avg_pool2d(x, 5), ValueError,
     r"avg_pool2d: kernel 5x5 .* larger than the padded input 4x4"),
    (lambda x: F.max_pool2d(x, 2, stride=0), ValueError, "max_pool2d: stride must be >= 1, got 0"),
    (lambda x: F.avg_pool2d(x, 2.0), TypeError,
     "avg_pool2d: kernel_size must be an int or a pair of ints"),
    (lambda x: F.max_pool2d(x, 2, padding="full"), ValueError, "max_pool2d: padding must be"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call(Variable(np.ones((2, 3, 4, 4), np.float32)))


def test_pytorchs_positional_ceil_mode_is_refused_not_read_as_count_include_pad():
    x = Variable(np.ones((1, 1, 4, 4)))
    with pytest.raises(TypeError):
        F.avg_pool2d(x, 3, 1, 1, False)  # PyTorch: ceil_mode=False
    assert F.avg_pool2d(x, 3, 1, 1, count_include_pad=False).numpy().min() == 1.0
