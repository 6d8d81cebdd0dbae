"""Regression losses under PyTorch's names and argument order: (input, target)."""
from __future__ import annotations

from minigrad.core import as_variable
from minigrad.functions.loss._common import as_target, check_reduction, check_same_shape, reduce
from minigrad.functions.math import abs, minimum, square

__all__ = ["mse_loss", "l1_loss", "huber_loss"]


def _residual(name, y, target, reduction):
    check_reduction(name, reduction)
    y = as_variable(y)
    t = as_target(target, y, name)
    check_same_shape(name, y, t)
    return y - t


def mse_loss(input, target, *, reduction="mean"):
    """loss = (x - t)^2 elementwise, then reduced: PyTorch's ``F.mse_loss``.

    Unlike PyTorch, shapes must match exactly (PyTorch broadcasts them with a
    warning, which pairs every prediction with every target)."""
    name = "mse_loss"
    return reduce(name, square(_residual(name, input, target, reduction)), reduction)


def l1_loss(input, target, *, reduction="mean"):
    """loss = |x - t| elementwise, then reduced: PyTorch's ``F.l1_loss``."""
    name = "l1_loss"
    return reduce(name, abs(_residual(name, input, target, reduction)), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """loss = r^2 / 2 where |r| <= delta, else delta (|r| - delta / 2), r = x - t:
    PyTorch's ``F.huber_loss`` (same argument order).

    Computed as q^2 / 2 + delta (|r| - q) with q = min(|r|, delta).
    Paper: Huber, "Robust Estimation of a Location Parameter", 1964.
    """
    name = "huber_loss"
    delta = float(delta)
    if not delta > 0:
        raise ValueError(f"{name}: delta must be positive, got {delta}")
    a = abs(_residual(name, input, target, reduction))
    q = minimum(a, delta)
    return reduce(name, square(q) * 0.5 + (a - q) * delta, reduction)
