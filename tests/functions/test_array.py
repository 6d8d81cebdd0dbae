"""Shape functions: reshape, transpose, broadcasting, indexing, joining, splitting."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal


def _idx(*values):
    return lambda rng: np.array(values)


CASES = [
    GradCase("reshape", lambda x: F.reshape(x, (3, 2)), inputs(normal(2, 3))),
    GradCase("transpose", F.transpose, inputs(normal(2, 3))),
    GradCase("transpose_axes", lambda x: F.transpose(x, (1, 2, 0)), inputs(normal(2, 3, 4))),
    GradCase("method_T", lambda x: x.T * 2, inputs(normal(2, 3))),
    GradCase(
        "expand_squeeze", lambda x: F.squeeze(F.expand_dims(x, 1) * 2, 1), inputs(normal(2, 3))
    ),
    GradCase("flatten", F.flatten, inputs(normal(2, 3, 2))),
    GradCase("broadcast_to", lambda x: F.broadcast_to(x, (4, 2, 3)), inputs(normal(2, 1))),
    GradCase("sum_to", lambda x: F.sum_to(x, (1, 3)), inputs(normal(4, 2, 3))),
    GradCase("getitem_slice", lambda x: x[1:, ::2], inputs(normal(3, 4))),
    GradCase("getitem_int", lambda x: x[1], inputs(normal(3, 4))),
    GradCase(
        "getitem_repeated_indices",
        lambda x, i: F.getitem(x, i) * 1.5,
        inputs(normal(4, 3), _idx(0, 2, 2, 3, 0)),
    ),
    GradCase(
        "getitem_int_arrays",
        lambda x, i, j: F.getitem(x, (i, j)),
        inputs(normal(3, 4), _idx(0, 2, 2), _idx(1, 3, 3)),
    ),
    GradCase("getitem_mask", lambda x: x[x.data > 0], inputs(normal(3, 4))),
    GradCase("getitem_index_matrix", lambda x: x[[[0, 2], [2, 2]]], inputs(normal(3, 4))),
    GradCase("getitem_empty_list", lambda x: x[[]], inputs(normal(4, 3, 2))),
    GradCase(
        "concatenate",
        lambda a, b: F.concatenate([a, b], axis=1),
        inputs(normal(2, 3), normal(2, 2)),
    ),
    GradCase("stack", lambda a, b: F.stack([a, b], axis=0), inputs(normal(2, 3), normal(2, 3))),
    GradCase("split", lambda x: F.split(x, [1, 3], axis=1), inputs(normal(2, 5))),
    GradCase(
        "getitem_grad_slices",
        lambda g: F.GetItemGrad((slice(1, 3), Ellipsis), (4, 3))(g),
        inputs(normal(2, 3)),
    ),
    GradCase(
        "getitem_grad_repeated",
        lambda g, i: F.GetItemGrad((i.data,), (4, 3))(g),
        inputs(normal(3, 3), _idx(0, 2, 2)),
    ),
    GradCase("split_unused_part", lambda x: F.split(x, 3, axis=0)[1] * 2, inputs(normal(6, 2))),
]


def test_repeated_indices_accumulate(device):
    x = Variable(np.zeros(4), device=device)
    F.getitem(x, np.array([1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0, 1.0])


@pytest.mark.parametrize("key", [[], ([],), ([[]],), [[]], [[1, 2], [3, 3]]],
                         ids=["[]", "([],)", "([[]],)", "[[]]", "[[1,2],[3,3]]"])
def test_empty_and_nested_index_lists_follow_numpy(device, key):
    host = np.arange(24.0).reshape(4, 3, 2)
    x = Variable(host, device=device)
    y = x[key]
    assert y.shape == host[key].shape
    np.testing.assert_array_equal(y.numpy(), host[key])
    (y * 2).sum().backward()
    expected = np.zeros_like(host)
    np.add.at(expected, key, 2.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@given(hnp.array_shapes(min_dims=0, max_dims=4, max_side=3), st.data())
def test_sum_to_inverts_broadcast_to(shape, data):
    target = data.draw(hnp.broadcastable_shapes(shape, max_dims=4, max_side=3))
    out_shape = np.broadcast_shapes(shape, target)
    x = Variable(np.ones(shape))
    y = F.broadcast_to(x, out_shape)
    y.backward()
    np.testing.assert_array_equal(
        x.grad.numpy(), np.full(shape, np.prod(out_shape) / max(np.prod(shape), 1))
    )


def test_split_sections_must_divide():
    with pytest.raises(ValueError, match="equal sections"):
        F.split(Variable(np.ones(5)), 2)


def test_squeeze_rejects_non_unit_axis():
    with pytest.raises(ValueError, match="squeeze"):
        F.squeeze(Variable(np.ones((2, 3))), 0)


def test_variable_reshape_and_transpose_methods(device):
    x = Variable(np.arange(6.0).reshape(2, 3), device=device)
    assert x.reshape(3, 2).shape == (3, 2)
    assert x.reshape((6,)).shape == (6,)
    assert x.transpose().shape == (3, 2)
    assert x.transpose(1, 0).shape == (3, 2)
    assert minigrad.F.flatten(x).shape == (6,)


@pytest.mark.parametrize("key", [[3], [-4], ([0, 1], [0, 2])])
def test_integer_indices_out_of_range_raise_on_every_device(device, key):
    """numpy and array-api-strict raise; CuPy would wrap around (check_index_range)."""
    x = Variable(np.zeros((3, 2), np.float32), device=device)
    with pytest.raises(IndexError, match="out of bounds"):
        x[key]


def test_check_index_range_finds_the_axis_of_each_array():
    from minigrad.functions.array import check_index_range as check

    shape = (2, 3, 4)
    check((np.array([1, -2]),), shape)
    check((Ellipsis, np.array([3, -4])), shape)
    check((None, slice(None), np.ones((3, 4), bool)), shape)
    check((0, None, Ellipsis, np.array([3])), shape)
    with pytest.raises(IndexError, match="index 2 is out of bounds for axis 0 with size 2"):
        check((np.array([0, 2]),), shape)
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 2 with size 4"):
        check((Ellipsis, np.array([4])), shape)
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 1 with size 3"):
        check((np.ones(2, bool), np.array([-4])), shape)
    with pytest.raises(IndexError, match="axis 2"):
        check((None, 1, slice(None), np.array([9])), shape)
