"""Adam's scaled moments: the same numbers as the textbook rule over long runs
(through the folds of the scales), no decay in storage, exact bookkeeping."""


import numpy as np
import pytest

import minigrad
from minigrad import Parameter, Variable, optim


def textbook_adam(grads, p, lr, b1, b2, eps):
    """Kingma & Ba, algorithm 1 with PyTorch's eps placement, in float64."""
    m = v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1**t) * m / (np.sqrt(v / (1 - b2**t)) + eps)
    return p, m, v


def run_adam(grads, p0, dtype, device, **hyper):
    w = Parameter(minigrad.to_device(p0.astype(dtype), device))
    opt = optim.Adam([w], **hyper)
    for g in grads:
        w.grad = Variable(minigrad.to_device(g.astype(dtype), device))
        opt.step()
    return w, opt.state[w]


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.0), (0.9, 0.0)])
def test_long_run_matches_textbook_adam_through_the_rescales(betas, device):
    """1000 float32 steps: at b1 = 0.9 the scale of m is folded back about every
    420 steps (every step for a beta of 0); the path stays the textbook one."""
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((1000, 5)) * np.array([1e-3, 1e-1, 1, 10, 1e3])
    grads[300:700, 0] = 0  # a long stretch of zero gradients for one entry
    p0 = rng.standard_normal(5)
    hyper = {"lr": 1e-3, "betas": betas, "eps": 1e-8}
    w, state = run_adam(grads, p0, np.float32, device, **hyper)
    want, m, v = textbook_adam(grads, p0, hyper["lr"], *betas, hyper["eps"])
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-5, atol=1e-6)
    got_m = state["exp_avg_scale"] * minigrad.backend.to_numpy(state["exp_avg"])
    got_v = state["exp_avg_sq_scale"] * minigrad.backend.to_numpy(state["exp_avg_sq"])
    np.testing.assert_allclose(got_m, m, rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(got_v, v, rtol=1e-4, atol=1e-12)
    assert state["exp_avg_scale"] >= optim.adam.SCALE_FLOOR


def test_zero_gradients_leave_the_stored_moments_alone():
    """m decays by b1 per step through its scale, not through its array, so a
    parameter whose gradient stays 0 never does arithmetic on subnormals."""
    w, state = run_adam([np.full(3, 1e-20)], np.ones(3), np.float32, "cpu")
    stored = state["exp_avg"].copy()
    opt_steps = 200
    opt = optim.Adam([w])
    opt.state[w] = state
    for _ in range(opt_steps):
        w.grad = Variable(np.zeros(3, np.float32))
        opt.step()
    np.testing.assert_array_equal(state["exp_avg"], stored)
    np.testing.assert_allclose(state["exp_avg_scale"] * stored, 0.1e-20 * 0.9**opt_steps,
                               rtol=1e-5)


def test_amsgrad_keeps_the_maximum_of_the_true_second_moment(device):
    rng = np.random.default_rng(1)
    grads = rng.standard_normal((50, 4))
    grads[25:] *= 0.01  # v falls, its running maximum does not
    w, state = run_adam(grads, np.zeros(4), np.float64, device, amsgrad=True)
    v = np.zeros(4)
    v_max = np.zeros(4)
    for g in grads:
        v = 0.999 * v + 0.001 * g * g
        v_max = np.maximum(v_max, v)
    np.testing.assert_allclose(minigrad.backend.to_numpy(state["max_exp_avg_sq"]), v_max,
                               rtol=1e-12)
