"""Small fixed problems shared by the optimizer tests (host numpy data)."""

import numpy as np

import minigrad
from minigrad import F, Parameter

_rng = np.random.default_rng(42)
X = _rng.standard_normal((8, 3))
Y = _rng.standard_normal((8, 2))
W0 = _rng.standard_normal((3, 2))
B0 = _rng.standard_normal(2)


def loss(W, b, X=X, Y=Y):
    """0.5 * mean((X W + b - Y)^2) + 0.05 * sum(W^4): smooth, non-quadratic, two parameters."""
    r = F.dense(X, W, b) - Y
    return 0.5 * F.mean(r * r) + 0.05 * F.sum(W**4)


def numpy_grads(W, b):
    """The gradient of ``loss`` written out by hand."""
    r = X @ W + b - Y
    n = r.size
    return [X.T @ r / n + 0.2 * W**3, r.sum(axis=0) / n]


def make_params(device, dtype=np.float64):
    return [
        Parameter(minigrad.to_device(W0.astype(dtype), device)),
        Parameter(minigrad.to_device(B0.astype(dtype), device)),
    ]


def train(opt, params, steps, device):
    """``steps`` optimizer steps on ``loss``; returns the host values after each step."""
    X_, Y_ = (
        minigrad.Variable(minigrad.to_device(a.astype(np.asarray(params[0].numpy()).dtype), device))
        for a in (X, Y)
    )
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss(*params, X=X_, Y=Y_).backward()
        opt.step()
        path.append([p.numpy().copy() for p in params])
    return path


def resume_paths(make, device):
    """Train ``make(params)`` 10 steps and save its state; then 15 steps straight
    on, and 15 steps from the saved state on fresh parameters. Returns both paths
    (float32), which an exact resume makes equal."""
    params = make_params(device, np.float32)
    opt = make(params)
    train(opt, params, 10, device)
    saved = opt.state_dict()
    values = [p.numpy().copy() for p in params]
    straight = train(opt, params, 15, device)  # must not disturb `saved`
    resumed_params = [Parameter(minigrad.to_device(v, device)) for v in values]
    resumed = make(resumed_params)
    resumed.load_state_dict(saved)
    return straight, train(resumed, resumed_params, 15, device)
