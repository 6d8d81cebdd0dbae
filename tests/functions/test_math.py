"""Elementwise math functions: gradient cases and numerical stability."""

import numpy as np
import pytest

from minigrad import F, Variable
from tests.gradcase import GradCase, away_from, inputs, normal, positive


def _distinct_pair(rng):
    a = rng.standard_normal((3, 4))
    b = a + away_from(rng.standard_normal((3, 4)), [0.0], gap=0.2)
    return [a, b]


def _with_ties(rng):
    a = rng.standard_normal((5,))
    b = a.copy()
    b[::2] += 1.0
    return [a, b]


CASES = [
    GradCase("exp", F.exp, inputs(normal(2, 3))),
    GradCase("log", F.log, inputs(positive(2, 3))),
    GradCase("sqrt", F.sqrt, inputs(positive(2, 3))),
    GradCase("square", F.square, inputs(normal(2, 3))),
    GradCase(
        "abs", F.abs, lambda rng: [away_from(rng.standard_normal((2, 3)), [0.0])], smooth=False
    ),
    GradCase("sin", F.sin, inputs(normal(2, 3))),
    GradCase("cos", F.cos, inputs(normal(2, 3))),
    GradCase("tanh", F.tanh, inputs(normal(2, 3))),
    GradCase("sigmoid", F.sigmoid, inputs(normal(2, 3))),
    GradCase("maximum", F.maximum, _distinct_pair, smooth=False),
    GradCase("minimum", F.minimum, _distinct_pair, smooth=False),
    GradCase("maximum_ties", F.maximum, _with_ties, smooth=False),
    GradCase(
        "clip",
        lambda x: F.clip(x, -0.5, 0.5),
        lambda rng: [away_from(rng.standard_normal((3, 4)), [-0.5, 0.5])],
        smooth=False,
    ),
    GradCase(
        "where",
        lambda a, b: F.where(a.data > 0, a, b),
        inputs(normal(3, 4), normal(4)),
        smooth=False,
    ),
]


def test_sigmoid_is_stable_for_large_inputs():
    x = Variable(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float32))
    y = F.sigmoid(x)
    y.backward()
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(y.numpy(), [0, 0, 0.5, 1, 1], atol=1e-7)


def test_ties_split_the_gradient_evenly(device):
    a = Variable(np.array([1.0, 2.0, 3.0]), device=device)
    b = Variable(np.array([1.0, 1.0, 5.0]), device=device)
    F.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 1.0, 0.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.5, 0.0, 1.0])


def test_clip_passes_gradient_only_inside(device):
    x = Variable(np.array([-2.0, 0.0, 2.0]), device=device)
    F.clip(x, -1.0, 1.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 0.0])


@pytest.mark.parametrize(
    "fn, ref",
    [
        (F.exp, np.exp),
        (F.log, np.log),
        (F.sqrt, np.sqrt),
        (F.sin, np.sin),
        (F.cos, np.cos),
        (F.tanh, np.tanh),
        (F.abs, np.abs),
        (F.square, np.square),
    ],
)
def test_forward_matches_numpy(fn, ref, device):
    a = np.random.default_rng(0).uniform(0.1, 2.0, (3, 2))
    np.testing.assert_allclose(fn(Variable(a, device=device)).numpy(), ref(a), rtol=1e-12)
