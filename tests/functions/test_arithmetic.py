"""Arithmetic operators: gradient cases, broadcasting and scalar handling."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal, positive

CASES = [
    GradCase("add", F.add, inputs(normal(2, 3), normal(2, 3))),
    GradCase("add_broadcast", F.add, inputs(normal(2, 1, 3), normal(4, 1))),
    GradCase("sub", F.sub, inputs(normal(3, 1), normal(1, 4))),
    GradCase("mul", F.mul, inputs(normal(2, 3), normal(3))),
    GradCase("div", F.div, inputs(normal(2, 3), positive(2, 3))),
    GradCase("neg", F.neg, inputs(normal(4))),
    GradCase("pow_scalar", lambda x: F.pow(x, 3), inputs(normal(2, 3))),
    GradCase("pow_fractional", lambda x: x**1.5, inputs(positive(5))),
    GradCase("pow_tensor", F.pow, inputs(positive(2, 3), normal(2, 3))),
    GradCase(
        "operators", lambda a, b: (2.0 - a) * b / 3 + 1 - (-a) ** 2, inputs(normal(3), normal(3))
    ),
    GradCase("reflected", lambda a: 1.0 / (2.0 + a * a) + 3**a, inputs(normal(4))),
]


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_broadcasting_binary_ops(device, shapes):
    rng = np.random.default_rng(1)
    a, b = (rng.uniform(0.5, 2.0, s) for s in shapes.input_shapes)
    for op in (F.add, F.sub, F.mul, F.div, F.pow):
        minigrad.gradcheck(op, minigrad.to_device(a, device), minigrad.to_device(b, device))


def test_python_scalars_keep_float32(device):
    x = Variable(np.ones((2, 2), np.float32), device=device)
    for y in (x * 2.5, 2.5 * x, x + 1, 1 - x, x / 3.0, 3.0 / x, x**2, 2.0**x, -x):
        assert str(y.dtype).endswith("float32")
        assert y.device == device


def test_gradient_accumulates_over_reuse():
    x = Variable(np.array(3.0))
    y = x * x * x + x
    y.backward()
    assert x.grad.item() == pytest.approx(3 * 9 + 1)


@given(st.floats(-3, 3))
def test_pow_matches_formula(v):
    x = Variable(np.array(abs(v) + 0.1))
    (x**2.5).backward()
    assert x.grad.item() == pytest.approx(2.5 * (abs(v) + 0.1) ** 1.5)


def _derivatives(f, x, order):
    """d^k/dx^k sum(f(x)) for k = 1 .. order, as host arrays."""
    g, out = f(x), []
    for _ in range(order):
        (g,) = minigrad.grad(g.sum(), x, create_graph=True)
        out.append(g.numpy())
    return out


def test_higher_derivatives_of_integer_powers_at_zero_are_finite(device):
    x = Variable(np.array([0.0, 1.0]), device=device)
    got = _derivatives(lambda x: x**4 - 2 * x**2, x, 5)
    expected = [[0, 0], [-4, 8], [0, 24], [24, 24], [0, 0]]  # 4x^3-4x, 12x^2-4, 24x, 24, 0
    for k, (g, e) in enumerate(zip(got, expected), 1):
        np.testing.assert_allclose(g, e, err_msg=f"derivative {k}")
    for c in (2, 2.0, 3):
        for g in _derivatives(lambda x: x**c, Variable(np.zeros(3), device=device), int(c) + 2):
            assert np.isfinite(g).all(), f"x ** {c!r}"


def test_relu_squared_has_no_nan_derivatives(device):
    x = Variable(np.array([-1.0, 0.0, 1.0]), device=device)
    got = _derivatives(lambda x: F.relu(x) ** 2, x, 4)
    for g, e in zip(got, [[0, 0, 2], [0, 0, 2], [0, 0, 0], [0, 0, 0]]):
        np.testing.assert_array_equal(g, e)


def test_tensor_pow_derivatives_at_zero_are_finite(device):
    # d(a^b)/db = a^b log a is 0 where a = 0 and b >= 0 (PyTorch's convention), and
    # d(a^b)/da = b a^(b-1) is 0 where b = 0
    a = Variable(np.zeros(3), device=device)
    b = Variable(np.array([2.0, 0.0, 1.0]), device=device)
    (gb,) = minigrad.grad(F.pow(a, b).sum(), b, create_graph=True)
    np.testing.assert_array_equal(gb.numpy(), [0, 0, 0])
    for g in minigrad.grad(gb.sum(), [a, b]):
        assert np.isfinite(g.numpy()).all()
    a, b = a[:2], b[:2]
    (ga,) = minigrad.grad(F.pow(a, b).sum(), a, create_graph=True)
    np.testing.assert_array_equal(ga.numpy(), [0, 0])
    for g in minigrad.grad(ga.sum(), [a, b]):
        assert np.isfinite(g.numpy()).all()
    x = Variable(np.array([0.0]), device=device)
    for g in _derivatives(lambda x: x ** Variable(np.array([3.0]), device=device), x, 5):
        assert np.isfinite(g).all()
