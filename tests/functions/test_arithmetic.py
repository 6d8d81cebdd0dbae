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
