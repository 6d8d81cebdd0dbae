import math

import numpy as np
import pytest

import minigrad
from minigrad import F, nn
from minigrad.backend import device_of, to_numpy
from minigrad.nn import init

KERNEL = (800, 1200)          # dense (in, out): fan_in 800, fan_out 1200
CONV = (96, 64, 5, 5)          # (out, in, kh, kw): fan_in 1600, fan_out 2400


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((3, 5), (3, 5)),
    ((8, 4, 3, 3), (36, 72)),
    ((6, 2, 5), (10, 30)),
])
def test_compute_fans(shape, fans):
    assert init.compute_fans(shape) == fans


def _expected_variance(name, shape, mode=None):
    fan_in, fan_out = init.compute_fans(shape)
    family = name.split("_")[0]
    scale = {"glorot": 1, "xavier": 1, "he": 2, "kaiming": 2, "lecun": 1}[family]
    mode = mode or ("fan_avg" if family in ("glorot", "xavier") else "fan_in")
    return scale / {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


VARIANCE_SCALING = ["glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
                    "lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform",
                    "kaiming_normal", "kaiming_uniform"]
TRUNCATED = ("glorot_normal", "he_normal", "lecun_normal")  # Keras' names: Keras' truncation


def _check_distribution(w, var, distribution):
    """Mean 0 and variance ``var``; the support of Keras' truncated normal (|w| up to
    2 sqrt(var) / 0.8796) and of the uniform (up to sqrt(3 var))."""
    assert abs(w.mean()) < 0.02 * math.sqrt(var)
    assert w.var() == pytest.approx(var, rel=0.03)
    top = np.abs(w).max()
    if distribution == "uniform":
        assert 0.99 * math.sqrt(3 * var) < top <= math.sqrt(3 * var)
    elif distribution == "truncated_normal":
        bound = 2 * math.sqrt(var) / 0.87962566103423978
        assert 0.99 * bound < top <= bound * (1 + 1e-6)
    else:  # a plain normal: 2% of the draws lie beyond the truncated normal's bound
        assert np.mean(np.abs(w) > 2 * math.sqrt(var) / 0.87962566103423978) > 0.01


def _distribution(name):
    if name.endswith("uniform"):
        return "uniform"
    return "truncated_normal" if name in TRUNCATED else "untruncated_normal"


@pytest.mark.parametrize("shape", [KERNEL, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("name", VARIANCE_SCALING)
def test_empirical_variance_matches_the_table(name, shape):
    w = to_numpy(getattr(init, name)(shape)).astype(np.float64)
    assert w.shape == shape and w.dtype == np.float64  # cast above; drawn as float32
    _check_distribution(w, _expected_variance(name, shape), _distribution(name))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("name", ["glorot_normal", "he_uniform", "kaiming_normal",
                                  "lecun_normal", "xavier_uniform"])
def test_every_preset_takes_a_mode(name, mode):
    """PyTorch's kaiming_normal_(mode="fan_out"): the fan that sets the variance."""
    w = to_numpy(getattr(init, name)(KERNEL, mode=mode)).astype(np.float64)
    _check_distribution(w, _expected_variance(name, KERNEL, mode), _distribution(name))


@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_follows_keras_formula(mode, distribution, device):
    # keras/src/initializers/random_initializers.py: scale / max(1, n); the truncated
    # normal's stddev is sqrt(scale / n) / 0.87962566103423978
    scale, (fan_in, fan_out) = 0.7, init.compute_fans(CONV)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    vs = init.VarianceScaling(scale, mode=mode, distribution=distribution)
    assert vs.variance(CONV) == scale / n
    w = vs(CONV, dtype="float64", device=device)
    assert device_of(w) == device and str(w.dtype).endswith("float64")
    _check_distribution(to_numpy(w), scale / n, distribution)


def test_variance_scaling_names_and_errors():
    assert init.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert init.VarianceScaling().variance((0, 0)) == 1.0  # Keras' max(1, n)
    assert repr(init.VarianceScaling(2.0, "fan_out")) == (
        "VarianceScaling(scale=2.0, mode='fan_out', distribution='truncated_normal')")
    with pytest.raises(ValueError, match="scale must be > 0, got 0"):
        init.VarianceScaling(0)
    with pytest.raises(ValueError, match="mode must be one of fan_in, fan_out, fan_avg, got 'in'"):
        init.VarianceScaling(mode="in")
    with pytest.raises(ValueError, match="distribution must be one of .* got 'gaussian'"):
        init.VarianceScaling(distribution="gaussian")


def test_keras_and_pytorch_names():
    """Keras' *_normal are truncated; PyTorch's xavier/kaiming normals are not; the
    uniform forms agree, so those names are one function."""
    assert init.xavier_uniform is init.glorot_uniform
    assert init.kaiming_uniform is init.he_uniform
    assert init.xavier_normal is not init.glorot_normal
    assert init.kaiming_normal is not init.he_normal


def test_plain_initializers(device):
    assert np.all(to_numpy(init.zeros((2, 3), device=device)) == 0)
    assert np.all(to_numpy(init.ones((2, 3), device=device)) == 1)
    np.testing.assert_allclose(to_numpy(init.constant(0.5)((4,), device=device)), 0.5)
    w = to_numpy(init.normal(mean=2.0, std=0.1)((500, 400), device=device))
    assert w.mean() == pytest.approx(2.0, abs=0.01) and w.std() == pytest.approx(0.1, rel=0.03)
    u = to_numpy(init.uniform(-0.2, 0.6)((500, 400), device=device))
    assert u.min() >= -0.2 and u.max() <= 0.6 and u.mean() == pytest.approx(0.2, abs=0.01)


@pytest.mark.parametrize("name", VARIANCE_SCALING + ["zeros", "ones"])
def test_dtype_and_device(name, device):
    w = init.get_initializer(name)((3, 4), device=device)
    assert device_of(w) == device and str(w.dtype).endswith("float32")
    w64 = init.get_initializer(name)((3, 4), dtype="float64", device=device)
    assert str(w64.dtype).endswith("float64")


def test_seeded_by_manual_seed(device):
    minigrad.manual_seed(3)
    a = to_numpy(init.he_normal((40, 40), device=device))
    minigrad.manual_seed(3)
    b = to_numpy(init.he_normal((40, 40), device=device))
    c = to_numpy(init.he_normal((40, 40), device=device))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_get_initializer():
    assert init.get_initializer("He_Normal") is init.he_normal
    custom = init.normal(std=0.01)
    assert init.get_initializer(custom) is custom
    with pytest.raises(ValueError, match="glorot_uniform.*he_normal"):
        init.get_initializer("gaussian")
    with pytest.raises(TypeError, match="floating"):
        init.zeros((2,), dtype="int32")
    with pytest.raises(ValueError, match="init.normal: std must be >= 0, got -1.0"):
        init.normal(std=-1.0)


def test_normal_refuses_positional_arguments():
    """normal(0.0, 0.02) is mean 0, std 0.02 in PyTorch and was std 0, mean 0.02 here."""
    with pytest.raises(TypeError, match=r"init.normal: give mean= and std= by keyword, got "
                                        r"positional 0.0, 0.02 \(PyTorch's normal_ takes mean"):
        init.normal(0.0, 0.02)
    assert init.normal().__name__ == "normal(mean=0.0, std=1.0)"  # PyTorch's defaults


def _second_moments(initializer, depth=20, width=128):
    """Mean square of each layer's pre-activation in a deep ReLU network."""
    x = np.random.default_rng(0).standard_normal((128, width)).astype(np.float32)
    moments = []
    with minigrad.no_grad():
        h = minigrad.Variable(x)
        for _ in range(depth):
            z = nn.Dense(width, use_bias=False, kernel_initializer=initializer)(h)
            moments.append(float(np.mean(z.numpy().astype(np.float64) ** 2)))
            h = F.relu(z)
    return moments


def test_he_keeps_relu_activations_stable_where_naive_init_explodes():
    he = _second_moments("he_normal")
    assert 0.5 < he[-1] / he[0] < 2.0
    naive = _second_moments(init.normal(std=1.0))
    assert not np.isfinite(naive[-1]) or naive[-1] / naive[0] > 1e20
