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
    """y = x ** c for a constant number c;  dx = gy * c * x ** (c - 1).

    The chain of derivatives stays finite where x = 0: for an integral c the
    exponents c - 1, c - 2, ... are ints that reach 1 and stop there
    (d(x ** 1) = gy, d(x ** 0) = 0) instead of forming 0 * x ** -1 = 0 * inf = nan.
    """

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x**self.c

    def backward(self, gy):
        (x,) = self.inputs
        if self.c == 0:
            return constant(self.xp.zeros_like(x.data))
        if self.c == 1:
            return gy
        c = self.c - 1
        return gy * (self.c * pow(x, int(c) if float(c).is_integer() else c))


class Pow(Function):
    """y = a ** b for a tensor exponent;  da = gy * b * a^(b-1), db = gy * y * log(a).

    As in PyTorch, da is 0 where b = 0 and db is 0 where a = 0 and b >= 0 (the
    limit of a^b log a for b > 0). Those entries take base 1 before the power and
    the log, so no 0 * inf appears in these rules or in their derivatives.
    """

    def forward(self, a, b):
        return a**b

    def backward(self, gy):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:
            base = _one_where(a, (b.data == 0) & (a.data == 0))
            ga = gy * b * base ** (b - 1)
        if need_b:
            base = _one_where(a, (a.data == 0) & (b.data >= 0))
            gb = gy * base**b * log(base)
        return ga, gb


def _one_where(a, mask):
    """``a`` with 1 where ``mask`` (broadcast to a's shape); the replaced entries get
    no gradient."""
    if not bool(a.xp.any(mask)):
        return a
    one = constant(a.xp.ones_like(a.data))
    return where(mask, one, a)


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


from minigrad.functions.math import log, where  # noqa: E402
