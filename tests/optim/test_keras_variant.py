"""variant="keras": 50-step trajectories against numpy transcriptions of Keras 3's
update_step (keras/src/optimizers/*.py), Keras' defaults, weight decay, saving, the
learning_rate= keyword."""

import numpy as np
import pytest

from minigrad import Parameter, Variable, optim
from tests.optim.problems import B0, W0, make_params, numpy_grads, resume_paths, train

STEPS = 50


# -- Keras 3's update_step, transcribed in numpy (its own variable names) -------------------
# Keras decays every optimizer's weights before the update: variable - variable * wd * lr.
def keras_adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
               weight_decay=0.0):
    def step(var, grad, s, t):
        var = var - var * weight_decay * learning_rate
        alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m, v = s.get("m", 0.0), s.get("v", 0.0)
        m = s["m"] = m + (grad - m) * (1 - beta_1)
        v = s["v"] = v + (np.square(grad) - v) * (1 - beta_2)
        if amsgrad:
            v = s["v_hat"] = np.maximum(s.get("v_hat", 0.0), v)
        return var - m * alpha / (np.sqrt(v) + epsilon)

    return step


def keras_nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0.0):
    def step(var, grad, s, t):
        var = var - var * weight_decay * learning_rate
        u_product_t = s["u_product"] = s.get("u_product", 1.0) * beta_1 * (1 - 0.5 * 0.96**t)
        u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product_t_1 = u_product_t * u_t_1
        m, v = s.get("m", 0.0), s.get("v", 0.0)
        m = s["m"] = m + (grad - m) * (1 - beta_1)
        v = s["v"] = v + (np.square(grad) - v) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * grad / (1 - u_product_t)
        v_hat = v / (1 - beta_2**t)
        return var - m_hat * learning_rate / (np.sqrt(v_hat) + epsilon)

    return step


def keras_adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0.0):
    def step(var, grad, s, t):
        var = var - var * weight_decay * learning_rate
        m, u = s.get("m", 0.0), s.get("u", 0.0)
        m = s["m"] = m + (grad - m) * (1 - beta_1)
        u = s["u"] = np.maximum(beta_2 * u, np.abs(grad))
        return var - learning_rate * m / ((1 - beta_1**t) * (u + epsilon))

    return step


def keras_rmsprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                  weight_decay=0.0):
    def step(var, grad, s, t):
        var = var - var * weight_decay * learning_rate
        velocity = s["velocity"] = rho * s.get("velocity", 0.0) + (1 - rho) * np.square(grad)
        if centered:
            average_grad = s["average_grad"] = rho * s.get("average_grad", 0.0) + (1 - rho) * grad
            denominator = velocity - np.square(average_grad) + epsilon
        else:
            denominator = velocity + epsilon
        increment = learning_rate * grad / np.sqrt(denominator)
        if momentum > 0:
            s["momentum"] = momentum * s.get("momentum", 0.0) + increment
            return var - s["momentum"]
        return var - increment

    return step


def keras_adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                  weight_decay=0.0):
    def step(var, grad, s, t):
        var = var - var * weight_decay * learning_rate
        accumulator = s["acc"] = s.get("acc", initial_accumulator_value) + np.square(grad)
        return var - learning_rate * grad / np.sqrt(accumulator + epsilon)

    return step


def keras_adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=0.0):
    def rms(x):
        return np.sqrt(x + epsilon)

    def step(var, grad, s, t):
        var = var - var * weight_decay * learning_rate
        acc_grad = s["g"] = rho * s.get("g", 0.0) + (1 - rho) * np.square(grad)
        delta_var = -rms(s.get("d", 0.0)) * grad / rms(acc_grad)
        s["d"] = rho * s.get("d", 0.0) + (1 - rho) * np.square(delta_var)
        return var + learning_rate * delta_var

    return step


def keras_path(rule, steps=STEPS):
    params, states, path = [W0.copy(), B0.copy()], [{}, {}], []
    for t in range(1, steps + 1):
        grads = numpy_grads(*params)
        params = [rule(p, g, s, t) for p, g, s in zip(params, grads, states)]
        path.append([p.copy() for p in params])
    return path


# (minigrad class, its keyword arguments, the Keras rule with the same hyperparameters);
# the first case of each class leaves every hyperparameter at its default
CASES = [
    (optim.Adam, {}, keras_adam()),
    (optim.Adam, {"lr": 0.05, "eps": 1e-3, "amsgrad": True, "weight_decay": 0.1},
     keras_adam(0.05, epsilon=1e-3, amsgrad=True, weight_decay=0.1)),
    (optim.Adam, {"learning_rate": 0.02, "betas": (0.8, 0.99), "eps": 1e-2},
     keras_adam(0.02, 0.8, 0.99, 1e-2)),
    (optim.AdamW, {}, keras_adam(weight_decay=0.004)),
    (optim.AdamW, {"lr": 0.05, "weight_decay": 0.2, "eps": 1e-3},
     keras_adam(0.05, epsilon=1e-3, weight_decay=0.2)),
    (optim.Nadam, {}, keras_nadam()),
    (optim.Nadam, {"lr": 0.05, "eps": 1e-3, "beta2": 0.99, "weight_decay": 0.1},
     keras_nadam(0.05, beta_2=0.99, epsilon=1e-3, weight_decay=0.1)),
    (optim.Adamax, {}, keras_adamax()),
    (optim.Adamax, {"lr": 0.05, "eps": 1e-2, "weight_decay": 0.1},
     keras_adamax(0.05, epsilon=1e-2, weight_decay=0.1)),
    (optim.RMSprop, {}, keras_rmsprop()),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "eps": 1e-3},
     keras_rmsprop(0.01, momentum=0.5, epsilon=1e-3, centered=True)),
    (optim.RMSprop, {"lr": 0.01, "rho": 0.8, "momentum": 0.9, "weight_decay": 0.1},
     keras_rmsprop(0.01, rho=0.8, momentum=0.9, weight_decay=0.1)),
    (optim.Adagrad, {}, keras_adagrad()),
    (optim.Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-2,
                     "weight_decay": 0.1},
     keras_adagrad(0.1, 0.5, 1e-2, weight_decay=0.1)),
    (optim.Adadelta, {}, keras_adadelta()),
    (optim.Adadelta, {"lr": 1.0, "rho": 0.9, "eps": 1e-3, "weight_decay": 0.1},
     keras_adadelta(1.0, 0.9, 1e-3, weight_decay=0.1)),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(CASES)]


def assert_same_steps(ours, theirs, rtol=1e-9):
    """The displacements from the start agree: a relative test of each step's size,
    sharper than comparing the weights, which move little at lr 1e-3."""
    for a, b in zip(ours, theirs):
        for x, y, x0 in zip(a, b, (W0, B0)):
            np.testing.assert_allclose(x - x0, y - x0, rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("cls, kwargs, rule", CASES, ids=IDS)
def test_keras_variant_follows_keras_update_step(cls, kwargs, rule):
    params = make_params("cpu")
    ours = train(cls(params, variant="keras", **kwargs), params, STEPS, "cpu")
    assert_same_steps(ours, keras_path(rule))


@pytest.mark.parametrize("cls, kwargs, rule", CASES, ids=IDS)
def test_pytorch_variant_with_keras_hyperparameters(cls, kwargs, rule):
    """Given Keras' hyperparameters, PyTorch's Nadam and Adadelta take Keras' steps
    (their variants differ only in the defaults and the weight decay); the other
    rules differ, so the test above can tell the formulations apart."""
    filled = {**cls.variant_defaults["keras"], **kwargs}
    if "learning_rate" in kwargs:
        del filled["lr"]
    params = make_params("cpu")
    ours = train(cls(params, **filled), params, STEPS, "cpu")
    if cls in (optim.Nadam, optim.Adadelta) and not kwargs.get("weight_decay"):
        assert_same_steps(ours, keras_path(rule))
    else:
        with pytest.raises(AssertionError):
            assert_same_steps(ours, keras_path(rule))


def test_keras_defaults():
    w = [Parameter(np.ones(2))]
    expected = {
        optim.Adam: {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7, "weight_decay": 0.0},
        optim.AdamW: {"lr": 1e-3, "eps": 1e-7, "weight_decay": 0.004},
        optim.Nadam: {"lr": 1e-3, "eps": 1e-7, "momentum_decay": 1.0},
        optim.Adamax: {"lr": 1e-3, "eps": 1e-7},
        optim.RMSprop: {"lr": 1e-3, "rho": 0.9, "eps": 1e-7, "momentum": 0.0},
        optim.Adagrad: {"lr": 1e-3, "initial_accumulator_value": 0.1, "eps": 1e-7},
        optim.Adadelta: {"lr": 1e-3, "rho": 0.95, "eps": 1e-7},
    }
    for cls, values in expected.items():
        group = cls(w, variant="keras").param_groups[0]
        assert {k: group[k] for k in values} == values, cls.__name__
        assert group["variant"] == "keras"


def test_pytorch_defaults_are_unchanged():
    w = [Parameter(np.ones(2))]
    expected = {
        optim.Adam: {"lr": 1e-3, "eps": 1e-8, "weight_decay": 0.0},
        optim.AdamW: {"lr": 1e-3, "eps": 1e-8, "weight_decay": 1e-2},
        optim.Nadam: {"lr": 2e-3, "eps": 1e-8, "momentum_decay": 4e-3},
        optim.Adamax: {"lr": 2e-3, "eps": 1e-8},
        optim.RMSprop: {"lr": 0.01, "rho": 0.99, "eps": 1e-8},
        optim.Adagrad: {"lr": 0.01, "initial_accumulator_value": 0.0, "eps": 1e-10},
        optim.Adadelta: {"lr": 1.0, "rho": 0.9, "eps": 1e-6},
        optim.SGD: {"lr": 0.01}, optim.Momentum: {"lr": 0.01}, optim.Nesterov: {"lr": 0.01},
    }
    for cls, values in expected.items():
        group = cls(w).param_groups[0]
        assert {k: group[k] for k in values} == values, cls.__name__
        assert group["variant"] == "pytorch"


@pytest.mark.parametrize("name", ["adam", "nadam", "adamax", "rmsprop", "adagrad", "adadelta"])
def test_keras_variant_keeps_float32_and_resumes_bit_exactly(name, device):
    straight, again = resume_paths(lambda ps: optim.get_optimizer(name, ps, variant="keras",
                                                                  momentum=0.5)
                                   if name == "rmsprop"
                                   else optim.get_optimizer(name, ps, variant="keras"), device)
    for a, b in zip(straight, again):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype == np.float32
            np.testing.assert_array_equal(x, y)


def test_a_state_saved_before_variants_loads_into_the_default_variant():
    params = make_params("cpu")
    opt = optim.Adam(params, lr=0.01, amsgrad=True)
    train(opt, params, 5, "cpu")
    saved = opt.state_dict()
    for group in saved["param_groups"]:
        del group["variant"]
    resumed = optim.Adam(make_params("cpu"), lr=0.01, amsgrad=True)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["variant"] == "pytorch"
    assert resumed.state_dict()["state"][0]["step"] == 5


def test_a_state_of_the_other_variant_is_refused():
    params = make_params("cpu")
    opt = optim.RMSprop(params, variant="keras")
    train(opt, params, 2, "cpu")
    with pytest.raises(ValueError, match="saved with variant='keras'; this optimizer has "
                                         "variant='pytorch'"):
        optim.RMSprop(make_params("cpu")).load_state_dict(opt.state_dict())


def test_bad_variants():
    w = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="Adam: variant must be one of 'pytorch', 'keras', "
                                         "got 'tf'"):
        optim.Adam([w], variant="tf")
    with pytest.raises(ValueError, match="SGD: variant must be one of 'pytorch', got 'keras'"):
        optim.SGD([w], variant="keras")
    with pytest.raises(ValueError, match="a parameter group cannot change the variant"):
        optim.Adam([{"params": [w], "variant": "keras"}])
    with pytest.raises(ValueError, match="get_optimizer: variant must be"):
        optim.get_optimizer("sgd", [w], variant="jax")


def test_get_optimizer_variant():
    w = [Parameter(np.ones(2))]
    assert optim.get_optimizer("rmsprop", w).param_groups[0]["lr"] == 0.01
    keras = optim.get_optimizer("rmsprop", w, variant="keras", momentum=0.9)
    assert keras.param_groups[0]["variant"] == "keras" and keras.param_groups[0]["lr"] == 1e-3
    assert keras.param_groups[0]["momentum"] == 0.9
    sgd = optim.get_optimizer("sgd", w, variant="keras")  # Keras' SGD: the same steps
    assert isinstance(sgd, optim.SGD) and sgd.lr == 0.01


def test_keras_weight_decay_is_decoupled_in_every_optimizer():
    """Keras shrinks the weights by lr * wd; PyTorch's Adam adds wd * p to the gradient."""
    p, q = Parameter(np.array([2.0])), Parameter(np.array([2.0]))
    keras, torch_like = (optim.Adam([p], lr=0.1, weight_decay=0.5, variant="keras"),
                         optim.Adam([q], lr=0.1, weight_decay=0.5))
    p.grad, q.grad = Variable(np.zeros(1)), Variable(np.zeros(1))
    keras.step()
    torch_like.step()
    np.testing.assert_allclose(p.numpy(), [1.9])            # 2 * (1 - 0.1 * 0.5)
    np.testing.assert_allclose(q.numpy(), [2.0 - 0.1], rtol=1e-6)  # Adam's step on g = 1


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_learning_rate_is_lr(name):
    cls = optim.OPTIMIZERS[name]
    w = [Parameter(np.ones(2))]
    assert cls(w, learning_rate=0.02).lr == 0.02
    later = cls(learning_rate=0.03)  # Keras style: bound by add_param_group
    later.add_param_group({"params": w})
    assert later.param_groups[0]["lr"] == 0.03
    with pytest.raises(TypeError, match=rf"{cls.__name__}: got lr=0.1 and learning_rate=0.1; "
                                        r"they are the same argument"):
        cls(w, lr=0.1, learning_rate=0.1)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got -1"):
        cls(w, learning_rate=-1)
