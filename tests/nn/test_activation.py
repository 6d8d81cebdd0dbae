import numpy as np
import pytest

import minigrad
from minigrad import F, Variable, nn


def _x(device, shape=(6, 4)):
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return Variable(data, device=device)


@pytest.mark.parametrize("layer, fn", [
    (nn.ReLU(), F.relu),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (nn.ELU(0.5), lambda x: F.elu(x, 0.5)),
    (nn.SELU(), F.selu),
    (nn.GELU(), F.gelu),
    (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh")),
    (nn.Sigmoid(), F.sigmoid),
    (nn.Tanh(), F.tanh),
    (nn.Softmax(), F.softmax),
    (nn.LogSoftmax(axis=0), lambda x: F.log_softmax(x, axis=0)),
], ids=lambda v: type(v).__name__)
def test_layer_equals_its_function(layer, fn, device):
    x = _x(device)
    np.testing.assert_array_equal(layer(x).numpy(), fn(x).numpy())


def test_prelu_slope_is_learned(device):
    layer = nn.PReLU().to(device)
    x = _x(device)
    y = layer(x)
    xs = x.numpy()
    np.testing.assert_allclose(y.numpy(), np.where(xs > 0, xs, 0.25 * xs), rtol=1e-6)
    F.sum(y).backward()
    np.testing.assert_allclose(layer.alpha.grad.numpy(), [xs[xs < 0].sum()], rtol=1e-5)


def test_prelu_per_channel_on_nchw(device):
    layer = nn.PReLU(3, init=0.1).to(device)
    assert layer.alpha.shape == (3,)
    assert layer(_x(device, (2, 3, 4, 4))).shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match="3 slopes"):
        layer(_x(device, (2, 4)))


def test_rrelu_random_in_training_mean_slope_in_eval(device):
    layer = nn.RReLU(0.1, 0.3)
    x = Variable(-np.ones((100, 100), dtype=np.float32), device=device)
    slopes = -layer(x).numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), -0.2, rtol=1e-6)
    layer.train()
    with minigrad.eval_mode():
        np.testing.assert_allclose(layer(x).numpy(), -0.2, rtol=1e-6)
    with pytest.raises(ValueError, match="lower"):
        nn.RReLU(0.5, 0.1)


def test_get_activation():
    assert isinstance(nn.get_activation("relu"), nn.ReLU)
    assert isinstance(nn.get_activation("LeakY_ReLU"), nn.LeakyReLU)
    assert nn.get_activation(None) is None and nn.get_activation("linear") is None
    assert nn.get_activation(F.tanh) is F.tanh
    with pytest.raises(ValueError) as info:
        nn.get_activation("swishy")
    for name in ("relu", "leaky_relu", "prelu", "rrelu", "elu", "selu", "gelu", "sigmoid",
                 "tanh", "softmax", "log_softmax", "linear"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match="unknown activation 3"):
        nn.get_activation(3)


def test_activation_and_lambda_layers(device):
    x = _x(device)
    assert isinstance(nn.Activation("elu"), nn.ELU)
    double = nn.Activation(lambda v: v * 2)
    assert isinstance(double, nn.Lambda)
    np.testing.assert_array_equal(double(x).numpy(), x.numpy() * 2)
    np.testing.assert_array_equal(nn.Activation("linear")(x).numpy(), x.numpy())
    with pytest.raises(TypeError, match="callable"):
        nn.Lambda(3)


def test_leaky_relu_takes_both_librarys_spellings(device):
    x = Variable(np.array([-2.0, 3.0]), device=device)
    assert nn.LeakyReLU().negative_slope == 0.01  # PyTorch's default
    for layer in (nn.LeakyReLU(0.3), nn.LeakyReLU(negative_slope=0.3), nn.LeakyReLU(alpha=0.3)):
        assert layer.negative_slope == layer.alpha == 0.3
        np.testing.assert_allclose(layer(x).numpy(), [-0.6, 3.0])
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    with pytest.raises(TypeError, match="give the slope once"):
        nn.LeakyReLU(0.2, alpha=0.3)
    np.testing.assert_allclose(F.leaky_relu(x, negative_slope=0.5).numpy(), [-1.0, 3.0])
    with pytest.raises(TypeError, match="leaky_relu: give the slope once"):
        F.leaky_relu(x, 0.2, negative_slope=0.5)


def test_the_leaky_relu_activation_string_has_kerass_slope():
    # keras.activations.leaky_relu (activation="leaky_relu") uses 0.2
    assert nn.get_activation("leaky_relu").negative_slope == 0.2
    assert nn.Dense(2, activation="leaky_relu").activation.negative_slope == 0.2


def test_softmax_layers_take_pytorchs_dim(device):
    x = Variable(np.arange(6.0).reshape(2, 3), device=device)
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).numpy(), F.softmax(x, axis=0).numpy())
    assert nn.LogSoftmax(dim=1).axis == 1
    with pytest.raises(TypeError, match="Softmax: give the axis once"):
        nn.Softmax(0, dim=1)
