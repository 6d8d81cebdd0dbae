"""Activations: gradient cases, closed forms, erf accuracy, RReLU and PReLU behaviour."""
import math
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import F, Variable
from tests.gradcase import GradCase, away_from, inputs, normal


def kinked(*shape, points=(0.0,)):
    return lambda rng: away_from(rng.standard_normal(shape) * 2, points)


def seeded_rrelu(x):
    minigrad.manual_seed(7)  # the same slopes at every evaluation of the check
    return F.rrelu(x, 0.1, 0.4, training=True)


CASES = [
    GradCase("softmax", F.softmax, inputs(normal(3, 4))),
    GradCase("softmax_axis0", lambda x: F.softmax(x, axis=0), inputs(normal(3, 4))),
    GradCase("log_softmax", F.log_softmax, inputs(normal(3, 4))),
    GradCase("log_softmax_axis0", lambda x: F.log_softmax(x, axis=0), inputs(normal(2, 3, 2))),
    GradCase("relu", F.relu, inputs(kinked(3, 4))),
    GradCase("leaky_relu", F.leaky_relu, inputs(kinked(3, 4))),
    GradCase("leaky_relu_alpha", lambda x: F.leaky_relu(x, 0.3), inputs(kinked(5))),
    GradCase("prelu_per_feature", F.prelu, inputs(kinked(4, 3), normal(3))),
    GradCase("prelu_scalar", F.prelu, inputs(kinked(2, 3), normal())),
    GradCase("prelu_per_channel_nchw", F.prelu, inputs(kinked(2, 3, 2, 2), normal(3))),
    GradCase("rrelu_training", seeded_rrelu, inputs(kinked(3, 4))),
    GradCase("rrelu_eval", lambda x: F.rrelu(x, training=False), inputs(kinked(3, 4))),
    GradCase("elu", F.elu, inputs(kinked(3, 4))),
    GradCase("elu_alpha", lambda x: F.elu(x, 0.5), inputs(kinked(6))),
    GradCase("selu", F.selu, inputs(kinked(3, 4))),
    GradCase("erf", F.erf, inputs(lambda rng: rng.uniform(-3, 3, (3, 4)))),
    GradCase("gelu", F.gelu, inputs(lambda rng: rng.uniform(-4, 4, (3, 4)))),
    GradCase("gelu_tanh", lambda x: F.gelu(x, "tanh"),
             inputs(lambda rng: rng.uniform(-4, 4, (3, 4)))),
    GradCase("softplus", F.softplus, inputs(lambda rng: rng.uniform(-5, 5, (3, 4)))),
]


def on(device, a, dtype=np.float64):
    return Variable(np.asarray(a, dtype=dtype), device=device)


X = np.array([[-3.0, -0.5, 0.0], [0.25, 1.5, 40.0]])


@pytest.mark.parametrize("fn, expected", [
    (F.relu, np.maximum(X, 0)),
    (F.leaky_relu, np.where(X > 0, X, 0.01 * X)),
    (lambda x: F.leaky_relu(x, 0.2), np.where(X > 0, X, 0.2 * X)),
    (F.elu, np.where(X > 0, X, np.expm1(X))),
    (lambda x: F.elu(x, 0.5), np.where(X > 0, X, 0.5 * np.expm1(X))),
    (F.selu, 1.0507009873554805 * np.where(X > 0, X, 1.6732632423543772 * np.expm1(X))),
    (F.softplus, np.log1p(np.exp(X))),
    (F.gelu, X * 0.5 * (1 + np.vectorize(math.erf)(X / math.sqrt(2)))),
    (lambda x: F.gelu(x, "tanh"),
     0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X**3)))),
])
def test_matches_closed_form(fn, expected, device):
    np.testing.assert_allclose(fn(on(device, X)).numpy(), expected, rtol=1e-12, atol=1e-14)


def test_derivatives_at_known_points():
    x = Variable(np.array([-2.0, 3.0]))
    F.elu(x, 0.5).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5 * math.exp(-2.0), 1.0])
    x = Variable(np.array([-1.0, 0.0, 2.0]))
    F.gelu(x).backward()
    pdf = [math.exp(-v * v / 2) / math.sqrt(2 * math.pi) for v in (-1.0, 0.0, 2.0)]
    cdf = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in (-1.0, 0.0, 2.0)]
    expected = [c + v * p for v, c, p in zip((-1.0, 0.0, 2.0), cdf, pdf)]
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_erf_matches_math_erf(device):
    x = np.concatenate([np.linspace(-7, 7, 4001), np.logspace(-10, 1, 200), [0.0, 0.46875, 4.0]])
    for dtype, atol in ((np.float64, 5e-16), (np.float32, 3e-7)):
        host = x.astype(dtype)
        y = F.erf(on(device, host, dtype))
        assert str(y.dtype).endswith(np.dtype(dtype).name)
        exact = np.array([math.erf(float(v)) for v in host])
        np.testing.assert_allclose(y.numpy(), exact, rtol=4 * np.finfo(dtype).eps, atol=atol)


def test_erf_special_values(device):
    y = F.erf(on(device, [np.inf, -np.inf, np.nan, -0.0, 1e30])).numpy()
    assert y[0] == 1 and y[1] == -1 and np.isnan(y[2]) and y[3] == 0 and y[4] == 1


def test_extreme_inputs_stay_finite(device):
    x = on(device, [-1e4, 1e4], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        for fn in (F.softplus, F.elu, F.selu, F.gelu, lambda v: F.gelu(v, "tanh")):
            x.cleargrad()
            y = fn(x)
            y.sum().backward()
            assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(F.softplus(x).numpy(), [0.0, 1e4])


def test_selu_keeps_standard_normal_input_standardised():
    x = np.random.default_rng(0).standard_normal(200_000)
    y = F.selu(Variable(x)).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.02


def test_rrelu_eval_uses_the_mean_slope(device):
    x = on(device, [-2.0, -1.0, 3.0])
    np.testing.assert_allclose(F.rrelu(x, 0.1, 0.3).numpy(), [-0.4, -0.2, 3.0])  # PyTorch's default
    with minigrad.eval_mode():
        np.testing.assert_allclose(F.rrelu(x, 0.1, 0.3, training=None).numpy(), [-0.4, -0.2, 3.0])


def test_rrelu_training_draws_a_slope_per_element(device):
    x = on(device, -np.ones(2000))
    y = F.rrelu(x, 0.1, 0.3, training=None)  # training is the default mode
    slopes = -y.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.05  # uniform on [0.1, 0.3] has std 0.058
    assert abs(slopes.mean() - 0.2) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)
    positive = on(device, [1.0, 2.0])
    np.testing.assert_array_equal(F.rrelu(positive, training=True).numpy(), [1.0, 2.0])


def test_rrelu_is_reproducible_with_a_seed(device):
    x = on(device, -np.ones(50))
    minigrad.manual_seed(3)
    a = F.rrelu(x, training=True).numpy()
    minigrad.manual_seed(3)
    b = F.rrelu(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.rrelu(x, training=True).numpy())


def test_rrelu_rejects_lower_above_upper():
    with pytest.raises(ValueError, match="rrelu: lower"):
        F.rrelu(Variable(np.ones(2)), 0.5, 0.1)


def test_prelu_gradients_per_channel(device):
    rng = np.random.default_rng(1)
    xh = rng.standard_normal((2, 3, 4, 4))
    x, alpha = on(device, xh), on(device, [0.1, 0.2, 0.3])
    y = F.prelu(x, alpha)
    expected = np.where(xh > 0, xh, xh * np.array([0.1, 0.2, 0.3])[:, None, None])
    np.testing.assert_allclose(y.numpy(), expected)
    y.sum().backward()
    np.testing.assert_allclose(alpha.grad.numpy(), np.where(xh > 0, 0, xh).sum(axis=(0, 2, 3)))
    assert alpha.grad.shape == (3,)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(Variable(np.ones(2)), "fast")


def test_float32_forward_of_every_activation(device):
    x = on(device, X, np.float32)
    for fn in (F.relu, F.leaky_relu, F.elu, F.selu, F.gelu, F.softplus, F.erf,
               lambda v: F.rrelu(v, training=True), lambda v: F.gelu(v, "tanh")):
        assert str(fn(x).dtype).endswith("float32")


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    xh = rng.standard_normal((4, 5)) * 3
    tf = torch.nn.functional
    t = torch.tensor(xh)
    pairs = [
        (F.gelu(Variable(xh)), tf.gelu(t)),
        (F.gelu(Variable(xh), "tanh"), tf.gelu(t, approximate="tanh")),
        (F.selu(Variable(xh)), tf.selu(t)),
        (F.elu(Variable(xh), 0.7), tf.elu(t, 0.7)),
        (F.softplus(Variable(xh)), tf.softplus(t)),
        (F.leaky_relu(Variable(xh), 0.1), tf.leaky_relu(t, 0.1)),
        (F.erf(Variable(xh)), torch.erf(t)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
