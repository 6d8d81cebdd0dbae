"""Regularizers: penalty values, gradients through autodiff, sparsity of L1 against L2."""

import numpy as np
import pytest

import minigrad
from minigrad import F, Parameter, Variable, optim
from minigrad.nn.regularizers import L1, L1L2, L2, ElasticNet, get_regularizer

W = np.array([[1.0, -2.0], [3.0, 0.5]])  # sum |w| = 6.5, sum w^2 = 14.25


@pytest.mark.parametrize(
    "reg, value, grad",
    [
        (L1(0.1), 0.65, 0.1 * np.sign(W)),
        (L2(0.1), 1.425, 0.2 * W),
        (L1L2(l1=0.1, l2=0.2), 0.65 + 2.85, 0.1 * np.sign(W) + 0.4 * W),
        # elastic net: r * alpha * sum|w| + (1 - r) / 2 * alpha * sum w^2
        (
            ElasticNet(alpha=0.5, r=0.3),
            0.3 * 0.5 * 6.5 + 0.7 / 2 * 0.5 * 14.25,
            0.15 * np.sign(W) + 0.35 * W,
        ),
    ],
)
def test_penalty_value_and_gradient(reg, value, grad, device):
    w = Parameter(minigrad.to_device(W, device))
    penalty = reg(w)
    assert penalty.shape == () and penalty.item() == pytest.approx(value, rel=1e-12)
    penalty.backward()
    np.testing.assert_allclose(w.grad.numpy(), grad, rtol=1e-12)


def test_defaults_and_forms():
    assert L1().l1 == 0.01 and L2().l2 == 0.01
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    net = ElasticNet(alpha=2.0, r=1.0)  # r = 1: pure lasso
    assert (net.l1, net.l2) == (2.0, 0.0)
    net = ElasticNet(alpha=2.0, r=0.0)  # r = 0: ridge with the 1/2
    assert (net.l1, net.l2) == (0.0, 1.0)
    assert repr(L2(0.5)) == "L2(l=0.5)"


def test_float32_and_zero_penalty(device):
    w = Parameter(minigrad.to_device(W.astype(np.float32), device))
    for reg in (L1(), L2(), ElasticNet(alpha=0.1, r=0.5)):
        assert str(reg(w).dtype).endswith("float32")
    zero = L1L2()(w)
    assert zero.item() == 0.0 and not zero.requires_grad and str(zero.dtype).endswith("float32")


def test_get_regularizer():
    assert isinstance(get_regularizer("l1"), L1) and isinstance(get_regularizer("L2"), L2)
    both = get_regularizer("l1_l2")
    assert (both.l1, both.l2) == (0.01, 0.01)
    reg = L2(0.3)
    assert get_regularizer(reg) is reg and get_regularizer(None) is None
    with pytest.raises(ValueError, match="valid names: l1, l2, l1_l2"):
        get_regularizer("l3")


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: L1(-0.1), "l1 must be a number >= 0, got -0.1"),
        (lambda: L2("big"), "l2 must be a number >= 0"),
        (lambda: ElasticNet(alpha=0.1, r=1.5), r"r must be in \[0, 1\], got 1.5"),
        (lambda: ElasticNet(alpha=0.1), "give .l1, l2. or .alpha, r."),
        (lambda: ElasticNet(l1=0.1, alpha=0.1, r=0.5), "not a mix"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_l1_zeroes_irrelevant_weights_where_l2_does_not():
    rng = np.random.default_rng(0)
    n, d = 40, 10
    X = rng.standard_normal((n, d))
    w_true = np.zeros(d)
    w_true[:2] = [3.0, -2.0]
    y = X @ w_true + 0.5 * rng.standard_normal(n)
    Xv, yv = Variable(X), Variable(y)
    fitted = {}
    for reg in (L1(0.3), L2(0.3)):
        w = Parameter(np.zeros(d))
        w.regularizer = reg
        opt = optim.SGD([w], lr=0.02)
        for _ in range(500):
            opt.zero_grad()
            r = F.matmul(Xv, w) - yv
            (0.5 * F.mean(r * r) + w.regularizer(w)).backward()
            opt.step()
        fitted[type(reg).__name__] = np.abs(w.numpy())
    l1, l2 = fitted["L1"], fitted["L2"]
    assert np.all(l1[:2] > 1.5) and np.all(l2[:2] > 1.0)  # the real signal survives both
    assert l1[2:].max() < 0.01  # L1: irrelevant weights at (sub)gradient-noise level
    assert l2[2:].max() > 0.1 and np.median(l2[2:]) > 5 * l1[2:].max()  # L2 only shrinks them
