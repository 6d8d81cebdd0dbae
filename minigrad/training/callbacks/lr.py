"""Learning-rate callbacks: a function of the epoch, plateau reduction, any optim schedule."""
from __future__ import annotations

import math
import numbers
import warnings

from minigrad.optim.schedules import ReduceLROnPlateau as PlateauSchedule
from minigrad.training.callbacks.base import Callback, monitor_mode, print_message

__all__ = ["LRSchedulerCallback", "LearningRateScheduler", "ReduceLROnPlateau"]


def _groups(callback):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None:
        raise RuntimeError(f"{type(callback).__name__}: the model has no optimizer; "
                           f"compile it and train it with fit()")
    return optimizer.param_groups


class LearningRateScheduler(Callback):
    """Keras' ``LearningRateScheduler(schedule, verbose=0)``: at the start of each
    epoch, every parameter group's lr becomes ``schedule(epoch, lr)``.

    ``epoch`` counts from 0 and ``lr`` is the group's current rate, so rules
    compound: ``lambda epoch, lr: lr if epoch < 10 else lr * math.exp(-0.1)``.
    It keeps no state: a resumed run gets the lr from the checkpointed optimizer.
    """

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function "
                            f"(epoch, lr) -> lr, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        for group in _groups(self):
            lr = self.schedule(epoch, group["lr"])
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real) \
                    or not 0 <= lr < math.inf:
                raise ValueError(f"LearningRateScheduler: at epoch {epoch}, schedule({epoch}, "
                                 f"{group['lr']}) returned {lr!r}; expected a finite "
                                 f"number >= 0")
            group["lr"] = float(lr)
        if self.verbose:
            print_message(f"Epoch {epoch + 1}: LearningRateScheduler set the learning rate "
                          f"to {_groups(self)[0]['lr']:.6g}")


class ReduceLROnPlateau(Callback):
    """Keras' ``ReduceLROnPlateau``: multiply the lr by ``factor`` when ``monitor``
    has not improved for ``patience`` epochs.

    ``ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10, verbose=0,
    mode="auto", min_delta=1e-4, cooldown=0, min_lr=0)``

    An epoch improves when it beats the best value by more than ``min_delta``
    (absolute). Each epoch without improvement adds one to a counter; when it
    reaches ``patience`` every group's lr becomes ``max(lr * factor, min_lr)``,
    the counter restarts and the next ``cooldown`` epochs are not counted.
    (:class:`minigrad.optim.ReduceLROnPlateau`, stepped by
    :class:`LRSchedulerCallback`, is PyTorch's variant: relative threshold,
    reduction after ``patience + 1`` bad epochs.)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"ReduceLROnPlateau: {name} must be an integer >= 0, "
                                 f"got {value!r}")
        if not min_delta >= 0 or not min_lr >= 0:
            raise ValueError(f"ReduceLROnPlateau: min_delta and min_lr must be >= 0, "
                             f"got {min_delta!r} and {min_lr!r}")
        self.monitor = monitor
        self.mode = monitor_mode("ReduceLROnPlateau", monitor, mode)
        self.factor = float(factor)
        self.patience = patience
        self.verbose = verbose
        self.min_delta = float(min_delta)
        self.cooldown = cooldown
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"ReduceLROnPlateau: the monitored quantity {self.monitor!r} is not in "
                          f"the logs; available: {sorted(logs or {})}",
                          RuntimeWarning, stacklevel=2)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        better = (value < self.best - self.min_delta if self.mode == "min"
                  else value > self.best + self.min_delta)
        if better:
            self.best, self.wait = float(value), 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        reduced = False
        for group in _groups(self):
            new = max(group["lr"] * self.factor, self.min_lr)
            if new < group["lr"]:
                group["lr"], reduced = new, True
        if reduced:
            self.cooldown_counter, self.wait = self.cooldown, 0
            if self.verbose:
                print_message(f"Epoch {epoch + 1}: ReduceLROnPlateau reduced the learning rate "
                              f"to {_groups(self)[0]['lr']:.6g}")

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def load_state_dict(self, state):
        self.best = state["best"]
        self.wait = state["wait"]
        self.cooldown_counter = state["cooldown_counter"]


class LRSchedulerCallback(Callback):
    """Step any schedule of :mod:`minigrad.optim.schedules` during ``fit``.

    ``LRSchedulerCallback(schedule, interval="epoch", monitor="val_loss", **kwargs)``

    ``schedule`` is a schedule already made on the model's optimizer
    (``StepLR(opt, 10)``), or, when the optimizer does not exist yet (it is
    made by ``fit`` for ``compile(optimizer="adam")``), a schedule class or a
    function ``optimizer -> schedule``, called with the optimizer (and
    ``kwargs``) when training begins: ``LRSchedulerCallback(StepLR, step_size=10)``.
    ``interval="epoch"`` steps it after each epoch, ``"batch"`` after each
    optimizer step (iteration schedules such as ``OneCycleLR``). A
    ``ReduceLROnPlateau`` schedule is stepped with ``logs[monitor]`` after each
    epoch. The schedule's position is saved in checkpoints.
    """

    def __init__(self, schedule, interval="epoch", monitor="val_loss", **kwargs):
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'batch', "
                             f"got {interval!r}")
        made = hasattr(schedule, "step") and hasattr(schedule, "optimizer")
        if not made and not callable(schedule):
            raise TypeError(f"LRSchedulerCallback: expected a schedule, a schedule class or a "
                            f"function optimizer -> schedule, got {schedule!r}")
        if made and kwargs:
            raise TypeError(f"LRSchedulerCallback: keyword arguments {sorted(kwargs)} are for "
                            f"building a schedule, but the schedule is already made")
        self.schedule = schedule if made else None
        self._factory = None if made else schedule
        self._kwargs = kwargs
        self.interval = interval
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        if self._factory is not None:
            self.schedule = self._factory(self.model.optimizer, **self._kwargs)
        elif self.schedule.optimizer is not getattr(self.model, "optimizer", None):
            raise ValueError("LRSchedulerCallback: the schedule was made on another optimizer than "
                             "the model's; make it on model.optimizer or pass a factory")

    def _plateau(self):
        return isinstance(self.schedule, PlateauSchedule)

    def on_train_batch_end(self, batch, logs=None):
        if self.interval == "batch" and not self._plateau():
            self.schedule.step()

    def on_epoch_end(self, epoch, logs=None):
        if self._plateau():
            value = (logs or {}).get(self.monitor)
            if value is None:
                warnings.warn(f"LRSchedulerCallback: the monitored quantity {self.monitor!r} "
                              f"is not in the logs; available: {sorted(logs or {})}",
                              RuntimeWarning, stacklevel=2)
                return
            self.schedule.step(value)
        elif self.interval == "epoch":
            self.schedule.step()

    def state_dict(self):
        return {"schedule": self.schedule.state_dict()} if self.schedule is not None else {}

    def load_state_dict(self, state):
        self.schedule.load_state_dict(state["schedule"])
