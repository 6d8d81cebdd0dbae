"""Tensor factories with PyTorch's names: dtypes, devices, seeding, requires_grad."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import F, Variable


def _dtype(v):
    return str(v.dtype).rsplit(".", 1)[-1]


def test_tensor_copies_data_and_does_not_require_gradients_by_default(device):
    host = np.array([1.0, 2.0])
    t = mg.tensor(host, device=device)
    host[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and t.device == device and not t.requires_grad
    assert _dtype(t) == "float64"  # arrays keep their dtype, as torch.tensor(ndarray)
    assert _dtype(mg.tensor([1.5, 2.0], device=device)) == "float32"
    assert _dtype(mg.tensor([1, 2], device=device)) == "int64"
    assert _dtype(mg.tensor([1, 2], dtype="float32", device=device)) == "float32"
    w = mg.tensor([[1.0, 2.0]], requires_grad=True, device=device)
    (w * w).sum().backward()
    assert w.grad.tolist() == [[2.0, 4.0]]
    v = Variable(np.ones(2), device=device)
    copy = mg.tensor(v)
    assert copy.data is not v.data and copy.creator is None


def test_tensor_refuses_gradients_of_integers():
    with pytest.raises(TypeError, match="tensor: int64 data cannot require gradients"):
        mg.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("make", [mg.zeros, mg.ones])
def test_zeros_and_ones_take_sizes_as_arguments_or_a_tuple(device, make):
    a = make(2, 3, device=device)
    b = make((2, 3), device=device)
    value = 0.0 if make is mg.zeros else 1.0
    assert a.shape == b.shape == (2, 3) and a.device == device and _dtype(a) == "float32"
    assert np.all(a.numpy() == value) and not a.requires_grad
    assert _dtype(make([4], dtype="int64", device=device)) == "int64"
    assert make(2, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="size must be non-negative ints"):
        make(2.5)


@pytest.mark.parametrize("make", [mg.rand, mg.randn])
def test_random_factories_follow_manual_seed(device, make):
    mg.manual_seed(7)
    a = make(1000, device=device)
    mg.manual_seed(7)
    b = make(1000, device=device)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.device == device and _dtype(a) == "float32"
    x = a.numpy()
    if make is mg.rand:
        assert x.min() >= 0 and x.max() < 1 and abs(x.mean() - 0.5) < 0.05
    else:
        assert abs(x.mean()) < 0.1 and abs(x.std() - 1) < 0.1
    assert _dtype(make(2, 2, dtype="float64", device=device)) == "float64"
    with pytest.raises(TypeError, match="floating-point"):
        make(2, dtype="int64")


def test_arange_follows_pytorchs_dtypes(device):
    assert mg.arange(4, device=device).tolist() == [0, 1, 2, 3]
    assert _dtype(mg.arange(4, device=device)) == "int64"
    assert mg.arange(2, 8, 3, device=device).tolist() == [2, 5]
    f = mg.arange(0, 1, 0.25, device=device)
    assert f.tolist() == [0.0, 0.25, 0.5, 0.75] and _dtype(f) == "float32"
    assert _dtype(mg.arange(3, dtype="float64", device=device)) == "float64"
    assert f.device == device
    with pytest.raises(ValueError, match="step must not be zero"):
        mg.arange(0, 3, 0)


def test_from_numpy_shares_memory():
    a = np.zeros(3, np.float32)
    v = mg.from_numpy(a)
    a[1] = 4.0
    assert v.tolist() == [0.0, 4.0, 0.0] and not v.requires_grad
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array, got list"):
        mg.from_numpy([1.0])


def test_cat_and_stack_are_the_joining_functions(device):
    x = mg.ones(2, 3, device=device)
    assert mg.cat is F.concatenate and mg.concatenate is F.concatenate and mg.stack is F.stack
    assert mg.cat([x, x], dim=1).shape == (2, 6) and mg.cat([x, x]).shape == (4, 3)
    assert mg.stack([x, x], dim=1).shape == (2, 2, 3)
