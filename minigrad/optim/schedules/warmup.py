"""Linear warm-up, alone or in front of another schedule."""

from __future__ import annotations

from minigrad.optim.schedules.base import LRScheduler, _is_number, _positive_int

__all__ = ["LinearWarmup"]


class LinearWarmup(LRScheduler):
    """Linear warm-up over ``warmup_steps``, then constant or another schedule.

    ``lr = lr0 * (start_factor + (1 - start_factor) * t / warmup_steps)`` for
    ``t < warmup_steps`` (PyTorch's ``LinearLR``; default ``start_factor=1/3``), then
    ``lr0``, or ``after.lr_at(t - warmup_steps)`` when ``after`` (a schedule on
    the same optimizer) is given. Step only the LinearWarmup::

        sched = LinearWarmup(opt, 5, after=CosineAnnealingLR(opt, T_max=95))

    Paper: Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", 2017.
    """

    _unsaved = ("optimizer", "after")

    def __init__(self, optimizer, warmup_steps, start_factor=1 / 3, after=None):
        self.warmup_steps = _positive_int(self, "warmup_steps", warmup_steps)
        if not _is_number(start_factor) or not 0 <= start_factor <= 1:
            raise ValueError(f"LinearWarmup: start_factor must be in [0, 1], got {start_factor!r}")
        self.start_factor = float(start_factor)
        if after is not None:
            if not isinstance(after, LRScheduler) or not after.closed_form:
                raise TypeError(
                    f"LinearWarmup: after must be a schedule of t such as CosineAnnealingLR, "
                    f"got {type(after).__name__}"
                )
            if after.optimizer is not optimizer:
                raise ValueError("LinearWarmup: after must schedule the same optimizer")
        self.after = after
        super().__init__(optimizer)
        if after is not None:
            self.base_lrs = list(after.base_lrs)
            self._apply(0)

    def lr_at(self, t):
        if t < self.warmup_steps:
            f = self.start_factor + (1 - self.start_factor) * t / self.warmup_steps
            return [base * f for base in self.base_lrs]
        if self.after is not None:
            return self.after.lr_at(t - self.warmup_steps)
        return list(self.base_lrs)

    def state_dict(self):
        state = super().state_dict()
        if self.after is not None:
            state["after"] = self.after.state_dict()
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        after = state_dict.pop("after", None)
        if (after is None) != (self.after is None):
            raise ValueError(
                "LinearWarmup.load_state_dict: the saved warm-up and this one differ "
                "in whether they continue with another schedule"
            )
        if after is not None:
            self.after.load_state_dict(after)
        super().load_state_dict(state_dict)
