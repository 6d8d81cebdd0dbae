"""dtypes in the graph: the weak-constant rule, gradients in their input's dtype,
and the upstream gradient given to backward()."""
import numpy as np
import pytest

import minigrad
from minigrad import F, Variable


def _is(v, name):
    return str(v.dtype).endswith(name)


def _f32(device, values=(0.5, 1.0, 2.0)):
    return Variable(np.array(values, np.float32), device=device)


# -- the weak-constant rule ------------------------------------------------------

def test_numpy_scalars_are_weak_like_python_numbers(device):
    x = _f32(device)
    results = [x + np.int64(1), np.int64(1) + x, x - np.int64(1), x * np.float64(2),
               np.float64(2) / x, x ** np.float64(2), x ** np.int64(2), np.float64(2) ** x,
               F.maximum(x, np.float64(1)), F.where(x.data > 1, x, np.float64(0))]
    for y in results:
        assert _is(y, "float32") and y.device == device


def test_comparisons_with_numpy_scalars_work_on_every_device(device):
    x = _f32(device)
    np.testing.assert_array_equal(minigrad.to_device(x > np.float64(0.75), "cpu"),
                                  [False, True, True])
    np.testing.assert_array_equal(minigrad.to_device(x == np.int64(1), "cpu"), [False, True, False])


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_clip_with_numpy_scalar_bounds_keeps_the_dtype(dtype):
    x = Variable(np.array([-2.0, 0.5, 2.0], dtype))
    y = F.clip(x, np.float32(-1), np.float64(1))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), [-1.0, 0.5, 1.0])


def test_numpy_scalar_clip_bounds_work_on_every_device(device):
    y = F.clip(_f32(device), np.float64(0.75), np.int64(1))
    np.testing.assert_array_equal(y.numpy(), [0.75, 1.0, 1.0])


def test_array_and_list_constants_take_the_floating_variable_dtype(device):
    x = _f32(device)
    on_device = [minigrad.to_device(a, device) for a in (np.ones(3), np.array(2.0), np.arange(3))]
    for c in on_device + [[1.0, 2.0, 3.0], [1, 2, 3]]:
        for y in (x + c, F.mul(c, x), F.sub(c, x), F.pow(x, c)):  # strict arrays refuse c * x
            assert _is(y, "float32"), (type(c), y.dtype)
    np.testing.assert_allclose((x + on_device[0]).numpy(), [1.5, 2.0, 3.0])


def test_float16_variable_keeps_float16_beside_float32_and_float64_constants():
    x = Variable(np.ones(2, np.float16))
    for c in (np.ones(2, np.float32), np.ones(2), np.float32(2), [0.5, 0.25]):
        assert (x * c).dtype == np.float16


def test_two_floating_variables_promote(device):
    x, w = _f32(device), Variable(np.ones(3), device=device)
    assert _is(x * w, "float64")


def test_integer_variable_with_a_float_constant_takes_the_default_float(device):
    i = Variable(np.arange(3), device=device)
    for y in (i + 2.5, 2.5 * i, i * np.float64(0.5), i + minigrad.to_device(np.ones(3), device),
              i ** 0.5):
        assert _is(y, "float32"), y.dtype
    assert _is(i + 1, "int64") and _is(i * np.int64(2), "int64")


def test_a_host_array_beside_a_device_variable_is_a_device_error():
    with pytest.raises(ValueError, match="Add: .*strict, cpu"):
        _f32("strict") + np.ones(3)


# -- gradients in their input's dtype ----------------------------------------------------

def test_float32_leaf_gets_a_float32_grad_beside_a_float64_variable(device):
    x, w = _f32(device), Variable(np.array([3.0, 4.0, 5.0]), device=device)
    (x * x * w).sum().backward()
    assert _is(x.grad, "float32") and _is(w.grad, "float64")
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 8.0, 20.0])
    np.testing.assert_allclose(w.grad.numpy(), [0.25, 1.0, 4.0])


def test_float32_intermediate_passes_float32_on(device):
    x, w = _f32(device), Variable(np.ones(3), device=device)
    h = F.tanh(x)
    (h * w).sum().backward(retain_grad=True)
    assert _is(h.grad, "float32") and _is(x.grad, "float32")


def test_backward_casts_a_float64_upstream_gradient(device):
    x = _f32(device)
    y = x * 2
    y.backward(minigrad.to_device(np.array([1.0, 0.5, 0.25]), device))
    assert _is(x.grad, "float32")
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 1.0, 0.5])
    x.cleargrad()
    x.backward(Variable(np.ones(3), device=device))  # a leaf: the gradient is its own
    assert _is(x.grad, "float32")
    gx, = minigrad.grad(x * 3, [x], [Variable(np.ones(3), device=device)])
    assert _is(gx, "float32")


def test_the_cast_is_differentiable_with_create_graph(device):
    x, w = _f32(device), Variable(np.array([3.0, 4.0, 5.0]), device=device)
    gx, = minigrad.grad((x * x * w).sum(), [x], create_graph=True)  # 2 x w, cast
    assert _is(gx, "float32")
    gxx, gxw = minigrad.grad(gx.sum(), [x, w])  # zero if the cast were not recorded
    assert _is(gxx, "float32") and _is(gxw, "float64")
    np.testing.assert_allclose(gxx.numpy(), [6.0, 8.0, 10.0])
    np.testing.assert_allclose(gxw.numpy(), [1.0, 2.0, 4.0])


def test_a_float64_upstream_gradient_variable_stays_differentiable(device):
    x = _f32(device)
    g = Variable(np.array([1.0, 2.0, 3.0]), device=device)
    gx, = minigrad.grad(x * x, [x], [g], create_graph=True)
    assert _is(gx, "float32")
    gg, = minigrad.grad(gx.sum(), [g])  # d/dg sum(2 x g) = 2 x
    np.testing.assert_allclose(gg.numpy(), [1.0, 2.0, 4.0])


# -- the upstream gradient's device ------------------------------------------------------

def test_backward_gradient_on_another_device_names_both():
    y = _f32("strict") * 2
    for grad in (Variable(np.ones(3, np.float32)), np.ones(3, np.float32),
                 Variable(np.ones(3, np.float32), device="strict:1")):
        with pytest.raises(ValueError, match=r"backward\(\): .*on device '(cpu|strict:1)'.*"
                                             r"output is on 'strict'"):
            y.backward(grad)
    with pytest.raises(ValueError, match=r"grad\(\): .*'cpu'.*'strict'"):
        minigrad.grad(y, [y], [np.ones(3, np.float32)])


def test_backward_gradient_from_numbers_and_lists_lands_on_the_output_device(device):
    x = _f32(device)
    (x * 2).backward([1.0, 1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 4.0])
    x.cleargrad()
    (x * 2).sum().backward(3)
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0, 6.0])
