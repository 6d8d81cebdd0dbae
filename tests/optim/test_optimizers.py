"""Optimizers: trajectories against plain-numpy transcriptions of the published rules,
convergence, state_dict resume, dtypes, frozen parameters, clipping options, bad input."""

import math

import numpy as np
import pytest

import minigrad
from minigrad import F, Parameter, Variable, optim
from tests.optim.problems import B0, W0, make_params, numpy_grads, resume_paths, train

STEPS = 60


# -- the published update rules, transcribed in numpy (one function per paper) -----------
def ref_sgd(lr):
    def step(p, g, s, t):
        return p - lr * g

    return step


def ref_momentum(lr, mu):
    # velocity form (Polyak; the reference notes): v <- mu v - lr g; p <- p + v
    def step(p, g, s, t):
        s["v"] = mu * s.get("v", 0.0) - lr * g
        return p + s["v"]

    return step


def ref_nesterov(lr, mu):
    # Sutskever et al. 2013, as Keras writes it: v <- mu v - lr g; p <- p + mu v - lr g
    def step(p, g, s, t):
        s["v"] = mu * s.get("v", 0.0) - lr * g
        return p + mu * s["v"] - lr * g

    return step


def ref_adagrad(lr, eps=1e-10, lr_decay=0.0, init=0.0):
    def step(p, g, s, t):
        s["G"] = s.get("G", init) + g * g
        return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["G"]) + eps)

    return step


def ref_rmsprop(lr, rho, eps=1e-8, momentum=0.0, centered=False):
    def step(p, g, s, t):
        s["E"] = rho * s.get("E", 0.0) + (1 - rho) * g**2
        var = s["E"]
        if centered:
            s["gbar"] = rho * s.get("gbar", 0.0) + (1 - rho) * g
            var = var - s["gbar"] ** 2
        d = g / (np.sqrt(var) + eps)
        if momentum:
            s["buf"] = momentum * s.get("buf", 0.0) + d
            d = s["buf"]
        return p - lr * d

    return step


def ref_adadelta(lr, rho, eps):
    # Zeiler 2012, algorithm 1 (times lr)
    def rms(e):
        return np.sqrt(e + eps)

    def step(p, g, s, t):
        s["Eg"] = rho * s.get("Eg", 0.0) + (1 - rho) * g**2
        dx = -rms(s.get("Edx", 0.0)) / rms(s["Eg"]) * g
        s["Edx"] = rho * s.get("Edx", 0.0) + (1 - rho) * dx**2
        return p + lr * dx

    return step


def ref_adam(lr, b1, b2, eps, amsgrad=False, decoupled_wd=0.0):
    # Kingma & Ba 2015, algorithm 1; AMSGrad keeps the running max of v;
    # AdamW (Loshchilov & Hutter) first shrinks p by lr * wd.
    def step(p, g, s, t):
        p = p - lr * decoupled_wd * p
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        v = s["v"]
        if amsgrad:
            v = s["vmax"] = np.maximum(s.get("vmax", 0.0), v)
        m_hat = s["m"] / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)

    return step


def ref_nadam(lr, b1, b2, eps, psi):
    # Dozat 2016 with the momentum schedule mu_t = b1 (1 - 0.5 * 0.96^(t psi))
    def mu(t):
        return b1 * (1 - 0.5 * 0.96 ** (t * psi))

    def step(p, g, s, t):
        prod = s.get("prod", 1.0) * mu(t)
        s["prod"] = prod
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        m_bar = mu(t + 1) * s["m"] / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        return p - lr * m_bar / (np.sqrt(s["v"] / (1 - b2**t)) + eps)

    return step


def ref_adamax(lr, b1, b2, eps):
    # Kingma & Ba 2015, algorithm 2 (eps added to |g| as PyTorch does)
    def step(p, g, s, t):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g) + eps)
        return p - lr / (1 - b1**t) * s["m"] / s["u"]

    return step


def reference_path(rule, steps, coupled_wd=0.0):
    params = [W0.copy(), B0.copy()]
    states = [{}, {}]
    path = []
    for t in range(1, steps + 1):
        grads = numpy_grads(*params)
        params = [rule(p, g + coupled_wd * p, s, t) for p, g, s in zip(params, grads, states)]
        path.append([p.copy() for p in params])
    return path


CASES = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.1), ref_sgd(0.1), 0.0),
    "momentum": (
        lambda ps: optim.Momentum(ps, lr=0.05, momentum=0.9),
        ref_momentum(0.05, 0.9),
        0.0,
    ),
    "sgd_momentum_wd": (
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, weight_decay=0.1),
        ref_momentum(0.05, 0.8),
        0.1,
    ),
    "nesterov": (
        lambda ps: optim.Nesterov(ps, lr=0.05, momentum=0.9),
        ref_nesterov(0.05, 0.9),
        0.0,
    ),
    "adagrad": (lambda ps: optim.AdaGrad(ps, lr=0.1), ref_adagrad(0.1), 0.0),
    "adagrad_decay": (
        lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
        ref_adagrad(0.1, lr_decay=0.01, init=0.1),
        0.0,
    ),
    "rmsprop": (lambda ps: optim.RMSProp(ps, lr=0.01), ref_rmsprop(0.01, 0.99), 0.0),
    "rmsprop_centered_momentum": (
        lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True),
        ref_rmsprop(0.01, 0.9, momentum=0.5, centered=True),
        0.0,
    ),
    "adadelta": (lambda ps: optim.Adadelta(ps), ref_adadelta(1.0, 0.9, 1e-6), 0.0),
    "adam": (lambda ps: optim.Adam(ps, lr=0.01), ref_adam(0.01, 0.9, 0.999, 1e-8), 0.0),
    "adam_amsgrad_wd": (
        lambda ps: optim.Adam(ps, lr=0.01, beta1=0.8, amsgrad=True, weight_decay=0.05),
        ref_adam(0.01, 0.8, 0.999, 1e-8, amsgrad=True),
        0.05,
    ),
    "adamw": (
        lambda ps: optim.AdamW(ps, lr=0.01),
        ref_adam(0.01, 0.9, 0.999, 1e-8, decoupled_wd=1e-2),
        0.0,
    ),
    "nadam": (lambda ps: optim.Nadam(ps), ref_nadam(2e-3, 0.9, 0.999, 1e-8, 4e-3), 0.0),
    "adamax": (
        lambda ps: optim.AdaMax(ps, betas=(0.8, 0.99)),
        ref_adamax(2e-3, 0.8, 0.99, 1e-8),
        0.0,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_trajectory_matches_published_rule(name, device):
    make, rule, coupled_wd = CASES[name]
    params = make_params(device)
    path = train(make(params), params, STEPS, device)
    expected = reference_path(rule, STEPS, coupled_wd)
    assert not np.allclose(path[-1][0], W0)  # the test moves the parameters
    for got, want in zip(path, expected):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-12)


CONVERGE = {
    "sgd": {"lr": 0.05},
    "momentum": {"lr": 0.02},
    "nesterov": {"lr": 0.02},
    "adagrad": {"lr": 0.5},
    "rmsprop": {"lr": 0.01},
    "adadelta": {"lr": 1.0},
    "adam": {"lr": 0.05},
    "adamw": {"lr": 0.05, "weight_decay": 0.0},
    "nadam": {"lr": 0.05},
    "adamax": {"lr": 0.1},
}


@pytest.mark.parametrize("name", sorted(CONVERGE))
def test_reaches_minimum_of_convex_quadratic(name):
    d, c = np.array([1.0, 3.0, 10.0]), np.array([1.0, -2.0, 0.5])
    D, C = Variable(d), Variable(c)
    w = Parameter(np.zeros(3))
    opt = optim.get_optimizer(name, [w], **CONVERGE[name])
    for _ in range(1000):
        opt.zero_grad()
        (0.5 * F.sum(D * (w - C) ** 2)).backward()
        opt.step()
    np.testing.assert_allclose(w.numpy(), c, atol=1e-3)


@pytest.mark.parametrize(
    "name", ["momentum_wd", "rmsprop", "adam_amsgrad", "nadam", "adamax", "adadelta"]
)
def test_state_dict_resume_is_bit_exact(name, device):
    make = {
        "momentum_wd": lambda ps: optim.SGD(
            ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01
        ),
        "rmsprop": lambda ps: optim.RMSProp(ps, lr=0.01, momentum=0.5, centered=True),
        "adam_amsgrad": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
        "nadam": lambda ps: optim.Nadam(ps),
        "adamax": lambda ps: optim.Adamax(ps),
        "adadelta": lambda ps: optim.Adadelta(ps),
    }[name]
    straight, again = resume_paths(make, device)
    for a, b in zip(straight, again):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype == np.float32
            np.testing.assert_array_equal(x, y)


def test_state_dict_contents():
    params = make_params("cpu")
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}])
    train(opt, params, 3, "cpu")
    sd = opt.state_dict()
    assert sd["optimizer"] == "Adam"
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [1e-3, 0.1]
    assert sd["state"][0]["step"] == 3 and sd["state"][1]["exp_avg"].shape == (2,)


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_float32_stays_float32_and_no_graph(name, device):
    params = make_params(device, np.float32)
    opt = optim.get_optimizer(name, params, lr=0.01)
    train(opt, params, 3, device)
    for p in params:
        assert str(p.dtype).endswith("float32") and p.device == device
        assert p.creator is None
        for value in opt.state[p].values():
            if hasattr(value, "dtype"):
                assert str(value.dtype).endswith("float32")


def test_frozen_and_gradless_parameters_are_skipped():
    a, b, c = (Parameter(np.ones(2)) for _ in range(3))
    b.trainable = False
    opt = optim.Adam([a, b, c], lr=0.1)
    (F.sum(a * a) + F.sum(b * b)).backward()
    assert c.grad is None and b.grad is None
    opt.step()
    assert not np.allclose(a.numpy(), 1.0)
    np.testing.assert_array_equal(b.numpy(), 1.0)
    np.testing.assert_array_equal(c.numpy(), 1.0)
    assert b not in opt.state and c not in opt.state


def test_parameter_groups_use_their_own_hyperparameters():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = Variable(np.ones(2))
    b.grad = Variable(np.ones(2))
    opt.step()
    np.testing.assert_allclose(a.numpy(), 0.9)
    np.testing.assert_allclose(b.numpy(), 0.5)
    assert opt.lr == 0.1
    opt.lr = 0.2
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2] and opt.learning_rate == 0.2
    opt.add_param_group({"params": [Parameter(np.ones(1))], "momentum": 0.9})
    assert opt.param_groups[-1]["lr"] == 0.2 and opt.param_groups[-1]["momentum"] == 0.9


def test_lr_setter_refuses_nan_inf_and_non_positive():
    opt = optim.SGD([Parameter(np.ones(2))], lr=0.1)
    for bad in (math.nan, math.inf, 0.0, -0.1):
        with pytest.raises(ValueError, match=f"SGD: lr must be a finite number > 0, got {bad}"):
            opt.lr = bad
    assert opt.lr == 0.1


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_step_refuses_a_gradient_of_another_shape(name):
    """A (3,) gradient would broadcast onto a (2, 3) parameter and move both rows alike."""
    b = Parameter(np.zeros(3), name="b")
    W = Parameter(np.ones((2, 3)), name="W")
    opt = getattr(optim, name)([b, W], lr=0.1)
    b.grad = Variable(np.ones(3))
    W.grad = Variable(np.ones(3))
    with pytest.raises(ValueError, match=rf"{name}.step\(\): parameter 'W' \(shape \(2, 3\)\) "
                                         rf"has a gradient of shape \(3,\); it must have the "
                                         rf"parameter's shape \(2, 3\)"):
        opt.step()
    np.testing.assert_array_equal(W.numpy(), 1.0)  # nothing was updated
    np.testing.assert_array_equal(b.numpy(), 0.0)
    unnamed = Parameter(np.ones((2, 3)))
    opt = optim.SGD([b, unnamed], lr=0.1)
    unnamed.grad = Variable(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"parameter at position 1 \(shape \(2, 3\)\) has a "
                                         r"gradient of shape \(1, 3\)"):
        opt.step()


def test_zero_grad_and_closure():
    w = Parameter(np.array([2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = F.sum(w * w)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(w.numpy(), [1.0])
    opt.zero_grad()
    assert w.grad is None


def test_constraint_applied_after_update():
    w = Parameter(np.array([3.0, -4.0]))
    w.constraint = lambda a: a / 10
    opt = optim.SGD([w], lr=1.0)
    w.grad = Variable(np.array([1.0, 1.0]))
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.2, -0.5])


def test_decoupled_and_coupled_weight_decay():
    # with a zero gradient: SGD's L2 decay moves p by -lr*wd*p; AdamW shrinks p by (1 - lr*wd)
    p, q = Parameter(np.array([2.0])), Parameter(np.array([2.0]))
    sgd, adamw = (
        optim.SGD([p], lr=0.1, weight_decay=0.5),
        optim.AdamW([q], lr=0.1, weight_decay=0.5),
    )
    p.grad, q.grad = Variable(np.zeros(1)), Variable(np.zeros(1))
    sgd.step()
    adamw.step()
    np.testing.assert_allclose(p.numpy(), [1.9])
    np.testing.assert_allclose(q.numpy(), [1.9])


def test_clip_options(device):
    def step(**clip):
        a = Parameter(minigrad.to_device(np.zeros(2), device))
        b = Parameter(minigrad.to_device(np.zeros(1), device))
        a.grad = Variable(minigrad.to_device(np.array([3.0, 4.0]), device))
        b.grad = Variable(minigrad.to_device(np.array([0.5]), device))
        optim.SGD([a, b], lr=1.0, **clip).step()
        assert a.grad.numpy()[0] == 3.0  # the stored gradient is left alone
        return -a.numpy(), -b.numpy()

    a, b = step(clipnorm=1.0)  # per parameter: |(3, 4)| = 5 -> 1; |0.5| stays
    np.testing.assert_allclose(a, [0.6, 0.8])
    np.testing.assert_allclose(b, [0.5])
    a, b = step(global_clipnorm=1.0)  # together: sqrt(25.25)
    n = math.sqrt(25.25)
    np.testing.assert_allclose(np.concatenate([a, b]), np.array([3.0, 4.0, 0.5]) / n)
    a, b = step(clipvalue=0.6)
    np.testing.assert_allclose(a, [0.6, 0.6])
    np.testing.assert_allclose(b, [0.5])
    a, b = step(global_clipnorm=100.0)  # below the threshold: unchanged
    np.testing.assert_allclose(a, [3.0, 4.0])


def test_get_optimizer():
    w = Parameter(np.ones(2))
    assert isinstance(optim.get_optimizer("Adam", [w]), optim.Adam)
    opt = optim.RMSprop([w])
    assert optim.get_optimizer(opt) is opt
    with pytest.raises(ValueError, match="valid names: sgd, momentum"):
        optim.get_optimizer("adamz", [w])
    with pytest.raises(ValueError, match="needs the parameters"):
        optim.get_optimizer("sgd")


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda w: optim.SGD([w], lr=0.0), "lr must be a finite number > 0, got 0.0"),
        (lambda w: optim.Adam([w], lr=-1e-3), "lr must be a finite number > 0, got -0.001"),
        (lambda w: optim.SGD([w], lr=math.inf), "lr must be a finite number > 0, got inf"),
        (
            lambda w: optim.Adam([w], betas=(0.9, 1.0)),
            r"betas must be two numbers in \[0, 1\), got \(0.9, 1.0\)",
        ),
        (lambda w: optim.Adam([w], beta1=-0.1), r"betas .* got \(-0.1, 0.999\)"),
        (lambda w: optim.RMSProp([w], rho=1.5), r"rho must be a number in \[0, 1\), got 1.5"),
        (lambda w: optim.Adam([w], eps=-1.0), "eps must be a number >= 0, got -1.0"),
        (lambda w: optim.SGD([w], momentum=-0.5), "momentum must be a number >= 0"),
        (lambda w: optim.SGD([w], nesterov=True), "nesterov=True needs momentum > 0"),
        (lambda w: optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda w: optim.SGD([w, w]), "given more than once"),
        (lambda w: optim.SGD([{"params": [w]}, {"params": [w]}]), "given more than once"),
        (lambda w: optim.SGD([w], clipnorm=1.0, clipvalue=1.0), "only one of clipnorm"),
        (lambda w: optim.SGD([w], clipnorm=-1.0), "clipnorm must be a number > 0"),
        (lambda w: optim.SGD([w * 2]), "leaf"),
    ],
)
def test_bad_input_raises_value_error(make, match):
    w = Parameter(np.ones(2), name="w")
    with pytest.raises(ValueError, match=match):
        make(w)


def test_bad_input_types():
    with pytest.raises(TypeError, match="single Parameter"):
        optim.SGD(Parameter(np.ones(2)))
    with pytest.raises(TypeError, match="got ndarray at position 0"):
        optim.SGD([np.ones(2)])


def test_load_state_dict_rejects_other_layouts():
    params = make_params("cpu")
    opt = optim.Adam(params)
    train(opt, params, 2, "cpu")
    with pytest.raises(ValueError, match="groups of sizes"):
        optim.Adam(params[:1]).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="belongs to a Adam"):
        optim.SGD(params).load_state_dict(opt.state_dict())
    other = [Parameter(np.ones((2, 2))), Parameter(np.ones(2))]
    with pytest.raises(ValueError, match=r"shape \(3, 2\), the parameter has shape \(2, 2\)"):
        optim.Adam(other).load_state_dict(opt.state_dict())


def test_keras_style_optimizer_is_bound_later():
    opt = minigrad.optim.Adam(lr=0.1)
    with pytest.raises(RuntimeError, match="no parameters"):
        opt.step()
    p = minigrad.Parameter(np.ones(2, np.float32))
    opt.add_param_group({"params": [p]})
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [0.9, 0.9], rtol=1e-6)
