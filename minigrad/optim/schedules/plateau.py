"""Performance scheduling: cut the lr when a monitored metric stops improving."""

from __future__ import annotations

import math

from minigrad.optim.schedules.base import (
    LRScheduler,
    _is_number,
    _nonnegative,
    _nonnegative_int,
    _per_group,
)

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    """Performance scheduling: multiply the lr by ``factor`` when a metric stops improving.

    Call ``step(metric)`` after each evaluation. A value improves on the best so
    far ``b`` when it is below ``b * (1 - threshold)`` (``mode="min"``,
    ``threshold_mode="rel"``), below ``b - threshold`` (``"abs"``), or above
    ``b * (1 + threshold)`` / ``b + threshold`` for ``mode="max"``. After more
    than ``patience`` evaluations without improvement every group's lr becomes
    ``max(lr * factor, min_lr)`` (changes smaller than ``eps`` are skipped), and
    the next ``cooldown`` evaluations are not counted.

    Defaults as PyTorch: ``mode="min"``, ``factor=0.1``, ``patience=10``,
    ``threshold=1e-4``, ``threshold_mode="rel"``, ``cooldown=0``, ``min_lr=0``
    (a number or one per group), ``eps=1e-8``. Keras reduces one evaluation
    earlier (after ``patience`` bad ones) and its ``min_delta`` is an absolute threshold.
    """

    closed_form = False

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        if not _is_number(factor) or not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        self.mode, self.threshold_mode, self.factor = mode, threshold_mode, float(factor)
        self.patience = _nonnegative_int(self, "patience", patience)
        self.cooldown = _nonnegative_int(self, "cooldown", cooldown)
        self.threshold = _nonnegative(self, "threshold", threshold)
        self.eps = _nonnegative(self, "eps", eps)
        self.min_lrs = [
            _nonnegative(self, "min_lr", v)
            for v in _per_group(self, "min_lr", min_lr, len(optimizer.param_groups))
        ]
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        super().__init__(optimizer)

    def _apply(self, t):
        self.last_lr = [group["lr"] for group in self._groups()]

    def is_better(self, value, best) -> bool:
        if self.mode == "min":
            bound = (
                best * (1 - self.threshold)
                if self.threshold_mode == "rel"
                else best - self.threshold
            )
            return value < bound
        bound = (
            best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        )
        return value > bound

    def step(self, metric):
        """Record one evaluation of the monitored metric (a number or 0-d array/Variable)."""
        value = float(metric.item() if hasattr(metric, "item") else metric)
        self.t += 1
        if self.is_better(value, self.best):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        groups = self._groups()
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(groups, self.min_lrs):
                new = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self.last_lr = [group["lr"] for group in groups]
