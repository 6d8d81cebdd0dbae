"""Layers that only change the shape of their input."""
from __future__ import annotations

from minigrad import functions as F
from minigrad.nn.module import Module

__all__ = ["Flatten", "Reshape"]


class Flatten(Module):
    """Collapse every axis from ``start_axis`` (default 1, after the batch axis)
    into one: (N, C, H, W) -> (N, C*H*W)."""

    def __init__(self, start_axis=1, name=None):
        super().__init__(name)
        self.start_axis = start_axis

    def forward(self, x):
        return F.flatten(x, self.start_axis)

    def extra_repr(self):
        return f"start_axis={self.start_axis}"


class Reshape(Module):
    """Reshape each sample to ``target_shape`` (the batch axis is kept), as
    Keras' ``Reshape``; one entry may be -1."""

    def __init__(self, target_shape, name=None):
        super().__init__(name)
        self.target_shape = tuple(int(s) for s in target_shape)

    def forward(self, x):
        return F.reshape(x, (x.shape[0],) + self.target_shape)

    def extra_repr(self):
        return f"target_shape={self.target_shape}"
