import math

import numpy as np
import pytest

import minigrad
from minigrad import F, Variable, nn, optim
from minigrad.nn.conv import Conv2D, Conv2d


def _x(device, shape=(2, 3, 6, 5), seed=0, dtype=np.float32):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return Variable(data, device=device)


def _direct_conv(x, W, b, stride=1, pad=0):
    """y[n, o, p, q] = b[o] + sum_{c,i,j} W[o, c, i, j] x_pad[n, c, p s + i, q s + j], by loops."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out, _, kh, kw = W.shape
    oh, ow = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
    y = np.zeros((x.shape[0], out, oh, ow))
    for p in range(oh):
        for q in range(ow):
            patch = xp[:, :, p * stride:p * stride + kh, q * stride:q * stride + kw]
            y[:, :, p, q] = np.einsum("ncij,ocij->no", patch, W)
    return y + b[None, :, None, None]


def test_computes_the_convolution_with_bias_and_activation(device):
    layer = Conv2D(4, 3, activation="relu", bias_initializer=nn.init.constant(0.25))
    x = _x(device)
    y = layer(x)
    assert y.shape == (2, 4, 4, 3) and str(y.dtype).endswith("float32") and y.device == device
    expected = np.maximum(_direct_conv(x.numpy(), layer.W.numpy(), layer.b.numpy()), 0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert layer.kernel is layer.W and layer.weight is layer.W and layer.bias is layer.b


@pytest.mark.parametrize("activation", ["relu", F.relu, nn.ReLU()])
def test_a_plain_relu_runs_in_the_convolutions_node(device, activation):
    x = _x(device)
    fused = Conv2D(4, 3, activation=activation)
    assert type(fused(x).creator).__name__ == "Conv2dReLU"
    leaky = Conv2D(4, 3, activation=nn.LeakyReLU(0.0))  # the same numbers, not fused
    leaky(x)
    leaky.load_state_dict(fused.state_dict())
    y = leaky(x)
    assert type(y.creator).__name__ == "LeakyReLU"
    np.testing.assert_allclose(fused(x).numpy(), y.numpy(), rtol=1e-6, atol=1e-7)


def test_stride_and_padding_follow_pytorch_and_keras(device):
    x = _x(device, (1, 2, 7, 7))
    layer = Conv2D(3, 3, strides=2, padding=1)
    y = layer(x)
    assert y.shape == (1, 3, 4, 4)
    np.testing.assert_allclose(
        y.numpy(), _direct_conv(x.numpy(), layer.W.numpy(), layer.b.numpy(), stride=2, pad=1),
        rtol=1e-5, atol=1e-5)
    assert Conv2D(3, 3, padding="same")(x).shape == (1, 3, 7, 7)
    assert Conv2D(3, 3, padding="SAME", stride=2)(x).shape == (1, 3, 4, 4)   # ceil(7 / 2)
    assert Conv2D(3, (3, 1), padding="valid")(x).shape == (1, 3, 5, 7)
    assert Conv2D(3, 3, dilation=2)(x).shape == (1, 3, 3, 3)


def test_lazy_build_at_first_call(device):
    layer = Conv2D(5, (3, 2))
    before = list(layer.parameters())
    assert not layer.built and [p.is_initialized for p in before] == [False, False]
    assert repr(layer) == "Conv2D(? -> 5, kernel_size=3x2)"
    layer(_x(device))
    assert layer.built and layer.in_channels == 3
    assert [id(p) for p in layer.parameters()] == [id(p) for p in before]  # filled in place
    assert before[0] is layer.W
    assert layer.W.shape == (5, 3, 3, 2) and layer.b.shape == (5,)     # (out, in, kh, kw)
    assert layer.W.device == device and layer.b.device == device
    assert repr(layer) == "Conv2D(3 -> 5, kernel_size=3x2)"


def test_pytorch_signature_builds_at_once():
    layer = Conv2d(3, 8, 5, stride=2, padding=1, bias=False, name="c1")
    assert layer.built and layer.W.shape == (8, 3, 5, 5) and layer.b is None
    assert layer.out_channels == 8 and layer.in_channels == 3
    assert layer.stride == (2, 2) and layer.strides == (2, 2) and layer.padding == (1, 1)
    assert repr(layer) == "Conv2d(3 -> 8, kernel_size=5x5, stride=(2, 2), padding=(1, 1), " \
                          "use_bias=False)"
    assert [n for n, _ in layer.named_parameters()] == ["W"]


def test_the_stride_may_be_spelled_once_only():
    assert Conv2D(2, 3, stride=3).stride == (3, 3)
    with pytest.raises(TypeError, match="Conv2D: give the stride once"):
        Conv2D(2, 3, strides=2, stride=2)


def test_initializers_see_the_receptive_field():
    """Glorot's limit sqrt(6 / (fan_in + fan_out)) with fan_in = 16*9, fan_out = 32*9."""
    layer = Conv2D(32, 3, in_channels=16)
    limit = math.sqrt(6 / (16 * 9 + 32 * 9))
    w = layer.W.numpy()
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    he = Conv2D(32, 3, in_channels=16, kernel_initializer="he_normal").W.numpy()
    assert he.std() == pytest.approx(math.sqrt(2 / (16 * 9)), rel=0.05)


def test_backward_gives_every_parameter_a_gradient(device):
    layer = Conv2D(2, 3, padding=1, activation="tanh")
    x = _x(device, (2, 3, 4, 4))
    layer(x).sum().backward()
    assert layer.W.grad.shape == (2, 3, 3, 3) and layer.b.grad.shape == (2,)
    assert x.grad.shape == x.shape and layer.W.grad.device == device


def test_gradient_through_the_layer_is_correct():
    layer = Conv2D(2, 3, strides=2, padding="same", activation="tanh", in_channels=2,
                   dtype="float64")
    x = Variable(np.random.default_rng(1).standard_normal((2, 2, 5, 5)))
    assert minigrad.gradcheck(lambda x: layer(x) ** 2, x)


def test_regularizers_and_constraints_are_stored_on_the_parameters():
    layer = Conv2D(2, 3, in_channels=1, kernel_regularizer="l2", kernel_constraint="max_norm",
                   bias_regularizer="l1")
    assert layer.W.regularizer is not None and layer.W.constraint is not None
    assert layer.b.regularizer is not None and layer.b.constraint is None
    assert float(layer.regularization_loss().item()) > 0


def test_state_dict_round_trip_builds_a_lazy_layer(device, tmp_path):
    trained = nn.Sequential(Conv2D(3, 2), nn.Flatten(), nn.Dense(2)).to(device)
    x = _x(device, (2, 1, 4, 4))
    want = trained(x).numpy()
    trained.save(tmp_path / "cnn.npz")
    fresh = nn.Sequential(Conv2D(3, 2), nn.Flatten(), nn.Dense(2)).to(device).load(
        tmp_path / "cnn.npz")
    assert fresh[0].in_channels == 1
    np.testing.assert_allclose(fresh(x).numpy(), want, rtol=1e-6)


# -- bad input ------------------------------------------------------------------------------
def test_channel_mismatch_names_the_layer_expected_and_got(device):
    layer = Conv2D(4, 3, name="conv1")
    layer(_x(device, (1, 3, 5, 5)))
    with pytest.raises(ValueError) as info:
        layer(_x(device, (1, 2, 5, 5)))
    msg = str(info.value)
    assert "Conv2D 'conv1'" in msg and "expected input with 3 channels" in msg
    assert "got 2" in msg and "(1, 2, 5, 5)" in msg


@pytest.mark.parametrize("shape", [(3, 5, 5), (1, 1, 3, 5, 5), (25,)])
def test_non_4d_input_names_the_layer(device, shape):
    with pytest.raises(ValueError, match=r"Conv2D \(in_channels=None, filters=4\): expected a "
                                         r"4-D input \(N, C, H, W\), got shape"):
        Conv2D(4, 3)(Variable(np.zeros(shape, np.float32), device=device))


def test_kernel_larger_than_the_padded_input_names_the_layer(device):
    with pytest.raises(ValueError, match=r"Conv2D 'big' .*kernel 5x5.*larger than the padded "
                                         r"input 4x4"):
        Conv2D(2, 5, name="big")(_x(device, (1, 1, 4, 4)))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"kernel_size": 2.5}, TypeError, "Conv2D: kernel_size must be an int or a pair"),
    ({"kernel_size": 0}, ValueError, "Conv2D: kernel_size must be >= 1"),
    ({"strides": (1, 2, 3)}, TypeError, "Conv2D: stride must be an int or a pair"),
    ({"padding": "full"}, ValueError, "Conv2D: padding must be an int, a pair, 'same' or 'valid'"),
    ({"padding": -1}, ValueError, "Conv2D: padding must be >= 0"),
    ({"padding": 1.0}, TypeError, "Conv2D: padding must be an int or a pair"),
    ({"dilation": 0}, ValueError, "Conv2D: dilation must be >= 1"),
    ({"filters": 0}, ValueError, "Conv2D: filters must be a positive integer"),
    ({"activation": "rellu"}, ValueError, "unknown activation 'rellu'"),
])
def test_bad_arguments_are_refused_when_the_layer_is_made(kwargs, error, match):
    args = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match=match):
        Conv2D(**args)


# -- batch normalization over NCHW ----------------------------------------------------------
def test_batchnorm_normalises_each_channel_over_batch_and_pixels(device):
    x = _x(device, (4, 3, 5, 5)) * 3.0 + 1.0
    bn = nn.BatchNorm(momentum=0.5)
    y = bn(x).numpy()
    h = x.numpy().astype(np.float64)
    mean, var = h.mean(axis=(0, 2, 3)), h.var(axis=(0, 2, 3))
    expected = (h - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    assert bn.gamma.shape == (3,) and bn.running_mean.shape == (3,)
    n = h.size // 3
    np.testing.assert_allclose(minigrad.backend.to_numpy(bn.running_mean), 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(minigrad.backend.to_numpy(bn.running_var),
                               0.5 + 0.5 * var * n / (n - 1), rtol=1e-5)
    bn.eval()                                  # evaluation uses the running statistics
    running_mean = minigrad.backend.to_numpy(bn.running_mean)[None, :, None, None]
    running_var = minigrad.backend.to_numpy(bn.running_var)[None, :, None, None]
    np.testing.assert_allclose(bn(x).numpy(), (h - running_mean) / np.sqrt(running_var + 1e-5),
                               rtol=1e-4, atol=1e-4)


def test_batchnorm_after_conv2d_refuses_a_different_channel_count(device):
    bn = nn.BatchNorm()
    bn(_x(device, (2, 3, 4, 4)))
    with pytest.raises(ValueError, match="expected 3 channels on axis 1"):
        bn(_x(device, (2, 4, 4, 4)))


def test_a_small_cnn_learns(device):
    """Two classes told apart by where a bright square is: the loss must fall."""
    rng = np.random.default_rng(0)
    y = np.arange(16) % 2
    x = rng.uniform(0, 0.2, size=(16, 1, 8, 8)).astype(np.float32)
    x[y == 0, :, :4, :4] += 1.0
    x[y == 1, :, 4:, 4:] += 1.0
    model = nn.Sequential(Conv2D(4, 3, padding="same", use_bias=False), nn.BatchNorm(),
                          nn.ReLU(), nn.Flatten(), nn.Dense(2)).to(device)
    xv = Variable(x, device=device)
    labels = minigrad.to_device(y, device)
    model(xv)
    opt = optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(10):
        model.zero_grad()
        loss = F.softmax_cross_entropy(model(xv), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_channels_last_images_are_refused_with_the_transpose(device):
    x = Variable(np.zeros((2, 28, 28, 1), np.float32), device=device)
    # with padding="same" the lazy layer used to build 28 input channels and run
    with pytest.raises(ValueError, match=r"looks channels-last.*\(2, 1, 28, 28\).*"
                                         r"x.transpose\(0, 3, 1, 2\).*in_channels=28"):
        nn.Conv2D(8, 3, padding="same")(x)
    built = nn.Conv2D(8, 3, in_channels=3).to(device)
    with pytest.raises(ValueError, match=r"channels-last.*C=3.*permute\(0, 3, 1, 2\)"):
        built(Variable(np.zeros((2, 32, 30, 3), np.float32), device=device))
    assert nn.Conv2D(4, 3).to(device)(x.permute(0, 3, 1, 2)).shape == (2, 4, 26, 26)


@pytest.mark.parametrize("shape", [(2, 512, 1, 1), (2, 512, 4, 4), (2, 3, 32, 32),
                                   (2, 1, 28, 28), (2, 16, 4, 3), (2, 4, 16, 16)])
def test_channels_first_inputs_are_never_refused(device, shape):
    x = Variable(np.zeros(shape, np.float32), device=device)
    assert nn.Conv2D(2, 1).to(device)(x).shape == (2, 2) + shape[2:]


def test_a_layer_told_its_channels_takes_what_looks_channels_last(device):
    # 28 channels of 28x1 images (a 1-D signal laid out as (N, C, L, 1)): in_channels says so
    x = Variable(np.zeros((2, 28, 28, 1), np.float32), device=device)
    assert nn.Conv2D(2, (3, 1), in_channels=28).to(device)(x).shape == (2, 2, 26, 1)


def test_kerass_input_shape_is_channels_first_here():
    layer = nn.Conv2D(8, 3, input_shape=(3, 32, 32))
    assert layer.built and layer.in_channels == 3 and layer.input_shape == (3, 32, 32)
    with pytest.raises(ValueError, match=r"\(28, 28, 1\) looks channels-last.*input_shape="
                                         r"\(1, 28, 28\)"):
        nn.Conv2D(8, 3, input_shape=(28, 28, 1))
    assert nn.Conv2D(8, 3, input_shape=(28, 28, 1), in_channels=28).in_channels == 28
    with pytest.raises(ValueError, match=r"in_channels=1 disagrees with input_shape"):
        nn.Conv2D(8, 3, input_shape=(3, 32, 32), in_channels=1)
    with pytest.raises(ValueError, match=r"one image's shape \(C, H, W\)"):
        nn.Conv2D(8, 3, input_shape=(784,))
    assert nn.Conv2d(3, 8, 3, input_shape=(3, 8, 8)).in_channels == 3
