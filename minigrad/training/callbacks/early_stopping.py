"""Early stopping: end training when a monitored quantity stops improving."""
from __future__ import annotations

import math
import warnings

from minigrad import backend
from minigrad.training.callbacks.base import Callback, monitor_mode, print_message, stop_again

__all__ = ["EarlyStopping", "copy_weights"]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (Keras' rule).

    ``EarlyStopping(monitor="val_loss", min_delta=0, patience=0, verbose=0,
    mode="auto", baseline=None, restore_best_weights=False, start_from_epoch=0)``

    An epoch improves when its value beats the best so far by more than
    ``min_delta`` (``value < best - min_delta`` for ``mode="min"``; "auto"
    maximises names containing ``acc``). Every epoch that does not improve adds
    one to a counter that an improvement resets; training stops at the end of
    the epoch where the counter reaches ``patience`` (never after the first
    epoch). With ``baseline``, improvements that do not also beat the baseline
    leave the counter running. With ``restore_best_weights`` the model ends with
    the parameters and buffers of its best epoch (as Keras 3 does, also when
    training ran out of epochs without stopping). Epochs before
    ``start_from_epoch`` are ignored (warm-up). ``best_epoch`` and
    ``stopped_epoch`` (0 if it never stopped) count from 0.

    The stop is part of the saved state: a checkpoint written after it (the
    stopping epoch's, by ``ModelCheckpoint``) resumes to no further epoch.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        self.monitor = monitor
        self.mode = monitor_mode("EarlyStopping", monitor, mode)
        self.min_delta = float(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.best_weights = None

    def _improves(self, value, reference):
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"EarlyStopping: the monitored quantity {self.monitor!r} is not in the logs; "
                f"available: {sorted(logs or {})} (val_ entries need validation data)",
                RuntimeWarning, stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = copy_weights(self.model)
        self.wait += 1
        if self._improves(value, self.best):
            self.best, self.best_epoch = float(value), epoch
            if self.restore_best_weights:
                self.best_weights = copy_weights(self.model)
            if self.baseline is None or self._improves(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print_message(f"Epoch {self.stopped_epoch + 1}: early stopping "
                          f"({self.monitor} did not improve for {self.wait} epochs)")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print_message(f"Restoring the weights of the best epoch, {self.best_epoch + 1} "
                              f"({self.monitor} = {self.best:.6g})")
            self.model.load_state_dict(self.best_weights)

    def state_dict(self):
        return {"wait": self.wait, "stopped": self.stopped_epoch > 0,
                "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.wait = state["wait"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.best_weights = state["best_weights"]
        if state.get("stopped", self.stopped_epoch > 0):
            stop_again(self)


def copy_weights(model) -> dict:
    """Copies of the model's parameters and buffers, ``{name: array}``."""
    return {key: backend.namespace(a).asarray(a, copy=True)
            for key, a in model.state_dict().items()}
