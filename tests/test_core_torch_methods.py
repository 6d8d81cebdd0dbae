"""Variable methods with PyTorch's names and keywords: view, flatten, transpose (a
swap of two axes) and permute, argmax, casts, requires_grad_, dim=/keepdim=."""
import numpy as np
import pytest

import minigrad
from minigrad import F, Variable


def _x(device, *shape):
    return Variable(np.arange(float(np.prod(shape))).reshape(shape), device=device)


def test_transpose_of_two_ints_swaps_them_as_in_pytorch(device):
    m = _x(device, 2, 3)
    # numpy's transpose(0, 1) is the identity permutation: it returned m unchanged
    np.testing.assert_array_equal(m.transpose(0, 1).numpy(), m.numpy().T)
    np.testing.assert_array_equal(m.transpose(1, 0).numpy(), m.numpy().T)
    x = _x(device, 2, 3, 4)
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), x.numpy().swapaxes(0, 1))
    np.testing.assert_array_equal(x.transpose(-1, 0).numpy(), x.numpy().swapaxes(-1, 0))
    np.testing.assert_array_equal(x.transpose(1, 1).numpy(), x.numpy())


def test_transpose_of_a_tuple_or_of_every_axis_permutes_as_in_numpy(device):
    x = _x(device, 2, 3, 4)
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert x.transpose(2, 0, 1).shape == (4, 2, 3)
    assert x.transpose().shape == (4, 3, 2)
    assert x.T.shape == (4, 3, 2)
    with pytest.raises(ValueError, match=r"transpose\(0, 3\): axis 3 is out of range"):
        x.transpose(0, 3)


def test_permute_orders_the_axes_and_its_gradient_flows_back(device):
    x = _x(device, 2, 3, 4)
    y = x.permute(0, 2, 1)
    np.testing.assert_array_equal(y.numpy(), x.numpy().transpose(0, 2, 1))
    assert x.permute((1, 2, 0)).shape == (3, 4, 2)
    (y * Variable(np.arange(24.0).reshape(2, 4, 3), device=device)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(24.0).reshape(2, 4, 3)
                                  .transpose(0, 2, 1))
    with pytest.raises(ValueError, match=r"permute: 2 dims \(0, 1\).*3 axes"):
        x.permute(0, 1)


def test_view_and_flatten_take_pytorchs_arguments(device):
    x = _x(device, 2, 3, 4)
    assert x.view(6, 4).shape == (6, 4) and x.view((4, -1)).shape == (4, 6)
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.flatten(start_dim=1, end_dim=-2).shape == (2, 3, 4)
    assert Variable(np.array(2.0)).flatten().shape == (1,)
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)


def test_elementwise_methods_are_the_functions(device):
    x = Variable(np.array([-1.0, 0.5, 2.0]), device=device)
    np.testing.assert_allclose(x.exp().numpy(), np.exp(x.numpy()))
    np.testing.assert_allclose(x.relu().numpy(), [0.0, 0.5, 2.0])
    np.testing.assert_allclose(x.relu().exp().log().numpy(), [0.0, 0.5, 2.0], atol=1e-12)
    np.testing.assert_allclose(x.softmax(dim=0).numpy(), F.softmax(x, axis=0).numpy())
    np.testing.assert_allclose(x.log_softmax(0).numpy(), F.log_softmax(x).numpy())


def test_argmax_and_argmin_give_int64_positions(device):
    x = Variable(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), device=device)
    assert x.argmax().item() == 3 and x.argmin().item() == 4  # flat positions
    assert x.argmax(dim=1).tolist() == [1, 0] and x.argmax(axis=0).tolist() == [1, 0, 1]
    assert x.argmax(1, keepdim=True).shape == (2, 1)
    assert x.argmin(dim=1, keepdim=True).tolist() == [[0], [1]]
    assert x.argmax(keepdims=True).shape == (1, 1)
    a = x.argmax(1)
    assert str(a.dtype).endswith("int64") and not a.requires_grad


def test_tolist_and_casts(device):
    x = Variable(np.array([[1.5, 2.0]]), device=device)
    assert x.tolist() == [[1.5, 2.0]] and x[0, 0].tolist() == 1.5
    assert str(x.float().dtype).endswith("float32")
    assert str(x.float().double().dtype).endswith("float64")
    assert x.long().tolist() == [[1, 2]]
    y = x.float()
    y.sum().backward()  # the cast is in the graph
    assert str(x.grad.dtype).endswith("float64")


def test_cpu_is_the_variable_on_the_cpu(device):
    x = Variable(np.ones(2), device=device)
    assert x.cpu().device == "cpu"
    assert Variable(np.ones(2)).cpu().device == "cpu"


def test_requires_grad_switches_a_leaf_in_place():
    x = minigrad.zeros(3)
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(TypeError, match="int64 data cannot require gradients"):
        minigrad.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match=r"computed by Mul.*\.detach\(\)"):
        (Variable(np.ones(2)) * 2).requires_grad_(False)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_take_dim_and_keepdim(device, name):
    x = _x(device, 2, 3, 4)
    fn = getattr(F, name)
    want = fn(x, axis=1, keepdims=True).numpy()
    got = fn(x, dim=1, keepdim=True)
    got = got.values if name in ("max", "min") else got
    np.testing.assert_allclose(got.numpy(), want)
    if name != "logsumexp":
        got = getattr(x, name)(dim=(0, 2) if name in ("sum", "mean") else 2)
        want = fn(x, axis=(0, 2) if name in ("sum", "mean") else 2)
        got = got.values if name in ("max", "min") else got
        np.testing.assert_allclose(got.numpy(), want.numpy())


@pytest.mark.parametrize("call", [
    lambda x: F.sum(x, 1, dim=1), lambda x: x.mean(axis=0, dim=1),
    lambda x: F.softmax(x, 0, dim=1), lambda x: F.concatenate([x, x], 1, dim=1),
    lambda x: x.sum(keepdims=True, keepdim=True), lambda x: x.argmax(0, dim=1),
])
def test_axis_and_dim_together_are_a_clear_error(call):
    with pytest.raises(TypeError, match="axis= .*dim=|keepdims= .*keepdim="):
        call(Variable(np.ones((2, 3))))


def test_max_and_min_with_dim_return_pytorchs_values_and_indices(device):
    x = Variable(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]), device=device)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    out = F.min(x, dim=0, keepdim=True)
    assert out.values.tolist() == [[1.0, 0.0, 2.0]] and out.indices.tolist() == [[0, 1, 0]]
    assert x.max(dim=1)[0].tolist() == [5.0, 7.0]  # PyTorch's x.max(1)[0]
    # without dim=: numpy's and Keras' max, the values alone
    assert x.max(axis=1).tolist() == [5.0, 7.0] and x.max().item() == 7.0
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(TypeError, match="dim= .* takes one int"):
        x.max(dim=(0, 1))


def test_softmax_and_joins_take_dim(device):
    x = _x(device, 2, 3)
    np.testing.assert_allclose(F.softmax(x, dim=0).numpy(), F.softmax(x, axis=0).numpy())
    np.testing.assert_allclose(F.log_softmax(x, dim=0).numpy(), F.log_softmax(x, 0).numpy())
    assert F.concatenate([x, x], dim=1).shape == (2, 6)
    assert F.stack([x, x], dim=2).shape == (2, 3, 2)
