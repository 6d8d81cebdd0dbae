"""The optimizers' subnormal flush: it zeroes what it should, leaves normal numbers alone,
follows its interval, resumes bit for bit, and rejects bad settings."""

import numpy as np
import pytest

import minigrad
from minigrad import F, Parameter, Variable, optim
from minigrad.optim.optimizer import flush_subnormals
from tests.optim.problems import make_params, resume_paths, train

TINY32 = np.finfo(np.float32).tiny  # smallest normal float32, ~1.18e-38

MAKERS = {
    "adam": lambda ps, flush: optim.Adam(ps, lr=0.01, amsgrad=True, flush_subnormals=flush),
    "sgd_momentum": lambda ps, flush: optim.SGD(ps, lr=0.05, momentum=0.9,
                                                flush_subnormals=flush),
    "rmsprop_centered": lambda ps, flush: optim.RMSprop(ps, lr=0.01, centered=True,
                                                        momentum=0.5, flush_subnormals=flush),
    "adadelta": lambda ps, flush: optim.Adadelta(ps, flush_subnormals=flush),
    "nadam": lambda ps, flush: optim.Nadam(ps, flush_subnormals=flush),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_leaves_normal_trajectories_unchanged(name, dtype, device):
    runs = []
    for flush in (1, False):  # flushing after every step vs never
        params = make_params(device, dtype)
        runs.append(train(MAKERS[name](params, flush), params, 30, device))
    for a, b in zip(*runs):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_flush_zeroes_only_subnormal_entries(device):
    values = np.array([3e-39, -1e-45, TINY32, -2 * TINY32, 0.5, 0.0, -1e-40], np.float32)
    state = {"step": 7, "exp_avg": minigrad.to_device(values, device),
             "scalar": minigrad.to_device(np.array(1e-41, np.float32), device),
             "wide": minigrad.to_device(np.array([1e-39, 1e-300]), device),
             "labels": minigrad.to_device(np.array([1, 0]), device)}
    held = state["exp_avg"]
    flush_subnormals(state)
    assert state["exp_avg"] is held  # in place
    np.testing.assert_array_equal(minigrad.backend.to_numpy(held),
                                  [0, 0, TINY32, -2 * TINY32, 0.5, 0, 0])
    assert float(minigrad.backend.to_numpy(state["scalar"])) == 0.0
    # float64 has a far smaller smallest normal (~2.2e-308): 1e-39 stays, 1e-300 stays
    np.testing.assert_array_equal(minigrad.backend.to_numpy(state["wide"]), [1e-39, 1e-300])
    assert state["step"] == 7


def _decayed_moments(flush, steps=130):
    """Nadam on one float32 weight whose gradient is 1e-22 once, then exactly 0:
    m decays by 0.9 per step, from 1e-23 into the subnormal range after ~140
    steps; seeded close to it here so the test is short. (Adam keeps its
    moments scaled and does not decay them in storage; see test_adam.py.)"""
    w = Parameter(np.ones(4, np.float32))
    opt = optim.Nadam([w], lr=1e-3, flush_subnormals=flush)
    w.grad = Variable(np.full(4, 1e-22, np.float32))
    opt.step()
    opt.state[w]["exp_avg"][...] = 1e-34  # ~90 steps above the subnormal range
    for _ in range(steps):
        w.grad = Variable(np.zeros(4, np.float32))
        opt.step()
    return opt.state[w]


def test_without_flush_moments_stay_subnormal():
    state = _decayed_moments(False)
    m = state["exp_avg"]
    assert np.all((m != 0) & (np.abs(m) < TINY32))  # the trap the flush avoids


@pytest.mark.parametrize("every", [True, 10])
def test_flush_clears_decayed_moments(every):
    state = _decayed_moments(every, steps=99 if every is True else 129)  # ends on a flush step
    assert state["step"] % (50 if every is True else 10) == 0
    assert np.all(state["exp_avg"] == 0) and np.all(state["exp_avg_sq"] == 0)


def test_flush_runs_only_on_its_interval():
    w = Parameter(np.ones(2, np.float32))
    opt = optim.SGD([w], lr=0.1, momentum=0.5, flush_subnormals=3)
    assert opt.flush_every == 3
    w.grad = Variable(np.ones(2, np.float32))
    opt.step()
    seen = []
    for _ in range(5):
        opt.state[w]["momentum_buffer"][...] = 1e-40
        w.grad = Variable(np.zeros(2, np.float32))
        opt.step()  # 1e-40 * 0.5 is still subnormal unless flushed
        seen.append(bool(np.all(opt.state[w]["momentum_buffer"] == 0)))
    assert seen == [False, True, False, False, True]  # steps 2..6: flushed at 3 and 6


def test_defaults_and_off_switch():
    w = Parameter(np.ones(2))
    assert optim.Adam([w]).flush_every == 50
    assert optim.Adam([w], flush_subnormals=False).flush_every == 0
    assert optim.RMSprop([w], flush_subnormals=7).flush_every == 7


@pytest.mark.parametrize("value", [0, -3, 2.5, "yes"])
def test_bad_flush_setting_is_rejected(value):
    with pytest.raises(ValueError, match=f"Adam: flush_subnormals must be .* got {value!r}"):
        optim.Adam([Parameter(np.ones(2))], flush_subnormals=value)


def test_resume_across_flush_steps_is_bit_exact(device):
    def make(ps):
        return optim.Adam(ps, lr=0.01, flush_subnormals=4)

    straight, again = resume_paths(make, device)
    for a, b in zip(straight, again):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_step_builds_no_graph(device):
    w = Parameter(minigrad.to_device(np.ones((3, 2), np.float32), device))
    opt = optim.Adam([w], lr=0.1)
    F.sum(w * w).backward()
    data = w.data
    opt.step()
    assert w.creator is None and w.data is data  # updated in place, outside the graph
    assert all(not isinstance(v, Variable) for v in opt.state[w].values())
