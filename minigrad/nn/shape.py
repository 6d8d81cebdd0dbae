"""Layers that only change the shape of their input, Keras' ``Input``, and the
``input_shape=`` / ``input_dim=`` keywords that Keras' layers take."""
from __future__ import annotations

import numbers

from minigrad import functions as F
from minigrad.functions.array import axis_or_dim, normalize_axes
from minigrad.nn.module import Module

__all__ = ["Flatten", "Input", "Reshape"]


def keras_input_shape(op, input_shape=None, input_dim=None):
    """Keras' ``input_shape`` (one sample's shape, without the batch axis; ``None``
    entries for sizes that vary) or ``input_dim`` (``input_shape=(input_dim,)``)
    as a tuple, or None when neither is given."""
    if input_dim is not None:
        if input_shape is not None:
            raise TypeError(f"{op}: give input_shape= or input_dim=, not both")
        input_shape = (input_dim,)
    if input_shape is None:
        return None
    if isinstance(input_shape, numbers.Integral):
        input_shape = (input_shape,)
    shape = tuple(input_shape)
    if not shape or not all(s is None or isinstance(s, numbers.Integral) and s >= 1
                            for s in shape):
        raise ValueError(f"{op}: input_shape must be one sample's shape (positive ints, None "
                         f"where the size varies; no batch axis), got {input_shape!r}")
    return tuple(None if s is None else int(s) for s in shape)


class Input(Module):
    """Keras' ``Input(shape)``: declares one sample's shape as the first item of a
    :class:`~minigrad.nn.Sequential`, which then builds every layer at once
    (so ``summary()``, ``count_params()`` and an optimizer work before any data).

    ``Input(shape, name=None)``; ``shape`` has no batch axis, ``None`` where a size
    varies. It is not a layer of the model (``model.layers`` leaves it out, as
    Keras does). Called on its own it checks the input's shape and returns it.
    """

    def __init__(self, shape, name=None):
        super().__init__(name)
        self.shape = keras_input_shape("Input", shape)

    def forward(self, x):
        got = tuple(x.shape[1:])
        if len(got) != len(self.shape) or any(
                want is not None and want != have for want, have in zip(self.shape, got)):
            raise ValueError(f"Input: expected samples of shape {self.shape}, got input of "
                             f"shape {tuple(x.shape)}")
        return x

    def extra_repr(self):
        return f"shape={self.shape}"


class Flatten(Module):
    """Collapse the axes from ``start_axis`` (default 1, after the batch axis) to
    ``end_dim`` (default the last) into one: (N, C, H, W) -> (N, C*H*W).

    ``Flatten(start_axis=1, name=None, *, start_dim=None, end_dim=-1,
    input_shape=None)``: ``start_dim`` and ``end_dim`` are PyTorch's names;
    Keras' ``input_shape`` declares the shape of one sample when this is the
    first layer of a Sequential.
    """

    def __init__(self, start_axis=1, name=None, *, start_dim=None, end_dim=-1,
                 input_shape=None):
        super().__init__(name)
        self.start_axis = axis_or_dim("Flatten", start_axis, start_dim, 1)
        self.end_dim = end_dim
        self.input_shape = keras_input_shape("Flatten", input_shape)

    def forward(self, x):
        if self.end_dim == -1:
            return F.flatten(x, self.start_axis)
        start, end = (normalize_axes(a, x.ndim)[0] for a in (self.start_axis, self.end_dim))
        return F.reshape(x, tuple(x.shape[:start]) + (-1,) + tuple(x.shape[end + 1:]))

    def extra_repr(self):
        end = "" if self.end_dim == -1 else f", end_dim={self.end_dim}"
        return f"start_axis={self.start_axis}{end}"


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
