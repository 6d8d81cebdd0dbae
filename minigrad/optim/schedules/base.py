"""The schedule base class: base lrs, the step counter, writing lrs, state_dict."""

from __future__ import annotations

import copy
import math
import numbers

__all__ = ["LRScheduler"]


class LRScheduler:
    """Base class. A subclass gives ``_lr(base_lr, t)`` (or ``lr_at(t)`` for all groups).

    ``initial_learning_rate`` (Keras' schedules' argument; None: keep the optimizer's)
    first sets every group's lr, as Keras' schedules hold the starting rate.
    """

    _unsaved = ("optimizer",)
    closed_form = True  # lr_at(t) depends on t alone (LinearWarmup can continue with it)

    def __init__(self, optimizer, initial_learning_rate=None):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}"
            )
        if initial_learning_rate is not None:
            optimizer.lr = _positive(self, "initial_learning_rate", initial_learning_rate)
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.t = 0
        self.last_lr = list(self.base_lrs)
        self._apply(0)

    def lr_at(self, t) -> list:
        """The lr of every parameter group after ``t`` steps."""
        return [self._lr(base, t) for base in self.base_lrs]

    def _lr(self, base, t) -> float:
        raise NotImplementedError

    def step(self):
        """Advance one step (an epoch or an iteration, as the caller chooses)."""
        self.t += 1
        self._apply(self.t)

    def _apply(self, t):
        self._set_lrs(self.lr_at(t))

    def _set_lrs(self, lrs):
        groups = self._groups()
        lrs = [self._checked(i, lr) for i, lr in enumerate(lrs)]
        for group, lr in zip(groups, lrs):
            group["lr"] = lr
        self.last_lr = lrs

    def _checked(self, group, lr) -> float:
        """``lr`` as a float, if it is a finite number >= 0: a NaN, infinite or
        negative rate would silently ruin every parameter at the next step."""
        if not _is_number(lr) or not 0 <= lr < math.inf:
            raise ValueError(
                f"{type(self).__name__}: the learning rate at step t={self.t} is {lr!r} "
                f"(parameter group {group}); a schedule must give a finite number >= 0"
            )
        return float(lr)

    def _groups(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}: the optimizer has {len(groups)} parameter groups, "
                f"this schedule was set up for {len(self.base_lrs)}"
            )
        return groups

    def get_last_lr(self) -> list:
        """The lrs this schedule set last, one per parameter group."""
        return list(self.last_lr)

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in self._unsaved}
        return {"scheduler": type(self).__name__, **copy.deepcopy(state)}

    def load_state_dict(self, state_dict):
        name = type(self).__name__
        saved = state_dict.get("scheduler")
        if saved != name:
            raise ValueError(f"{name}.load_state_dict: the state belongs to a {saved} schedule")
        groups = len(self.optimizer.param_groups)
        if len(state_dict["base_lrs"]) != groups:
            raise ValueError(
                f"{name}.load_state_dict: the state is for an optimizer with "
                f"{len(state_dict['base_lrs'])} parameter groups, this one has {groups}"
            )
        self.__dict__.update(
            copy.deepcopy({k: v for k, v in state_dict.items() if k != "scheduler"})
        )
        self._restore()

    def _restore(self):
        self._set_lrs(self.last_lr)

    def __repr__(self):
        return f"{type(self).__name__}(t={self.t}, lr={self.last_lr})"


# -- argument checks shared by the schedules ----------------------------------
def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)


def _positive(sched, name, value) -> float:
    if not _is_number(value) or not value > 0:
        raise ValueError(f"{type(sched).__name__}: {name} must be a number > 0, got {value!r}")
    return float(value)


def _nonnegative(sched, name, value) -> float:
    if not _is_number(value) or not value >= 0:
        raise ValueError(f"{type(sched).__name__}: {name} must be a number >= 0, got {value!r}")
    return float(value)


def _positive_int(sched, name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{type(sched).__name__}: {name} must be an integer > 0, got {value!r}")
    return int(value)


def _nonnegative_int(sched, name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{type(sched).__name__}: {name} must be an integer >= 0, got {value!r}")
    return int(value)


def _per_group(sched, name, value, n) -> list:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise ValueError(
            f"{type(sched).__name__}: {name} has {len(values)} entries for {n} parameter groups"
        )
    return [float(v) for v in values]
