"""The arithmetic operators: + - * / ** and unary minus.

Inputs broadcast as in numpy; the engine sums each gradient back to its
input's shape, so the backward rules below ignore broadcasting.
"""
from __future__ import annotations

import numbers

from minigrad import backend
from minigrad.core import Function, Variable, constant, python_number, recording


__all__ = [
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "PowScalar",
    "Pow",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "pow",
]


class Add(Function):
    """y = a + b;  da = db = gy."""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    """y = a - b;  da = gy, db = -gy."""

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        if not self.needs_input_grad[1]:
            return gy, None
        return gy, (-gy if recording() else constant(-gy.data))


class Mul(Function):
    """y = a * b;  da = gy * b, db = gy * a."""

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        if recording():
            return (gy * b if need_a else None), (gy * a if need_b else None)
        g = gy.data
        ga = constant(g * b.data) if need_a else None
        return ga, (constant(g * a.data) if need_b else None)


class Div(Function):
    """y = a / b;  da = gy / b, db = -gy * a / b^2."""

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        need_b = self.needs_input_grad[1]
        if not recording():
            ga = gy.data / b.data
            return constant(ga), (constant(-ga * a.data / b.data) if need_b else None)
        ga = gy / b
        return ga, (-ga * a / b if need_b else None)


class Neg(Function):
    """y = -x;  dx = -gy."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy if recording() else constant(-gy.data)


class PowScalar(Function):
    """y = x ** c for a constant number c;  dx = gy * c * x ** (c - 1)."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x**self.c

    def backward(self, gy):
        (x,) = self.inputs
        return gy * self.c * x ** (self.c - 1)


class Pow(Function):
    """y = a ** b for a tensor exponent;  da = gy * b * a^(b-1), db = gy * y * log(a).

    The gradient with respect to ``b`` needs ``a > 0``.
    """

    def forward(self, a, b):
        return a**b

    def backward(self, gy):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = gy * b * a ** (b - 1) if need_a else None
        gb = gy * self.output * log(a) if need_b else None
        return ga, gb


def add(a, b):
    return Add()(a, b)


def sub(a, b):
    return Sub()(a, b)


def mul(a, b):
    return Mul()(a, b)


def div(a, b):
    return Div()(a, b)


def neg(x):
    return Neg()(x)


def pow(x, c):
    """``x ** c``: a number ``c`` (Python or numpy) is a constant exponent of a floating
    ``x``, otherwise ``c`` is a tensor exponent (integer ``x`` goes there too, so a float
    exponent gives it the default float dtype)."""
    if (isinstance(c, numbers.Real) and not isinstance(c, bool) and isinstance(x, Variable)
            and backend.is_floating(x.dtype, x.xp)):
        return PowScalar(python_number(c))(x)
    return Pow()(x, c)


from minigrad.functions.math import log  # noqa: E402
