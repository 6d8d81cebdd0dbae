"""Reductions over any axes, with and without keepdims."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal


def _distinct(*shape):
    return lambda rng: [
        rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)
    ]


CASES = [
    GradCase("sum_all", F.sum, inputs(normal(2, 3))),
    GradCase(
        "sum_axis_keepdims", lambda x: F.sum(x, axis=(0, 2), keepdims=True), inputs(normal(2, 3, 2))
    ),
    GradCase("mean_axis", lambda x: F.mean(x, axis=-1), inputs(normal(2, 3))),
    GradCase("max_axis", lambda x: F.max(x, axis=1), _distinct(3, 4), smooth=False),
    GradCase("min_all", F.min, _distinct(3, 4), smooth=False),
    GradCase(
        "max_ties",
        lambda x: F.max(x, axis=1, keepdims=True),
        lambda rng: [np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])],
        smooth=False,
    ),
    GradCase("logsumexp", lambda x: F.logsumexp(x, axis=1), inputs(normal(3, 4))),
    GradCase(
        "logsumexp_all_keepdims", lambda x: F.logsumexp(x, keepdims=True), inputs(normal(2, 3))
    ),
]


@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), st.data())
def test_reductions_over_any_axes(device, shape, data):
    axis = data.draw(
        st.none() | st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple)
    )
    keepdims = data.draw(st.booleans())
    x = np.random.default_rng(0).standard_normal(shape)
    for fn in (F.sum, F.mean, F.logsumexp):
        minigrad.gradcheck(lambda v: fn(v, axis, keepdims), minigrad.to_device(x, device))
    np.testing.assert_allclose(
        F.sum(Variable(x), axis, keepdims).numpy(), np.sum(x, axis, keepdims=keepdims)
    )


def test_max_ties_share_the_gradient(device):
    x = Variable(np.array([[1.0, 3.0, 3.0]]), device=device)
    F.max(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.5, 0.5]])


def test_logsumexp_does_not_overflow():
    x = Variable(np.array([1e4, 1e4, -1e4], dtype=np.float32))
    y = F.logsumexp(x)
    assert y.item() == pytest.approx(1e4 + np.log(2), rel=1e-6)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5, 0.0])


def test_variable_reduction_methods():
    x = Variable(np.array([[1.0, 5.0], [3.0, 2.0]]))
    assert x.sum().item() == 11.0
    assert x.mean(axis=0).numpy().tolist() == [2.0, 3.5]
    assert x.max().item() == 5.0
    assert x.min(axis=1).numpy().tolist() == [1.0, 2.0]


@pytest.mark.parametrize("axis", [None, 0])
def test_mean_over_no_elements_is_nan_with_numpy_warning(device, axis):
    x = Variable(np.zeros((0, 3)), device=device)
    with pytest.warns(RuntimeWarning, match=r"mean: mean of empty slice"):
        y = F.mean(x, axis=axis)
    assert np.isnan(y.numpy()).all() and y.shape == (() if axis is None else (3,))
    y.sum().backward()
    assert x.grad.shape == (0, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.mean(x, axis=1).shape == (0,)  # no element is a mean of nothing
