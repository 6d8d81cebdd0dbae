"""Variables convert like tensors: Python numbers, format specs, numpy arrays."""
import numpy as np
import pytest

from minigrad import Variable


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_one_element_variables_convert_to_python_numbers(device, shape):
    v = Variable(np.full(shape, 2.75, np.float32), device=device)
    assert float(v) == 2.75 and type(float(v)) is float
    assert int(v) == 2 and type(int(v)) is int
    assert bool(v) and not bool(v * 0)
    assert f"{v:.3f}" == "2.750" and format(v, "6.1f") == "   2.8"
    assert v.item() == 2.75


def test_more_elements_are_a_clear_error(device):
    v = Variable(np.ones((2, 3), np.float32), device=device)
    for convert in (float, int, bool):
        with pytest.raises(ValueError, match=r"one-element Variable.*shape \(2, 3\)"):
            convert(v)
    with pytest.raises(ValueError, match=r"item\(\): .*\(2, 3\)"):
        v.item()
    with pytest.raises(TypeError, match=r"'.4f'.*shape \(2, 3\)"):
        f"{v:.4f}"
    assert f"{v}" == str(v)  # no spec: the repr-like text, as for any object


def test_len_of_a_0d_variable_is_a_type_error():
    with pytest.raises(TypeError, match="0-d"):
        len(Variable(np.array(1.0)))


def test_numpy_asarray_gives_the_numeric_host_array():
    v = Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    a = np.asarray(v)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    np.testing.assert_array_equal(a, v.data)
    assert np.asarray(v, dtype=np.float64).dtype == np.float64
    both = np.array([Variable(np.array(1.5)), Variable(np.array(2.5))])
    assert both.dtype == np.float64 and both.tolist() == [1.5, 2.5]
    assert np.array(v, copy=True) is not v.data


def test_numpy_asarray_of_device_data_points_to_numpy():
    v = Variable(np.ones(3), device="strict")
    with pytest.raises(TypeError, match=r"device 'strict'.*\.numpy\(\)"):
        np.asarray(v)
