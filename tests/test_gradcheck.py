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


def test_gradcheck_skips_integer_inputs_and_uses_random_direction_for_large_inputs():
    x = np.random.default_rng(1).standard_normal(2000)
    idx = np.array([0, 5, 5])
    assert minigrad.gradcheck(lambda v, i: minigrad.F.getitem(v, i) * 3, x, idx)


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
