"""Casting between dtypes."""
from __future__ import annotations

from minigrad import backend
from minigrad.core import Function

__all__ = ["AsType", "astype"]


class AsType(Function):
    """y = x in another dtype;  dx = gy cast back to x's dtype.

    The backward pass uses it to give each gradient its input's dtype when a
    float32 Variable met a float64 one, so it must be differentiable itself.
    """

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return self.xp.astype(x, backend.resolve_dtype(self.dtype, self.xp))

    def backward(self, gy):
        return astype(gy, self.inputs[0].dtype)


def astype(x, dtype):
    """``x`` cast to ``dtype`` (a name such as ``"float16"``, or a dtype of any
    backend), as a new Variable: the array API's ``astype(x, dtype)``."""
    return AsType(dtype)(x)
