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


def _expected_variance(name, shape):
    fan_in, fan_out = init.compute_fans(shape)
    family = name.split("_")[0]
    return {"glorot": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}[family]


VARIANCE_SCALING = ["glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
                    "lecun_normal", "lecun_uniform"]


@pytest.mark.parametrize("shape", [KERNEL, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("name", VARIANCE_SCALING)
def test_empirical_variance_matches_the_table(name, shape):
    w = to_numpy(getattr(init, name)(shape)).astype(np.float64)
    assert w.shape == shape and w.dtype == np.float64  # cast above; drawn as float32
    var = _expected_variance(name, shape)
    assert abs(w.mean()) < 0.02 * math.sqrt(var)
    assert w.var() == pytest.approx(var, rel=0.03)
    if name.endswith("uniform"):
        limit = math.sqrt(3 * var)
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.99 * limit


def test_aliases_are_the_same_functions():
    assert init.xavier_normal is init.glorot_normal
    assert init.xavier_uniform is init.glorot_uniform
    assert init.kaiming_normal is init.he_normal
    assert init.kaiming_uniform is init.he_uniform


def test_plain_initializers(device):
    assert np.all(to_numpy(init.zeros((2, 3), device=device)) == 0)
    assert np.all(to_numpy(init.ones((2, 3), device=device)) == 1)
    np.testing.assert_allclose(to_numpy(init.constant(0.5)((4,), device=device)), 0.5)
    w = to_numpy(init.normal(0.1, mean=2.0)((500, 400), device=device))
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
    a = to_numpy(init.he_normal((5, 5), device=device))
    minigrad.manual_seed(3)
    b = to_numpy(init.he_normal((5, 5), device=device))
    c = to_numpy(init.he_normal((5, 5), device=device))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_get_initializer():
    assert init.get_initializer("He_Normal") is init.he_normal
    custom = init.normal(0.01)
    assert init.get_initializer(custom) is custom
    with pytest.raises(ValueError, match="glorot_uniform.*he_normal"):
        init.get_initializer("gaussian")
    with pytest.raises(TypeError, match="floating"):
        init.zeros((2,), dtype="int32")
    with pytest.raises(ValueError, match="std"):
        init.normal(-1.0)


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
    naive = _second_moments(init.normal(1.0))
    assert not np.isfinite(naive[-1]) or naive[-1] / naive[0] > 1e20
