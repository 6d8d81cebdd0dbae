"""Adam against the textbook rule over long runs, its state as PyTorch's (m and v
themselves), and states saved while Adam kept its moments scaled."""


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
    return w, opt


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.0), (0.9, 0.0)])
def test_long_run_matches_textbook_adam(betas, device):
    """1000 float32 steps, with gradients from 1e-3 to 1e3 and a long stretch of zeros
    for one entry: the parameters and the state m, v are the textbook ones."""
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((1000, 5)) * np.array([1e-3, 1e-1, 1, 10, 1e3])
    grads[300:700, 0] = 0
    p0 = rng.standard_normal(5)
    hyper = {"lr": 1e-3, "betas": betas, "eps": 1e-8}
    w, opt = run_adam(grads, p0, np.float32, device, **hyper)
    want, m, v = textbook_adam(grads, p0, hyper["lr"], *betas, hyper["eps"])
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-5, atol=1e-6)
    state = opt.state[w]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"}
    np.testing.assert_allclose(minigrad.backend.to_numpy(state["exp_avg"]), m, rtol=1e-4,
                               atol=1e-12)
    np.testing.assert_allclose(minigrad.backend.to_numpy(state["exp_avg_sq"]), v, rtol=1e-4,
                               atol=1e-12)


def test_a_state_saved_with_scaled_moments_resumes_on_the_textbook_path(device):
    """Earlier versions stored m / exp_avg_scale and v / exp_avg_sq_scale; such a state
    dict still loads, and the run continues as if it had never stopped."""
    rng = np.random.default_rng(2)
    grads = rng.standard_normal((20, 4))
    p0 = rng.standard_normal(4)
    w, opt = run_adam(grads[:10], p0, np.float64, device)
    saved = opt.state_dict()
    entry = saved["state"][0]
    a, c = 0.9**10, 0.999**10  # the scales that version would have reached
    entry.update(exp_avg_scale=a, exp_avg_sq_scale=c)
    entry["exp_avg"] = entry["exp_avg"] / a
    entry["exp_avg_sq"] = entry["exp_avg_sq"] / c
    resumed = optim.Adam([w])
    resumed.load_state_dict(saved)
    for g in grads[10:]:
        w.grad = Variable(minigrad.to_device(g, device))
        resumed.step()
    want, m, _ = textbook_adam(grads, p0, 1e-3, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-10, atol=1e-12)
    state = resumed.state[w]
    assert "exp_avg_scale" not in state and "exp_avg_sq_scale" not in state
    np.testing.assert_allclose(minigrad.backend.to_numpy(state["exp_avg"]), m, rtol=1e-10)


def test_amsgrad_keeps_the_maximum_of_the_second_moment(device):
    rng = np.random.default_rng(1)
    grads = rng.standard_normal((50, 4))
    grads[25:] *= 0.01  # v falls, its running maximum does not
    w, opt = run_adam(grads, np.zeros(4), np.float64, device, amsgrad=True)
    v = np.zeros(4)
    v_max = np.zeros(4)
    for g in grads:
        v = 0.999 * v + 0.001 * g * g
        v_max = np.maximum(v_max, v)
    np.testing.assert_allclose(minigrad.backend.to_numpy(opt.state[w]["max_exp_avg_sq"]),
                               v_max, rtol=1e-12)
