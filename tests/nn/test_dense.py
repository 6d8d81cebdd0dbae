import numpy as np
import pytest

from minigrad import F, Variable, nn


def _x(device, n=5, d=4, seed=0):
    data = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return Variable(data, device=device)


def test_computes_x_w_plus_b(device):
    layer = nn.Dense(3, in_features=4, bias_initializer=nn.init.constant(0.5)).to(device)
    x = _x(device)
    y = layer(x)
    assert y.shape == (5, 3) and str(y.dtype).endswith("float32") and y.device == device
    expected = x.numpy() @ layer.W.numpy() + 0.5
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.kernel is layer.W and layer.weight is layer.W and layer.bias is layer.b


def test_leading_axes_are_kept(device):
    layer = nn.Dense(3)
    x = Variable(np.ones((2, 5, 4), dtype=np.float32), device=device)
    assert layer(x).shape == (2, 5, 3)


def test_lazy_build_at_first_call(device):
    layer = nn.Dense(7)
    before = list(layer.parameters())
    assert not layer.built and [p.is_initialized for p in before] == [False, False]
    assert repr(layer) == "Dense(? -> 7)"
    layer(_x(device, d=6))
    assert layer.built and layer.in_features == 6
    assert [id(p) for p in layer.parameters()] == [id(p) for p in before]  # filled in place
    assert before[0] is layer.W
    assert layer.W.shape == (6, 7) and layer.b.shape == (7,)
    assert layer.W.device == device
    assert repr(layer) == "Dense(6 -> 7)"


def test_wrong_width_after_build_names_layer_expected_and_got(device):
    layer = nn.Dense(3, name="hidden1")
    layer(_x(device, d=4))
    with pytest.raises(ValueError) as info:
        layer(_x(device, d=5))
    msg = str(info.value)
    assert "'hidden1'" in msg and "expected input with 4 features" in msg and "(5, 5)" in msg
    with pytest.raises(ValueError, match="Dense \\(in_features=8, units=2\\).*with 8"):
        nn.Dense(2, in_features=8)(_x(device, d=4))


def test_activation_by_name_or_callable(device):
    x = _x(device)
    relu = nn.Dense(3, in_features=4, activation="relu").to(device)
    assert isinstance(relu.activation, nn.ReLU)
    assert (relu(x).numpy() >= 0).all()
    tanh = nn.Dense(3, in_features=4, activation=F.tanh).to(device)
    np.testing.assert_allclose(tanh(x).numpy(), np.tanh(x.numpy() @ tanh.W.numpy()), rtol=1e-5)
    assert "activation=tanh" in repr(tanh)
    with pytest.raises(ValueError, match="unknown activation 'rellu'.*relu.*sigmoid"):
        nn.Dense(3, activation="rellu")


def test_prelu_activation_brings_a_learnable_slope():
    layer = nn.Dense(3, in_features=4, activation="prelu")
    assert [n for n, _ in layer.named_parameters()] == ["W", "b", "activation.alpha"]


def test_no_bias_and_hooks_are_stored_on_the_parameters():
    def reg(p):
        return F.sum(p * p)

    def con(a):
        return a

    layer = nn.Dense(3, in_features=2, use_bias=False, kernel_regularizer=reg,
                     kernel_constraint=con)
    assert layer.b is None and [n for n, _ in layer.named_parameters()] == ["W"]
    assert layer.W.regularizer is reg and layer.W.constraint is con
    assert "use_bias=False" in repr(layer)
    other = nn.Dense(3, in_features=2, bias_regularizer=reg, bias_constraint=con)
    assert other.W.regularizer is None and other.W.constraint is None
    assert other.b.regularizer is reg and other.b.constraint is con


def test_initializers_dtype_and_device_arguments(device):
    layer = nn.Dense(4, in_features=3, kernel_initializer="ones", bias_initializer="ones",
                     dtype="float64", device=device)
    assert layer.W.device == device and str(layer.W.dtype).endswith("float64")
    np.testing.assert_array_equal(layer.W.numpy(), np.ones((3, 4)))
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        nn.Dense(4, in_features=3, kernel_initializer="glorot")
    with pytest.raises(ValueError, match="units"):
        nn.Dense(0)


def test_gradients_reach_kernel_and_bias(device):
    layer = nn.Dense(3, in_features=4).to(device)
    x = _x(device)
    F.sum(layer(x)).backward()
    np.testing.assert_allclose(layer.W.grad.numpy(), np.repeat(x.numpy().sum(0)[:, None], 3, 1),
                               rtol=1e-5)
    np.testing.assert_allclose(layer.b.grad.numpy(), np.full(3, 5.0))


def test_linear_has_pytorch_signature():
    layer = nn.Linear(4, 3, bias=False)
    assert isinstance(layer, nn.Dense) and layer.W.shape == (4, 3) and layer.b is None
    assert repr(nn.Linear(4, 3)) == "Linear(4 -> 3)"


def test_kerass_input_shape_and_input_dim_build_at_once():
    layer = nn.Dense(3, input_shape=(4,))
    assert layer.built and layer.W.shape == (4, 3) and layer.input_shape == (4,)
    assert nn.Dense(3, input_dim=5).W.shape == (5, 3)
    assert nn.Dense(3, input_shape=(7, 4)).in_features == 4  # the last axis
    assert nn.Dense(3, input_shape=4, in_features=4).built
    with pytest.raises(ValueError, match=r"in_features=5 disagrees with input_shape \(4,\)"):
        nn.Dense(3, input_shape=(4,), in_features=5)
    with pytest.raises(TypeError, match="input_shape= or input_dim=, not both"):
        nn.Dense(3, input_shape=(4,), input_dim=4)
    with pytest.raises(ValueError, match="input_shape must be one sample's shape"):
        nn.Dense(3, input_shape=(0,))
    with pytest.raises(ValueError, match="leaves in_features unknown"):
        nn.Dense(3, input_shape=(4, None))
