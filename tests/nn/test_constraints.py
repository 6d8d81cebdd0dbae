"""Weight constraints: max-norm, non-negativity, unit norm; applied by optimizers."""

import numpy as np
import pytest

import minigrad
from minigrad import Parameter, Variable, optim
from minigrad.nn.constraints import MaxNorm, NonNeg, UnitNorm, get_constraint


def on(device, a):
    return minigrad.to_device(a, device)


def test_max_norm_rescales_only_long_columns(device):
    # Dense kernel (in=2, out=3): column j holds neuron j's incoming weights
    w = np.array([[3.0, 0.6, 0.0], [4.0, 0.8, -1.0]], np.float32)  # column norms 5, 1, 1
    out = MaxNorm(2.0)(on(device, w))
    assert str(out.dtype).endswith("float32") and minigrad.backend.device_of(out) == device
    out = minigrad.backend.to_numpy(out)
    np.testing.assert_allclose(out[:, 0], [1.2, 1.6], rtol=1e-6)
    np.testing.assert_array_equal(out[:, 1:], w[:, 1:])  # inside the ball: untouched
    assert np.linalg.norm(out, axis=0).max() == pytest.approx(2.0, rel=1e-6)


def test_max_norm_axis_choice():
    w = np.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(MaxNorm(1.0, axis=1)(w), [[0.6, 0.8], [0.3, 0.4]])
    conv = np.ones((3, 3, 2, 4))  # Keras conv kernels: axis=(0, 1, 2)
    out = MaxNorm(1.5, axis=(0, 1, 2))(conv)
    np.testing.assert_allclose(np.sqrt((out**2).sum(axis=(0, 1, 2))), 1.5)


def test_non_neg_and_unit_norm(device):
    w = np.array([[1.0, -2.0], [-0.5, 0.0]], np.float32)
    np.testing.assert_array_equal(
        minigrad.backend.to_numpy(NonNeg()(on(device, w))), [[1.0, 0.0], [0.0, 0.0]]
    )
    u = minigrad.backend.to_numpy(
        UnitNorm()(on(device, np.array([[3.0, 1.0], [4.0, 0.0]], np.float32)))
    )
    np.testing.assert_allclose(np.linalg.norm(u, axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(u[:, 0], [0.6, 0.8], rtol=1e-6)


def test_optimizer_applies_max_norm_after_each_step(device):
    w = Parameter(on(device, np.zeros((3, 2))))
    w.constraint = MaxNorm(1.0)
    opt = optim.SGD([w], lr=1.0)
    w.grad = Variable(on(device, -np.arange(6.0).reshape(3, 2)))
    opt.step()
    norms = np.linalg.norm(w.numpy(), axis=0)
    np.testing.assert_allclose(norms, [1.0, 1.0])


def test_get_constraint_and_bad_input():
    assert (
        isinstance(get_constraint("max_norm"), MaxNorm)
        and get_constraint("max_norm").max_value == 2.0
    )
    assert isinstance(get_constraint("non_neg"), NonNeg) and isinstance(
        get_constraint("UnitNorm"), UnitNorm
    )
    assert get_constraint(None) is None
    with pytest.raises(ValueError, match="valid names: max_norm"):
        get_constraint("min_norm")
    with pytest.raises(ValueError, match="max_value must be a number > 0, got -1"):
        MaxNorm(-1)
    with pytest.raises(TypeError, match="axis must be an int or a tuple"):
        UnitNorm(axis="rows")
