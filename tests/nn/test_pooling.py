import numpy as np
import pytest

from minigrad import F, Variable, nn
from minigrad.nn.pooling import (
    AveragePooling2D,
    AvgPool2D,
    AvgPool2d,
    MaxPool2D,
    MaxPool2d,
    MaxPooling2D,
)


def _x(device, shape=(2, 3, 6, 6), seed=0):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return Variable(data, device=device)


def test_max_pooling_takes_the_window_maximum(device):
    x = _x(device)
    y = MaxPooling2D()(x)                                  # Keras' default pool_size 2
    assert y.shape == (2, 3, 3, 3) and y.device == device
    expected = x.numpy().reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(MaxPool2d(2)(x).numpy(), expected)


def test_keras_and_pytorch_spellings_give_the_same_window(device):
    x = _x(device, (1, 2, 7, 7))
    keras = MaxPooling2D(pool_size=3, strides=2, padding="valid")
    torch = MaxPool2d(kernel_size=3, stride=2, padding=0)
    assert keras.pool_size == torch.kernel_size == (3, 3) and keras.stride == torch.stride
    np.testing.assert_array_equal(keras(x).numpy(), torch(x).numpy())
    np.testing.assert_array_equal(keras(x).numpy(), F.max_pool2d(x, 3, 2).numpy())
    assert MaxPooling2D(2, padding="same")(x).shape == (1, 2, 4, 4)        # ceil(7 / 2)
    assert MaxPool2d(3, stride=1, padding=1)(x).shape == (1, 2, 7, 7)
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D


def test_stride_defaults_to_the_pool_size_and_repr_shows_the_window():
    layer = MaxPool2d((2, 3))
    assert layer.stride == (2, 3)
    assert repr(layer) == "MaxPool2d(2x3)"
    assert repr(MaxPooling2D(3, strides=1, padding="same")) == \
        "MaxPooling2D(3x3, stride=(1, 1), padding='same')"
    assert repr(AvgPool2d(2, padding=1, count_include_pad=False)) == \
        "AvgPool2d(2x2, padding=(1, 1), count_include_pad=False)"
    assert list(MaxPooling2D().parameters()) == [] and list(AvgPool2d(2).parameters()) == []


def test_average_pooling_takes_the_window_mean(device):
    x = _x(device)
    expected = x.numpy().reshape(2, 3, 3, 2, 3, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(AveragePooling2D(2)(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(AvgPool2d(2)(x).numpy(), expected, rtol=1e-6, atol=1e-6)


def test_padded_average_pooling_counts_as_keras_or_as_pytorch(device):
    ones = Variable(np.ones((1, 1, 4, 4), np.float32), device=device)
    keras = AveragePooling2D(3, strides=1, padding="same")(ones).numpy()
    np.testing.assert_allclose(keras, 1.0, rtol=1e-6)        # only real pixels are counted
    torch = AvgPool2d(3, stride=1, padding=1)(ones).numpy()[0, 0]
    assert torch[0, 0] == pytest.approx(4 / 9) and torch[0, 1] == pytest.approx(6 / 9)
    assert torch[1, 1] == pytest.approx(1.0)
    not_counted = AvgPool2d(3, stride=1, padding=1, count_include_pad=False)(ones).numpy()
    np.testing.assert_allclose(not_counted, 1.0, rtol=1e-6, atol=1e-6)


def test_gradient_flows_through_pooling(device):
    x = _x(device, (1, 1, 4, 4))
    (MaxPooling2D(2)(x).sum() + AveragePooling2D(2)(x).sum()).backward()
    g = x.grad.numpy()[0, 0]
    assert g.shape == (4, 4)
    # each 2x2 window: 0.25 everywhere from the mean, plus 1 at its maximum
    np.testing.assert_allclose(g.reshape(2, 2, 2, 2).sum(axis=(1, 3)), 2.0, rtol=1e-6, atol=1e-6)
    assert np.count_nonzero(g > 1) == 4


def test_a_cnn_with_pooling_and_flatten_has_the_expected_shapes(device):
    model = nn.Sequential(nn.Flatten(), nn.Dense(3))
    pooled = nn.Sequential(MaxPooling2D(2), AveragePooling2D(2, padding="same"), model)
    assert pooled(_x(device, (2, 4, 10, 10))).shape == (2, 3)
    assert model[1].in_features == 4 * 3 * 3


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [MaxPooling2D(2, name="pool1"), AvgPool2d(2, name="pool1")])
def test_non_4d_input_names_the_layer(device, layer):
    with pytest.raises(ValueError, match=f"{type(layer).__name__} 'pool1': expected a 4-D "
                                         r"input \(N, C, H, W\), got shape \(3, 4, 4\)"):
        layer(Variable(np.zeros((3, 4, 4), np.float32), device=device))


def test_window_larger_than_the_input_names_the_layer(device):
    with pytest.raises(ValueError, match=r"MaxPooling2D: max_pool2d: kernel 5x5.*larger than"):
        MaxPooling2D(5)(_x(device, (1, 1, 4, 4)))


def test_padding_above_half_the_window_names_the_layer(device):
    with pytest.raises(ValueError,
                       match=r"MaxPool2d: max_pool2d: padding \(2, 2\) must be at most half"):
        MaxPool2d(3, padding=2)(_x(device))


@pytest.mark.parametrize("make, error, match", [
    (lambda: MaxPooling2D(pool_size=2.0), TypeError,
     "MaxPooling2D: pool_size must be an int or a pair"),
    (lambda: MaxPool2d(kernel_size=(2, 2, 2)), TypeError,
     "MaxPool2d: kernel_size must be an int or a pair"),
    (lambda: AveragePooling2D(2, strides=0), ValueError, "AveragePooling2D: strides must be >= 1"),
    (lambda: AvgPool2d(2, stride="2"), TypeError, "AvgPool2d: stride must be an int or a pair"),
    (lambda: MaxPooling2D(2, padding="full"), ValueError,
     "MaxPooling2D: padding must be an int, a pair, 'same' or 'valid'"),
])
def test_bad_arguments_are_refused_when_the_layer_is_made(make, error, match):
    with pytest.raises(error, match=match):
        make()
