import numpy as np

from minigrad import Variable, nn


def test_flatten_keeps_the_batch_axis(device):
    x = Variable(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2), device=device)
    y = nn.Flatten()(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y.numpy(), x.numpy().reshape(2, 12))
    assert nn.Flatten(start_axis=2)(x).shape == (2, 3, 4)
    y.backward()
    assert x.grad.shape == x.shape


def test_reshape_per_sample(device):
    x = Variable(np.arange(24, dtype=np.float32).reshape(2, 12), device=device)
    assert nn.Reshape((3, -1))(x).shape == (2, 3, 4)
    assert repr(nn.Reshape((3, 4))) == "Reshape(target_shape=(3, 4))"


def test_flatten_keeps_kerass_input_shape():
    assert nn.Flatten(input_shape=(28, 28)).input_shape == (28, 28)
    assert nn.Flatten().input_shape is None


def test_flatten_takes_pytorchs_start_dim_and_end_dim(device):
    x = Variable(np.zeros((2, 3, 4, 5), np.float32), device=device)
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert nn.Flatten(end_dim=2)(x).shape == (2, 12, 5)
    assert nn.Flatten(0, end_dim=-2)(x).shape == (24, 5)
    assert repr(nn.Flatten(end_dim=2)) == "Flatten(start_axis=1, end_dim=2)"
