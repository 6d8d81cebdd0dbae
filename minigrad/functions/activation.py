"""Softmax and log-softmax over any axis, stable for logits of any size."""
from __future__ import annotations

from minigrad.core import Function
from minigrad.functions.math import exp
from minigrad.functions.reduction import sum


__all__ = [
    "Softmax",
    "LogSoftmax",
    "softmax",
    "log_softmax",
]


class Softmax(Function):
    """y_i = exp(x_i - max x) / sum_j exp(x_j - max x);
    dx = y * (gy - sum(gy * y))."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = self.xp
        e = xp.exp(x - xp.max(x, axis=self.axis, keepdims=True))
        e /= xp.sum(e, axis=self.axis, keepdims=True)
        return e

    def backward(self, gy):
        y = self.output
        gx = y * gy
        return gx - y * sum(gx, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x - logsumexp(x);  dx = gy - softmax(x) * sum(gy)."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = self.xp
        shifted = x - xp.max(x, axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, gy):
        return gy - exp(self.output) * sum(gy, axis=self.axis, keepdims=True)


def softmax(x, axis=-1):
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return LogSoftmax(axis)(x)
