"""Learning-rate schedules against their closed forms; plateau logic; 1-cycle shape; state."""

import math
import re

import numpy as np
import pytest

from minigrad import Parameter, optim


def sgd(lr=0.1, groups=1, **kwargs):
    if groups == 1:
        return optim.SGD([Parameter(np.ones(2))], lr=lr, **kwargs)
    return optim.SGD(
        [{"params": [Parameter(np.ones(2))], "lr": lr * (i + 1)} for i in range(groups)],
        lr=lr,
        **kwargs,
    )


def lrs(opt, sched, steps):
    """The lr of the first group at t = 0 .. steps - 1."""
    out = []
    for _ in range(steps):
        out.append(opt.lr)
        sched.step()
    return out


def test_inverse_time_decay_reference_table():
    # the reference notes: alpha0 = 0.1, decay_rate = 1 -> 0.1, 0.05, 0.033, 0.025
    opt = sgd(0.1)
    got = lrs(opt, optim.InverseTimeDecay(opt, decay_rate=1.0), 4)
    assert got == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025])
    assert [round(v, 3) for v in got] == [0.1, 0.05, 0.033, 0.025]


T = np.arange(12)
# (name, schedule on an optimizer with lr 0.1, expected lrs of a group that started at lr0)
CLOSED_FORMS = [
    ("step", lambda o: optim.StepLR(o, step_size=3, gamma=0.5), lambda lr0: lr0 * 0.5 ** (T // 3)),
    ("exponential_lr", lambda o: optim.ExponentialLR(o, gamma=0.9), lambda lr0: lr0 * 0.9**T),
    ("exp_k", lambda o: optim.ExponentialDecay(o, k=0.1), lambda lr0: lr0 * np.exp(-0.1 * T)),
    ("exp_default_k", lambda o: optim.ExponentialDecay(o), lambda lr0: lr0 * np.exp(-0.1 * T)),
    (
        "exp_keras",
        lambda o: optim.ExponentialDecay(o, decay_rate=0.1, decay_steps=4),
        lambda lr0: lr0 * 0.1 ** (T / 4),
    ),
    (
        "exp_staircase",
        lambda o: optim.ExponentialDecay(o, decay_rate=0.5, decay_steps=4, staircase=True),
        lambda lr0: lr0 * 0.5 ** (T // 4),
    ),
    (
        "inverse_time",
        lambda o: optim.InverseTimeDecay(o, decay_rate=0.5, decay_steps=2),
        lambda lr0: lr0 / (1 + 0.5 * T / 2),
    ),
    (
        "inverse_staircase",
        lambda o: optim.InverseTimeDecay(o, decay_rate=1.0, decay_steps=3, staircase=True),
        lambda lr0: lr0 / (1 + T // 3),
    ),
    ("power", lambda o: optim.PowerSchedule(o, s=5, c=2), lambda lr0: lr0 / (1 + T / 5) ** 2),
    (
        "piecewise",
        lambda o: optim.PiecewiseConstant(o, [3, 7], [0.1, 0.01, 0.001]),
        lambda lr0: lr0 / 0.1 * np.where(T < 3, 0.1, np.where(T < 7, 0.01, 0.001)),
    ),
    (
        "cosine",
        lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
        lambda lr0: 0.01 + (lr0 - 0.01) * (1 + np.cos(np.pi * T / 10)) / 2,
    ),
    (
        "warmup",
        lambda o: optim.LinearWarmup(o, 4, start_factor=0.0),
        lambda lr0: lr0 * np.minimum(T / 4, 1),
    ),
    ("lambda", lambda o: optim.LambdaLR(o, lambda t: 0.5**t), lambda lr0: lr0 * 0.5**T),
]


@pytest.mark.parametrize("name, make, expected", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_closed_forms(name, make, expected):
    opt = sgd(0.1)
    sched = make(opt)
    np.testing.assert_allclose(lrs(opt, sched, len(T)), expected(0.1), rtol=1e-12)
    assert sched.get_last_lr() == [opt.lr]


@pytest.mark.parametrize("name, make, expected", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_each_parameter_group_follows_its_own_start(name, make, expected):
    opt = sgd(0.1, groups=3)  # groups start at 0.1, 0.2, 0.3
    sched = make(opt)
    want = np.stack([expected(0.1 * (i + 1)) for i in range(3)], axis=1)
    for t in range(len(T)):
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], want[t], rtol=1e-12)
        sched.step()


def test_exponential_decay_forms_agree():
    a, b = sgd(), sgd()
    k = -math.log(0.5) / 3
    la = lrs(a, optim.ExponentialDecay(a, k=k), 10)
    lb = lrs(b, optim.ExponentialDecay(b, decay_rate=0.5, decay_steps=3), 10)
    np.testing.assert_allclose(la, lb, rtol=1e-12)


def test_keras_initial_learning_rate():
    """Keras' ExponentialDecay(initial_learning_rate, decay_steps, decay_rate) and
    InverseTimeDecay: initial_learning_rate replaces the optimizer's lr in every group."""
    opt = optim.Adam([Parameter(np.ones(2))], learning_rate=1.0)
    sched = optim.ExponentialDecay(opt, initial_learning_rate=0.1, decay_steps=10,
                                   decay_rate=0.5)
    np.testing.assert_allclose(lrs(opt, sched, 21)[::10], [0.1, 0.05, 0.025], rtol=1e-12)
    opt = sgd(1.0, groups=2)
    sched = optim.InverseTimeDecay(opt, decay_rate=1.0, initial_learning_rate=0.1)
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.05])
    with pytest.raises(ValueError, match="InverseTimeDecay: initial_learning_rate must be a "
                                         "number > 0, got -0.1"):
        optim.InverseTimeDecay(sgd(), 1.0, initial_learning_rate=-0.1)


def test_warmup_then_another_schedule():
    opt = sgd(0.1)
    sched = optim.LinearWarmup(
        opt, 5, start_factor=0.2, after=optim.CosineAnnealingLR(opt, T_max=10)
    )
    got = lrs(opt, sched, 16)
    np.testing.assert_allclose(got[:5], 0.1 * (0.2 + 0.8 * np.arange(5) / 5))
    np.testing.assert_allclose(
        got[5:], 0.1 * (1 + np.cos(np.pi * np.arange(11) / 10)) / 2, atol=1e-15
    )


def test_keras_learning_rate_scheduler_compounds():
    # the reference notes' scheduler: keep lr for 10 epochs, then lr * exp(-0.1 * epoch)
    opt = sgd(0.1)
    sched = optim.LearningRateScheduler(
        opt, lambda epoch, lr: lr if epoch < 10 else lr * math.exp(-0.1 * epoch)
    )
    got = lrs(opt, sched, 14)
    expected = [0.1] * 10
    for epoch in range(10, 14):
        expected.append(expected[-1] * math.exp(-0.1 * epoch))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_reduce_on_plateau_patience_and_min_lr():
    opt = sgd(1.0)
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=2, min_lr=0.3)
    seen = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        sched.step(metric)
        seen.append(opt.lr)
    # improves at step 1; 3 bad evaluations (> patience 2) -> halve, counter restarts
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]


def test_reduce_on_plateau_cooldown_and_improvement():
    opt = sgd(1.0)
    sched = optim.ReduceLROnPlateau(opt, factor=0.1, patience=0, cooldown=2)
    seen = []
    for metric in [5, 5, 5, 5, 5, 4, 3, 3]:
        sched.step(metric)
        seen.append(round(opt.lr, 12))
    # bad at 2 -> reduce; cooldown hides 3, 4; 5th bad again -> reduce; improvements after
    assert seen == [1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]
    assert sched.best == 3


def test_reduce_on_plateau_threshold_and_max_mode():
    opt = sgd(1.0)
    sched = optim.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1)
    sched.step(1.0)
    sched.step(1.05)  # not 10% better
    assert opt.lr == pytest.approx(0.1)
    sched.step(1.2)
    assert opt.lr == pytest.approx(0.1) and sched.best == 1.2


def test_one_cycle_shape():
    opt = sgd(0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, max_lr=1.0, total_steps=100)
    lr, mom = [], []
    for _ in range(100):
        lr.append(opt.lr)
        mom.append(opt.param_groups[0]["momentum"])
        sched.step()
    peak = int(np.argmax(lr))
    assert peak == 29 and lr[peak] == pytest.approx(1.0)
    assert lr[0] == pytest.approx(1.0 / 25) and lr[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert np.all(np.diff(lr[: peak + 1]) > 0) and np.all(np.diff(lr[peak:]) < 0)
    # momentum goes the other way: 0.95 -> 0.85 at the peak -> 0.95
    assert (
        mom[0] == pytest.approx(0.95)
        and mom[peak] == pytest.approx(0.85)
        and mom[-1] == pytest.approx(0.95)
    )
    assert np.all(np.diff(mom[: peak + 1]) < 0) and np.all(np.diff(mom[peak:]) > 0)
    with pytest.raises(ValueError, match="more than total_steps"):
        sched.step()
        sched.step()


@pytest.mark.parametrize("anneal", ["linear", "cos"])
def test_one_cycle_keeps_its_final_rate_after_a_loops_last_step(anneal):
    # total_steps batches, scheduler.step() after each: the last call is one past the end,
    # where extrapolating the linear anneal gave a negative rate (refused)
    opt = sgd(0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, max_lr=1.0, total_steps=40, anneal_strategy=anneal)
    for _ in range(40):
        sched.step()
    assert opt.lr == pytest.approx(1.0 / 25 / 1e4)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)


def test_one_cycle_cycles_beta1_and_checks_momentum():
    opt = optim.Adam([Parameter(np.ones(2))])
    optim.OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=5)
    assert opt.param_groups[0]["betas"] == (0.95, 0.999)
    with pytest.raises(ValueError, match="neither momentum nor betas"):
        optim.OneCycleLR(optim.Adagrad([Parameter(np.ones(2))]), max_lr=0.1, total_steps=10)


@pytest.mark.parametrize(
    "make",
    [
        lambda o: optim.StepLR(o, 2),
        lambda o: optim.LinearWarmup(o, 3, after=optim.ExponentialLR(o, 0.5)),
        lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=30),
        lambda o: optim.ReduceLROnPlateau(o, patience=1),
    ],
)
def test_state_dict_resume(make):
    metrics = [3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    opt = sgd(0.1, momentum=0.9)
    sched = make(opt)

    def advance(o, s, ms):
        out = []
        for m in ms:
            s.step(m) if isinstance(s, optim.ReduceLROnPlateau) else s.step()
            out.append((o.lr, o.param_groups[0]["momentum"]))
        return out

    advance(opt, sched, metrics[:5])
    saved, opt_saved = sched.state_dict(), opt.state_dict()
    straight = advance(opt, sched, metrics[5:])
    opt2 = sgd(0.1, momentum=0.9)
    sched2 = make(opt2)
    opt2.load_state_dict(opt_saved)
    sched2.load_state_dict(saved)
    assert advance(opt2, sched2, metrics[5:]) == straight


def test_load_onto_other_optimizer_layout_is_an_error():
    sched = optim.StepLR(sgd(0.1), 2)
    other = optim.StepLR(sgd(0.1, groups=2), 2)
    with pytest.raises(ValueError, match="1 parameter groups, this one has 2"):
        other.load_state_dict(sched.state_dict())
    with pytest.raises(ValueError, match="belongs to a StepLR"):
        optim.ExponentialLR(sgd(0.1), 0.5).load_state_dict(sched.state_dict())


def test_warmup_continues_only_with_a_schedule_of_t():
    opt = sgd(0.1)
    with pytest.raises(TypeError, match="got ReduceLROnPlateau"):
        optim.LinearWarmup(opt, 3, after=optim.ReduceLROnPlateau(opt))


def test_group_added_after_the_schedule_is_an_error():
    opt = sgd(0.1)
    sched = optim.StepLR(opt, 2)
    opt.add_param_group({"params": [Parameter(np.ones(1))]})
    with pytest.raises(ValueError, match="2 parameter groups, this schedule was set up for 1"):
        sched.step()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda o: optim.StepLR(o, 0), "step_size must be an integer > 0"),
        (lambda o: optim.ExponentialLR(o, -0.5), "gamma must be a number > 0"),
        (lambda o: optim.ExponentialDecay(o, k=0.1, decay_rate=0.5), "not both"),
        (lambda o: optim.PiecewiseConstant(o, [5], [0.1]), "len.values. == len.boundaries. . 1"),
        (lambda o: optim.PiecewiseConstant(o, [5, 3], [0.1, 0.2, 0.3]), "increasing"),
        (lambda o: optim.ReduceLROnPlateau(o, factor=1.5), r"factor must be in \(0, 1\), got 1.5"),
        (lambda o: optim.ReduceLROnPlateau(o, mode="best"), "mode must be 'min' or 'max'"),
        (lambda o: optim.OneCycleLR(o, max_lr=1.0), "give total_steps"),
        (lambda o: optim.LinearWarmup(o, 3, after=optim.StepLR(sgd(), 2)), "same optimizer"),
        (lambda o: optim.LambdaLR(o, [lambda t: 1.0, lambda t: 1.0]), "1 functions"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(sgd(0.1))


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.5, "0.5", None])
def test_lambda_lr_refuses_a_factor_that_is_not_a_rate(value):
    def lr_lambda(t):
        return 1.0 if t < 2 else value

    opt = sgd(0.1)
    sched = optim.LambdaLR(opt, lr_lambda)
    sched.step()
    with pytest.raises(ValueError, match=rf"LambdaLR: lr_lambda\(2\) returned "
                                         rf"{re.escape(repr(value))} for parameter group 0; "
                                         rf"expected a finite number >= 0"):
        sched.step()
    assert opt.lr == 0.1  # the last good rate stays


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.5])
def test_a_schedule_that_gives_a_bad_rate_is_named_with_its_step(value):
    opt = sgd(0.1)
    sched = optim.LearningRateScheduler(opt, lambda t, lr: lr if t < 3 else value)
    sched.step(), sched.step()
    with pytest.raises(ValueError, match=rf"LearningRateScheduler: the learning rate at step "
                                         rf"t=3 is {value!r} \(parameter group 0\); a schedule "
                                         rf"must give a finite number >= 0"):
        sched.step()
    assert opt.lr == 0.1
    warm = sgd(0.1)
    optim.LinearWarmup(warm, 2, start_factor=0.0)  # a rate of 0 is allowed
    assert warm.lr == 0.0
