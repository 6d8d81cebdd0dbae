"""Gradient clipping by value and by global norm."""

import math

import numpy as np
import pytest

import minigrad
from minigrad import Parameter, Variable, optim


def with_grads(device, *grads):
    params = []
    for g in grads:
        p = Parameter(minigrad.to_device(np.zeros_like(g), device))
        p.grad = Variable(minigrad.to_device(g, device))
        params.append(p)
    return params


def flat(params):
    return np.concatenate([p.grad.numpy().ravel() for p in params])


def test_clip_grad_norm_keeps_direction_and_hits_max_norm(device):
    rng = np.random.default_rng(0)
    grads = [
        (rng.standard_normal((3, 4)) * 3).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
    ]
    params = with_grads(device, *grads)
    before = flat(params)
    total = optim.clip_grad_norm(params, max_norm=1.0)
    after = flat(params)
    assert total == pytest.approx(np.linalg.norm(before), rel=1e-6)
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(
        after / np.linalg.norm(after), before / np.linalg.norm(before), rtol=1e-5
    )
    assert all(str(p.grad.dtype).endswith("float32") for p in params)


def test_clip_grad_norm_is_a_no_op_below_the_threshold(device):
    params = with_grads(device, np.array([0.3, 0.4], np.float32), np.array([0.0], np.float32))
    assert optim.clip_grad_norm_(params, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(flat(params), np.array([0.3, 0.4, 0.0], np.float32))


def test_clip_grad_norm_other_norms_and_skips_missing_grads():
    a, b = with_grads("cpu", np.array([3.0, -4.0]), np.array([1.0]))
    c = Parameter(np.ones(2))
    assert optim.clip_grad_norm([a, b, c], 100.0, norm_type=math.inf) == 4.0
    assert optim.clip_grad_norm([a, b, c], 100.0, norm_type=1) == 8.0
    assert c.grad is None


def test_clip_grad_norm_non_finite():
    (p,) = with_grads("cpu", np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="inf"):
        optim.clip_grad_norm(p, 1.0, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # inf * 0, as in PyTorch
        assert optim.clip_grad_norm(p, 1.0) == math.inf


def test_clip_grad_value(device):
    params = with_grads(device, np.array([-3.0, 0.5, 2.0], np.float32))
    optim.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(flat(params), [-1.0, 0.5, 1.0])
    assert str(params[0].grad.dtype).endswith("float32")


def test_clip_replaces_rather_than_mutates_the_gradient():
    (p,) = with_grads("cpu", np.array([3.0, 4.0]))
    old = p.grad
    optim.clip_grad_norm(p, 1.0)
    assert old.numpy().tolist() == [3.0, 4.0] and p.grad is not old


def test_bad_arguments():
    (p,) = with_grads("cpu", np.array([1.0]))
    with pytest.raises(ValueError, match="max_norm must be > 0, got -1.0"):
        optim.clip_grad_norm(p, -1.0)
    with pytest.raises(ValueError, match="clip_value must be > 0, got 0.0"):
        optim.clip_grad_value(p, 0)
    with pytest.raises(TypeError, match="got ndarray"):
        optim.clip_grad_value([np.ones(2)], 1.0)
