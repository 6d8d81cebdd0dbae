"""Negative log-likelihood of log-probabilities: PyTorch's ``F.nll_loss``."""
from __future__ import annotations

import math
import warnings

from minigrad.core import as_variable, constant
from minigrad.functions.array import reshape
from minigrad.functions.loss._common import (
    as_target,
    check_label_range,
    check_reduction,
    is_floating,
    one_hot,
)
from minigrad.functions.loss.cross_entropy import _as_rows, _class_target, _class_weights
from minigrad.functions.reduction import sum

__all__ = ["nll_loss"]


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    """loss_n = -w_(y_n) x_(n, y_n): the log-probability of each element's class,
    negated and weighted, as PyTorch's ``F.nll_loss``.

    ``input``: log-probabilities (``F.log_softmax(logits, axis=1)``) of shape
    (N, C), (C,) or (N, C, d1, ..., dK), the classes on axis 1. ``target``:
    integer class indices of shape (N,), () or (N, d1, ..., dK). ``weight``: a
    length-C array of class weights (default all 1). Elements whose label is
    ``ignore_index`` (default -100) contribute nothing. ``reduction="mean"``
    divides the sum by sum_n w_(y_n) over the elements not ignored (a weighted
    mean; nan when nothing is left, with a RuntimeWarning), ``"sum"`` adds,
    ``"none"`` keeps shape (N, d1, ..., dK).
    ``nll_loss(log_softmax(x, axis=1), y)`` equals ``cross_entropy(x, y)``.
    """
    name = "nll_loss"
    check_reduction(name, reduction)
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
    x = as_variable(input)
    if x.ndim == 0:
        raise ValueError(f"{name}: expected log-probabilities of shape (N, C) or "
                         f"(N, C, d1, ...), got ()")
    class_axis = 1 if x.ndim > 1 else 0
    c = x.shape[class_axis]
    element_shape = x.shape[:class_axis] + x.shape[class_axis + 1:]
    t = as_target(target, x, name, cast=False)
    if is_floating(t.data):
        raise TypeError(f"{name}: the target must be integer class indices, got {t.dtype}; "
                        f"for class probabilities use cross_entropy on the logits")
    t = _class_target(name, x, t, element_shape)
    ignored = check_label_range(name, t.data, c, ignore_index)
    w = _class_weights(name, weight, x, c)
    rows, labels = _as_rows(x, t, True)
    xp = x.xp
    picked = one_hot(labels.data, c, x.dtype)  # rows of zeros for labels outside [0, C)
    if ignored:
        picked = picked * xp.astype(xp.reshape(labels.data != ignore_index, (-1, 1)), x.dtype)
    if w is not None:
        picked = picked * w
    losses = -sum(rows * constant(picked), axis=1)
    if reduction == "none":
        return reshape(losses, element_shape)
    total = sum(losses)
    if reduction == "sum":
        return total
    # every label is in range: without weights or ignored labels, one per element
    count = labels.size if w is None and not ignored else float(xp.sum(picked))
    if count == 0:
        warnings.warn(f"{name}: the mean over no targets (empty batch, every label "
                      f"ignore_index, or class weights summing to 0) is nan",
                      RuntimeWarning, stacklevel=2)
        return total * math.nan
    return total * (1.0 / count)
