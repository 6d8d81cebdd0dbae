"""Same trajectories and schedules as torch.optim, when PyTorch is installed."""

import numpy as np
import pytest

from minigrad import Parameter, Variable, optim
from tests.optim.problems import B0, W0, make_params, numpy_grads, train

torch = pytest.importorskip("torch")

STEPS = 50

OPTIMIZERS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, optim.SGD),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, optim.SGD),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01},
        optim.Adagrad,
    ),
    (
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
        optim.RMSprop,
    ),
    ("RMSprop", {"lr": 0.01}, optim.RMSprop),
    ("Adadelta", {"lr": 1.0, "rho": 0.95, "weight_decay": 0.01}, optim.Adadelta),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}, optim.Adam),
    ("AdamW", {"lr": 0.01, "betas": (0.8, 0.99)}, optim.AdamW),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.01}, optim.NAdam),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.01}, optim.Adamax),
]


def torch_path(name, kwargs, steps):
    params = [torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True) for a in (W0, B0)]
    opt = getattr(torch.optim, name)(params, **kwargs)
    path = []
    for _ in range(steps):
        grads = numpy_grads(*(p.detach().numpy() for p in params))
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(g)
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path


@pytest.mark.parametrize(
    "name, kwargs, cls", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(OPTIMIZERS)]
)
def test_optimizer_matches_torch(name, kwargs, cls):
    params = make_params("cpu")
    ours = train(cls(params, **kwargs), params, STEPS, "cpu")
    theirs = torch_path(name, kwargs, STEPS)
    # PyTorch keeps NAdam's running product of momenta in a float32 scalar,
    # so the paths drift apart by ~1e-8 relative
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-12)


def _pair(lr=0.1, **opt_kwargs):
    ours = optim.SGD([Parameter(np.ones(2))], lr=lr, **opt_kwargs)
    theirs = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=lr, **opt_kwargs)
    return ours, theirs


SCHEDULES = [
    (
        lambda o: optim.StepLR(o, 3, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5),
    ),
    (
        lambda o: optim.ExponentialLR(o, 0.9),
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9),
    ),
    (
        lambda o: optim.CosineAnnealingLR(o, 10, eta_min=0.01),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, eta_min=0.01),
    ),
    (
        lambda o: optim.LinearWarmup(o, 5),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, total_iters=5),
    ),
    (
        lambda o: optim.LambdaLR(o, lambda t: 1 / (1 + t)),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1 / (1 + t)),
    ),
]


@pytest.mark.parametrize("i", range(len(SCHEDULES)))
def test_schedule_matches_torch(i):
    make_ours, make_theirs = SCHEDULES[i]
    ours, theirs = _pair()
    s, ts = make_ours(ours), make_theirs(theirs)
    for _ in range(15):
        assert ours.lr == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-12)
        theirs.step()
        s.step()
        ts.step()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"anneal_strategy": "linear"},
        {"three_phase": True, "pct_start": 0.25},
    ],
)
def test_one_cycle_matches_torch(kwargs):
    ours, theirs = _pair(momentum=0.9)
    s = optim.OneCycleLR(ours, max_lr=1.0, total_steps=40, **kwargs)
    ts = torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=1.0, total_steps=40, **kwargs)
    for _ in range(40):
        assert ours.lr == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-12)
        assert ours.param_groups[0]["momentum"] == pytest.approx(
            theirs.param_groups[0]["momentum"], rel=1e-12
        )
        theirs.step()
        s.step()
        ts.step()


def test_one_cycle_cycles_adam_beta1_like_torch():
    ours = optim.Adam([Parameter(np.ones(2))])
    theirs = torch.optim.Adam([torch.ones(2, requires_grad=True)])
    s = optim.OneCycleLR(ours, max_lr=0.01, total_steps=20)
    ts = torch.optim.lr_scheduler.OneCycleLR(theirs, max_lr=0.01, total_steps=20)
    for _ in range(20):
        assert ours.param_groups[0]["betas"][0] == pytest.approx(theirs.param_groups[0]["betas"][0])
        theirs.step()
        s.step()
        ts.step()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 2},
        {"patience": 1, "cooldown": 2, "min_lr": 0.002, "factor": 0.5},
        {"mode": "max", "threshold_mode": "abs", "threshold": 0.1, "patience": 0},
    ],
)
def test_reduce_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.3, 0.3, 0.3, 0.3]
    ours, theirs = _pair()
    s = optim.ReduceLROnPlateau(ours, **kwargs)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    for m in metrics:
        s.step(m)
        ts.step(m)
        assert ours.lr == pytest.approx(theirs.param_groups[0]["lr"], rel=1e-12)


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 2)) * 5, rng.standard_normal(4)]
    for norm_type in (2.0, 1.0, float("inf"), 3.0):
        ours = [Parameter(np.zeros_like(g)) for g in grads]
        for p, g in zip(ours, grads):
            p.grad = Variable(g)
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, g in zip(theirs, grads):
            p.grad = torch.from_numpy(g.copy())
        total = optim.clip_grad_norm(ours, 1.5, norm_type)
        t_total = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
        assert total == pytest.approx(float(t_total), rel=1e-12)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)
