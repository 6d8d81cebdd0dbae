"""Binary cross-entropy, as PyTorch defines it: on probabilities, and fused on logits."""
from __future__ import annotations

import warnings

from minigrad.core import Function, Variable, as_variable, constant
from minigrad.functions.activation import softplus
from minigrad.functions.loss._common import (
    as_target,
    check_reduction,
    check_same_shape,
    read_bounds,
    reduce,
    within_unit_interval,
)
from minigrad.functions.math import clip, log, sigmoid, where

__all__ = [
    "BinaryCrossEntropyWithLogits",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _element_weights(name, weight, like):
    """An optional weight broadcast against the loss elements, as a constant."""
    if weight is None:
        return None
    w = as_target(weight.detach() if isinstance(weight, Variable) else weight, like, name)
    try:
        like.xp.broadcast_to(w.data, like.shape)
    except ValueError:
        raise ValueError(f"{name}: weight of shape {w.shape} does not broadcast to the "
                         f"input's shape {like.shape}") from None
    return w


def warn_unless_probabilities(name, p, instead, stacklevel=3, bounds=None):
    """Warn unless ``p`` is in [0, 1]; ``bounds``: its (min, max) when already read
    (probabilities' min decides nothing, so both are read in one transfer)."""
    if not within_unit_interval(p.data, *(bounds or read_bounds(p.data))):
        warnings.warn(
            f"{name}: the predictions leave [0, 1], so they are not probabilities; "
            f"for logits use {instead}", UserWarning, stacklevel=stacklevel + 1,
        )


def _log_floor_100(p):
    """max(log p, -100) elementwise, PyTorch's clamp in BCELoss: finite at p = 0
    (without evaluating log 0) and with zero gradient where clamped."""
    positive = p.data > 0
    safe = where(positive, p, constant(p.xp.ones_like(p.data)))
    return clip(where(positive, log(safe), -100.0), -100.0, None)


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """loss = -w (t max(log p, -100) + (1 - t) max(log(1 - p), -100)) elementwise,
    as PyTorch's ``F.binary_cross_entropy``.

    ``input`` p: probabilities (after sigmoid); ``target`` t: the same shape
    (0/1 labels or soft targets); ``weight`` w broadcasts against them. The clamp
    at -100 is PyTorch's: a confident wrong prediction costs 100, not infinity.
    Keras' ``binary_crossentropy`` instead clips p to [1e-7, 1 - 1e-7]. Warns
    when ``input`` leaves [0, 1].
    """
    name = "binary_cross_entropy"
    check_reduction(name, reduction)
    p = as_variable(input)
    t = as_target(target, p, name)
    check_same_shape(name, p, t)
    warn_unless_probabilities(name, p, "binary_cross_entropy_with_logits")
    loss = -(t * _log_floor_100(p) + (1 - t) * _log_floor_100(1 - p))
    w = _element_weights(name, weight, p)
    return reduce(name, loss if w is None else loss * w, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """loss = max(x, 0) - x t + log(1 + e^-|x|) elementwise (= -t log s - (1-t) log(1-s),
    s = sigmoid(x), without overflow);  dx = gy (sigmoid(x) - t),  dt = -gy x."""

    def forward(self, x, t):
        xp = self.xp
        return xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        x, t = self.inputs
        gx = gy * (sigmoid(x) - t) if self.needs_input_grad[0] else None
        gt = -gy * x if self.needs_input_grad[1] else None
        return gx, gt


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of sigmoid(input) against ``target`` (same shape), as
    PyTorch's ``F.binary_cross_entropy_with_logits``; stable for logits of any size.

    loss = w (-q t log s - (1 - t) log(1 - s)), s = sigmoid(x), computed as
    w (q t softplus(-x) + (1 - t) softplus(x)); ``weight`` w broadcasts against
    the elements, ``pos_weight`` q (one per class, broadcast over the last axis)
    weights the positive term. Keras: ``BinaryCrossentropy(from_logits=True)``.

    Warns when the logits look like probabilities: every value in [0, 1] although
    some target is below 0.5 (a logit in [0, 1] predicts the positive class, so a
    model emitting such logits for negative examples most likely applied sigmoid).
    """
    name = "binary_cross_entropy_with_logits"
    check_reduction(name, reduction)
    x = as_variable(input)
    t = as_target(target, x, name)
    check_same_shape(name, x, t)
    if x.size > 1 and within_unit_interval(x.data) and bool(t.xp.any(t.data < 0.5)):
        warnings.warn(
            f"{name}: the logits look like probabilities (all in [0, 1] although some "
            f"targets are 0); pass the scores before sigmoid, or use binary_cross_entropy",
            UserWarning, stacklevel=2,
        )
    if pos_weight is None:
        loss = BinaryCrossEntropyWithLogits()(x, t)
    else:
        q = _element_weights(name, pos_weight, x)
        loss = q * t * softplus(-x) + (1 - t) * softplus(x)
    w = _element_weights(name, weight, x)
    return reduce(name, loss if w is None else loss * w, reduction)
