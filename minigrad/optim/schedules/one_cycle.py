"""The 1-cycle policy: lr up then down, momentum the other way."""

from __future__ import annotations

import math

from minigrad.optim.schedules.base import (
    LRScheduler,
    _is_number,
    _per_group,
    _positive,
    _positive_int,
)

__all__ = ["OneCycleLR"]


class OneCycleLR(LRScheduler):
    """1-cycle: lr up from ``max_lr / div_factor`` to ``max_lr``, then down to a tiny value.

    With ``T = total_steps`` (or ``epochs * steps_per_epoch``) and ``a = pct_start * T - 1``:

    * steps ``0..a``: lr from ``max_lr / div_factor`` to ``max_lr``, momentum from
      ``max_momentum`` to ``base_momentum``;
    * steps ``a..T-1``: lr to ``max_lr / div_factor / final_div_factor``, momentum back up.

    Each piece is a half cosine (``anneal_strategy="cos"``) or a line (``"linear"``).
    ``three_phase=True`` is Smith's original shape: up over ``pct_start``, back down
    to the initial lr symmetrically, then a final drop with momentum held at
    ``max_momentum``. Momentum means ``momentum`` of SGD-like optimizers and
    ``beta1`` of Adam-like ones (``cycle_momentum=False`` leaves it alone).
    Follows PyTorch's ``OneCycleLR``, including its defaults; stepping past ``T`` is an error.

    Paper: Smith, "A disciplined approach to neural network hyper-parameters:
    Part 1", 2018; Smith, Topin, "Super-Convergence", 2017.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
    ):
        n = len(optimizer.param_groups)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = _positive_int(self, "epochs", epochs) * _positive_int(
                self, "steps_per_epoch", steps_per_epoch
            )
        self.total_steps = _positive_int(self, "total_steps", total_steps)
        if not _is_number(pct_start) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        max_lrs = [_positive(self, "max_lr", v) for v in _per_group(self, "max_lr", max_lr, n)]
        div, final_div = (
            _positive(self, "div_factor", div_factor),
            _positive(self, "final_div_factor", final_div_factor),
        )
        self.max_lrs = max_lrs
        self.initial_lrs = [m / div for m in max_lrs]
        self.min_lrs = [m / div / final_div for m in max_lrs]
        a = float(pct_start * self.total_steps) - 1
        if three_phase:
            self.phases = [
                (a, "initial", "max", "max_m", "base_m"),
                (2 * a, "max", "initial", "base_m", "max_m"),
                (self.total_steps - 1, "initial", "min", "max_m", "max_m"),
            ]
        else:
            self.phases = [
                (a, "initial", "max", "max_m", "base_m"),
                (self.total_steps - 1, "max", "min", "base_m", "max_m"),
            ]
        self.cycle_momentum = bool(cycle_momentum)
        self.base_momenta = _per_group(self, "base_momentum", base_momentum, n)
        self.max_momenta = _per_group(self, "max_momentum", max_momentum, n)
        if self.cycle_momentum:
            for i, group in enumerate(optimizer.param_groups):
                if "betas" not in group and "momentum" not in group:
                    raise ValueError(
                        f"OneCycleLR: parameter group {i} has neither momentum nor betas; "
                        f"pass cycle_momentum=False"
                    )
        self.last_momentum = None
        super().__init__(optimizer)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    def _at(self, t, values, momentum=False):
        if t > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {t} times, more than total_steps={self.total_steps}"
            )
        start_step = 0.0
        for end_step, *keys in self.phases[:-1]:
            if t <= end_step:
                break
            start_step = end_step
        else:  # the last phase also takes t = total_steps, one past its end (as PyTorch)
            end_step, *keys = self.phases[-1]
        start, end = keys[2:] if momentum else keys[:2]
        # One past the end keeps the final values: PyTorch extrapolates there, which for
        # the linear anneal is a negative rate after a loop's last scheduler.step()
        pct = min((t - start_step) / (end_step - start_step), 1.0)
        return self._anneal(values[start], values[end], pct)

    def lr_at(self, t):
        return [
            self._at(t, {"initial": i, "max": m, "min": lo})
            for i, m, lo in zip(self.initial_lrs, self.max_lrs, self.min_lrs)
        ]

    def momentum_at(self, t):
        """The momentum (or beta1) of every group after ``t`` steps."""
        return [
            self._at(t, {"base_m": b, "max_m": m}, momentum=True)
            for b, m in zip(self.base_momenta, self.max_momenta)
        ]

    def _apply(self, t):
        lrs = self.lr_at(t)
        self._set_lrs(lrs)
        if self.cycle_momentum:
            self.last_momentum = self.momentum_at(t)
            for group, m in zip(self.optimizer.param_groups, self.last_momentum):
                if "betas" in group:
                    group["betas"] = (m, *group["betas"][1:])
                else:
                    group["momentum"] = m

    def _restore(self):
        self._apply(self.t)
