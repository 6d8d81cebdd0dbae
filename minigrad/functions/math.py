"""Elementwise mathematical functions.

Masks and signs in the rules below are constant arrays: their derivative is zero
wherever it exists, so higher-order gradients stay correct away from kinks.
"""
from __future__ import annotations

from minigrad import backend
from minigrad.core import Function, Variable, constant, python_number, recording


__all__ = [
    "Exp",
    "Log",
    "Sqrt",
    "Square",
    "Abs",
    "Sin",
    "Cos",
    "Tanh",
    "Sigmoid",
    "Maximum",
    "Minimum",
    "Clip",
    "Where",
    "exp",
    "log",
    "sqrt",
    "square",
    "abs",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "maximum",
    "minimum",
    "clip",
    "where",
]


class Exp(Function):
    """y = e^x;  dx = gy * y."""

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, gy):
        if not recording():
            return constant(gy.data * self.output.data)
        return gy * self.output


class Log(Function):
    """y = ln x;  dx = gy / x."""

    def forward(self, x):
        return self.xp.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    """y = sqrt(x);  dx = gy / (2 y)."""

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, gy):
        return gy / (2 * self.output)


class Square(Function):
    """y = x^2;  dx = 2 x gy."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return 2 * self.inputs[0] * gy


class Abs(Function):
    """y = |x|;  dx = sign(x) gy (0 at x = 0, as in PyTorch)."""

    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * constant(self.xp.sign(x))


class Sin(Function):
    """y = sin x;  dx = cos(x) gy."""

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    """y = cos x;  dx = -sin(x) gy."""

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, gy):
        return -gy * sin(self.inputs[0])


class Tanh(Function):
    """y = tanh x;  dx = gy (1 - y^2)."""

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, gy):
        y = self.output
        if not recording():
            return constant(gy.data * (1 - y.data * y.data))
        return gy * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x), computed as 0.5 tanh(x/2) + 0.5 so that no
    exponential overflows for large |x|;  dx = gy y (1 - y)."""

    def forward(self, x):
        return self.xp.tanh(x * 0.5) * 0.5 + 0.5

    def backward(self, gy):
        y = self.output
        if not recording():
            return constant(gy.data * y.data * (1 - y.data))
        return gy * y * (1 - y)


class Maximum(Function):
    """y = max(a, b) elementwise; the gradient goes to the larger input and is
    split in half between equal ones (as PyTorch does)."""

    def forward(self, a, b):
        return self.xp.maximum(a, b)

    def backward(self, gy):
        return _split_by_winner(self, gy, lambda a, b: a > b)


class Minimum(Function):
    """y = min(a, b) elementwise; ties split the gradient in half."""

    def forward(self, a, b):
        return self.xp.minimum(a, b)

    def backward(self, gy):
        return _split_by_winner(self, gy, lambda a, b: a < b)


def _split_by_winner(func, gy, wins):
    a, b = (v.data for v in func.inputs)
    xp = func.xp
    dtype = gy.dtype
    a_wins = xp.astype(wins(a, b), dtype)
    tie = xp.astype(a == b, dtype)
    wa = a_wins + 0.5 * tie
    return gy * constant(wa), gy * constant(1 - wa)


class Clip(Function):
    """y = min(max(x, lo), hi);  dx = gy where lo <= x <= hi, else 0."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return self.xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        x = self.inputs[0].data
        inside = x == x
        if self.lo is not None:
            inside = inside & (x >= self.lo)
        if self.hi is not None:
            inside = inside & (x <= self.hi)
        return gy * constant(self.xp.astype(inside, gy.dtype))


class Where(Function):
    """y = a where cond else b;  da = gy where cond, db = gy elsewhere."""

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return self.xp.where(self.cond, a, b)

    def backward(self, gy):
        zero = constant(backend.zeros((), gy.dtype, gy.data))
        return where(self.cond, gy, zero), where(self.cond, zero, gy)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def sqrt(x):
    return Sqrt()(x)


def square(x):
    return Square()(x)


def abs(x):
    return Abs()(x)


def sin(x):
    return Sin()(x)


def cos(x):
    return Cos()(x)


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def maximum(a, b):
    return Maximum()(a, b)


def minimum(a, b):
    return Minimum()(a, b)


def clip(x, lo=None, hi=None):
    """Clamp ``x`` to ``[lo, hi]`` (either bound may be None); numpy-scalar bounds are
    weak like Python numbers, so ``x`` keeps its dtype."""
    return Clip(python_number(lo), python_number(hi))(x)


def where(cond, a, b):
    """``a`` where the boolean array ``cond`` is true, else ``b`` (broadcasting)."""
    if isinstance(cond, Variable):
        cond = cond.data
    if not backend.is_array(cond):
        ref = next((v for v in (a, b) if isinstance(v, Variable)), None)
        cond = backend.as_array(cond, device=ref.device if ref is not None else None)
    return Where(cond)(a, b)
