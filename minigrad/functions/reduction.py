"""Reductions: sum, mean, max, min and logsumexp over any axes."""
from __future__ import annotations

import math
import warnings
from typing import NamedTuple

from minigrad import backend
from minigrad.core import Function, Variable, as_variable
from minigrad.functions.array import (
    axis_or_dim,
    broadcast_to,
    keepdims_or_keepdim,
    keepdims_shape,
    normalize_axes,
    reshape,
)


__all__ = [
    "Sum",
    "Max",
    "Min",
    "LogSumExp",
    "sum",
    "mean",
    "max",
    "min",
    "logsumexp",
]

# Every reduction takes numpy's and Keras' ``axis=``/``keepdims=`` or PyTorch's
# ``dim=``/``keepdim=`` (keyword-only); giving both spellings is a TypeError.


def _axis_arg(axis, ndim):
    return None if axis is None else normalize_axes(axis, ndim)


def _grad_to_input(gy, x, axis, keepdims):
    """Broadcast a reduction's gradient back over the reduced axes."""
    if not keepdims:
        gy = reshape(gy, keepdims_shape(x.shape, axis))
    return broadcast_to(gy, x.shape)


class Sum(Function):
    """y = sum of x over ``axis``;  dx = gy broadcast over the summed axes."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        return self.xp.sum(x, axis=_axis_arg(self.axis, x.ndim), keepdims=self.keepdims)

    def backward(self, gy):
        return _grad_to_input(gy, self.inputs[0], self.axis, self.keepdims)


class _Extremum(Function):
    """Max or min over ``axis``. The gradient flows to the elements equal to the
    result; ties share it equally (as ``torch.amax`` does)."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        reduce = self.xp.max if isinstance(self, Max) else self.xp.min
        return reduce(x, axis=_axis_arg(self.axis, x.ndim), keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        shape = keepdims_shape(x.shape, self.axis)
        y = self.xp.reshape(self.output.data, shape)
        xp = self.xp
        hit = xp.astype(x.data == y, gy.dtype)
        share = hit / xp.sum(hit, axis=_axis_arg(self.axis, x.ndim), keepdims=True)
        return _grad_to_input(gy, x, self.axis, self.keepdims) * Variable._wrap(share)


class Max(_Extremum):
    pass


class Min(_Extremum):
    pass


class LogSumExp(Function):
    """y = log(sum(exp(x))) over ``axis``, shifted by the maximum so no
    exponential overflows;  dx = gy * softmax(x) (computed from x, not from y,
    whose rounding at large |y| would cost float32 digits)."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = self.xp
        axis = _axis_arg(self.axis, x.ndim)
        m = xp.max(x, axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
        y = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
        return y if self.keepdims else xp.reshape(y, tuple(
            s for i, s in enumerate(y.shape) if i not in normalize_axes(self.axis, x.ndim)))

    def backward(self, gy):
        x = self.inputs[0]
        weights = softmax(x, axis=normalize_axes(self.axis, x.ndim))
        return _grad_to_input(gy, x, self.axis, self.keepdims) * weights


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis, keepdims = _axis_args("sum", axis, keepdims, dim, keepdim)
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Arithmetic mean over ``axis``: sum(x) / n.

    Over zero elements (n = 0) the mean is nan with a RuntimeWarning, as in numpy.
    """
    axis, keepdims = _axis_args("mean", axis, keepdims, dim, keepdim)
    shape = x.shape if isinstance(x, Variable) else tuple(x.shape)
    n = math.prod(shape[a] for a in normalize_axes(axis, len(shape)))
    total = Sum(axis, keepdims)(x)
    if n == 0:
        empty_mean_warning("mean", shape, axis)
        return total * math.nan
    return total * (1.0 / n)


def empty_mean_warning(op, shape, axis=None):
    """numpy's RuntimeWarning for a mean over no elements, naming ``op`` and the shape."""
    where = "" if axis is None else f" over axis {axis}"
    warnings.warn(f"{op}: mean of empty slice{where} of shape {tuple(shape)} is nan",
                  RuntimeWarning, stacklevel=3)


class ValuesIndices(NamedTuple):
    """What PyTorch's ``max(x, dim)`` and ``min(x, dim)`` return: the extreme
    values (differentiable) and their positions along ``dim`` (int64, no gradient)."""

    values: Variable
    indices: Variable


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The largest element over ``axis`` (numpy's and Keras' ``max``).

    With PyTorch's ``dim=`` it is PyTorch's ``torch.max(x, dim, keepdim)``: a
    pair ``(values, indices)`` (:class:`ValuesIndices`), so
    ``values, indices = F.max(x, dim=1)`` and ``F.max(x, dim=1).values`` read
    as in PyTorch.
    """
    return _extremum("max", Max, x, axis, keepdims, dim, keepdim)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The smallest element over ``axis``; with ``dim=``, PyTorch's ``(values, indices)``
    (see :func:`max`)."""
    return _extremum("min", Min, x, axis, keepdims, dim, keepdim)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    axis, keepdims = _axis_args("logsumexp", axis, keepdims, dim, keepdim)
    return LogSumExp(axis, keepdims)(x)


def _axis_args(op, axis, keepdims, dim, keepdim):
    return axis_or_dim(op, axis, dim), keepdims_or_keepdim(op, keepdims, keepdim)


def _extremum(op, cls, x, axis, keepdims, dim, keepdim):
    axis, keepdims = _axis_args(op, axis, keepdims, dim, keepdim)
    values = cls(axis, keepdims)(x)
    if dim is None:
        return values
    if not isinstance(dim, int):
        raise TypeError(f"{op}: dim= (PyTorch's, giving values and indices) takes one int, "
                        f"got {dim!r}; reduce over several axes with axis=")
    x = as_variable(x)
    find = x.xp.argmax if cls is Max else x.xp.argmin
    indices = backend.ensure_array(find(x.data, axis=normalize_axes(dim, x.ndim)[0],
                                        keepdims=keepdims))
    return ValuesIndices(values, Variable._wrap(x.xp.astype(indices, x.xp.int64)))


from minigrad.functions.activation import softmax  # noqa: E402  (activation builds on reductions)
