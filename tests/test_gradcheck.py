"""The public gradient checker finds wrong gradients and says where."""

import numpy as np
import pytest

import minigrad
from minigrad import Function, Variable


class WrongSquare(Function):
    """y = x^2 with a deliberately wrong gradient at index 2."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        g = 2 * x * gy
        bump = np.zeros(x.shape)
        bump[2] = 1.0
        return g + Variable(minigrad.backend.as_array(bump, device=x.device))


def test_gradcheck_passes_correct_gradients(device):
    x = minigrad.to_device(np.random.default_rng(0).standard_normal((3, 2)), device)
    assert minigrad.gradcheck(lambda v: (v * v).sum(axis=1), x)


def test_gradcheck_report_names_input_and_worst_element():
    x = np.linspace(-1, 1, 4)
    with pytest.raises(
        minigrad.GradcheckError, match=r"input 0 \(shape \(4,\)\).*element \(2,\).*absolute error"
    ):
        minigrad.gradcheck(lambda v: WrongSquare()(v), x)
    assert minigrad.gradcheck(lambda v: WrongSquare()(v), x, raise_exception=False) is False


def test_gradcheck_uses_a_random_direction_for_large_inputs():
    x = np.random.default_rng(1).standard_normal(2000)
    idx = np.array([0, 5, 5])
    assert minigrad.gradcheck(lambda v: minigrad.F.getitem(v, idx) * 3, x)
    with pytest.raises(minigrad.GradcheckError, match="along a random direction"):
        minigrad.gradcheck(lambda v: WrongSquare()(v), x)


@pytest.mark.parametrize("check", [minigrad.gradcheck, minigrad.gradgradcheck])
def test_integer_and_boolean_inputs_are_refused_not_passed(device, check):
    # an input gradcheck cannot check must not let it report success
    x = minigrad.to_device(np.array([0.5, 1.5, 2.0]), device)
    for bad in (np.array([0, 2]), np.array([True, False, True]), 3):
        with pytest.raises(TypeError, match=rf"{check.__name__}: input 1 has dtype .*(int|bool)"):
            check(lambda v, i: v * 2, x, minigrad.to_device(np.asarray(bad), device))
    with pytest.raises(TypeError, match="input 0 has dtype int64"):
        check(lambda v: v * 2, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="no inputs"):
        check(lambda: Variable(np.ones(2)))


def test_gradgradcheck_catches_wrong_second_derivative():
    class BadCube(Function):
        def forward(self, x):
            return x**3

        def backward(self, gy):
            (x,) = self.inputs
            return gy * 3 * Variable(x.data**2)  # constant: second derivative lost

    x = np.array([0.5, 1.5])
    assert minigrad.gradcheck(lambda v: BadCube()(v), x)
    with pytest.raises(minigrad.GradcheckError):
        minigrad.gradgradcheck(lambda v: BadCube()(v), x)
