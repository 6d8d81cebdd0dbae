"""Schedules given as functions: PyTorch's LambdaLR and Keras' LearningRateScheduler."""

from __future__ import annotations

import math
import numbers

from minigrad.optim.schedules.base import LRScheduler, _is_number

__all__ = ["LambdaLR", "LearningRateScheduler"]


class LambdaLR(LRScheduler):
    """``lr = lr0 * lr_lambda(t)`` (PyTorch); ``lr_lambda`` may be a list, one per group.

    The functions are not saved by ``state_dict()``; the new schedule must get them again.
    """

    _unsaved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda):
        n = len(optimizer.param_groups)
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(fns) != n or not all(callable(f) for f in fns):
            raise ValueError(
                f"LambdaLR: expected a function or {n} functions (one per group), got {lr_lambda!r}"
            )
        self.lr_lambdas = fns
        super().__init__(optimizer)

    def lr_at(self, t):
        lrs = []
        for i, (base, f) in enumerate(zip(self.base_lrs, self.lr_lambdas)):
            factor = f(t)
            if not _is_number(factor) or not 0 <= factor < math.inf:
                raise ValueError(f"LambdaLR: lr_lambda({t}) returned {factor!r} for parameter "
                                 f"group {i}; expected a finite number >= 0")
            lrs.append(base * factor)
        return lrs


class LearningRateScheduler(LRScheduler):
    """Keras' ``LearningRateScheduler``: ``lr <- schedule(t, lr)`` for each group.

    Called with ``t = 0`` at construction and with ``t`` after the t-th
    ``step()``; like Keras, which calls it at the start of epoch ``t``. The
    function sees the current lr, so rules such as ``lambda t, lr: lr if t < 10
    else lr * math.exp(-0.1)`` compound. The function is not saved by ``state_dict()``.
    """

    _unsaved = ("optimizer", "schedule")
    closed_form = False

    def __init__(self, optimizer, schedule):
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be a function (t, lr) -> lr, got {schedule}"
            )
        self.schedule = schedule
        super().__init__(optimizer)

    def lr_at(self, t):
        lrs = []
        for group in self._groups():
            lr = self.schedule(t, group["lr"])
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
                raise TypeError(
                    f"LearningRateScheduler: schedule({t}, lr) returned {lr!r}, expected a number"
                )
            lrs.append(lr)  # a NaN, infinite or negative rate is refused by _set_lrs
        return lrs
