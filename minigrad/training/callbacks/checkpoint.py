"""ModelCheckpoint: save the model (and everything to resume) at the end of epochs."""
from __future__ import annotations

import math
import os
import warnings

from minigrad import backend
from minigrad.training.callbacks.base import (
    Callback,
    is_finite_number,
    monitor_mode,
    print_message,
)
from minigrad.backend import rng_states
from minigrad.training.checkpoint import save_checkpoint
from minigrad.training.replicas import replicas_of

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save a checkpoint after each epoch, or only when ``monitor`` improves.

    ``ModelCheckpoint(filepath, monitor="val_loss", verbose=0, save_best_only=False,
    save_weights_only=False, mode="auto", initial_value_threshold=None)``

    ``filepath`` may hold fields filled from the epoch (from 1) and the logs:
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``. A full checkpoint (see
    :func:`~minigrad.training.save_checkpoint`) holds the model, the optimizer,
    the callbacks' states (schedules, early stopping, this one's best value),
    the number of epochs done and the random state: ``fit(...,
    resume_from=filepath)`` continues from it. ``save_weights_only`` writes
    ``model.save(filepath)``'s ``.npz`` of parameters and buffers instead.

    A checkpoint is never replaced by a worse or broken one: files are
    written atomically; with ``save_best_only`` only an epoch whose
    ``monitor`` beats every earlier one (and ``initial_value_threshold``) is
    saved; and no epoch is saved whose loss or monitored value is NaN or
    infinite, or whose weights are not all finite.

    In data-parallel training every rank takes the same decisions (the logs
    are the ranks' means) and rank 0 alone writes, with the random state of
    every rank, so that ``resume_from`` restores each rank's own; the other
    ranks wait until the file is written.
    """

    order = 100  # last: the saved state includes every other callback's update

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", initial_value_threshold=None):
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = monitor_mode("ModelCheckpoint", monitor, mode)
        self.initial_value_threshold = initial_value_threshold
        self._reset()

    def _reset(self):
        if self.initial_value_threshold is not None:
            self.best = float(self.initial_value_threshold)
        else:
            self.best = math.inf if self.mode == "min" else -math.inf

    def on_train_begin(self, logs=None):
        self._reset()

    def _say(self, text):
        if self.verbose and replicas_of(self.model).rank == 0:
            print_message(f"ModelCheckpoint: {text}")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath
        if "{" in path:
            path = path.format(epoch=epoch + 1, **logs)
        value = logs.get(self.monitor)
        loss = logs.get("loss")
        if loss is not None and not is_finite_number(loss):
            self._say(f"epoch {epoch + 1}: loss is {loss}; not saving {path}")
            return
        if self.save_best_only:
            if value is None:
                warnings.warn(f"ModelCheckpoint: the monitored quantity {self.monitor!r} is not in "
                              f"the logs (available: {sorted(logs)}); nothing saved",
                              RuntimeWarning, stacklevel=2)
                return
            better = value < self.best if self.mode == "min" else value > self.best
            if not is_finite_number(value) or not better:
                self._say(f"epoch {epoch + 1}: {self.monitor} = {value} did not improve on "
                          f"{self.best:.6g}; {path} kept")
                return
        elif value is not None and not is_finite_number(value):
            self._say(f"epoch {epoch + 1}: {self.monitor} is {value}; not saving {path}")
            return
        if not _weights_finite(self.model):
            self._say(f"epoch {epoch + 1}: the weights hold NaN or infinity; not saving {path}")
            return
        if self.save_best_only:
            self.best = float(value)
        self._save(path, epoch)
        self._say(f"epoch {epoch + 1}: saved {path}"
                  + (f" ({self.monitor} = {value:.6g})" if value is not None else ""))

    def _save(self, path, epoch):
        replicas = replicas_of(self.model)
        rng = None if self.save_weights_only else replicas.gather(rng_states())
        if replicas.rank == 0:
            if self.save_weights_only:
                self.model.save(path)
            else:
                save_checkpoint(path, self.model, getattr(self.model, "optimizer", None),
                                epoch=epoch + 1, callbacks=(self.params or {}).get("callbacks"),
                                rng=rng if replicas.size > 1 else None)
        replicas.barrier()

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state["best"]


def _weights_finite(model) -> bool:
    for array in model.state_dict().values():
        xp = backend.namespace(array)
        if backend.is_floating(array.dtype, xp) and not bool(xp.all(xp.isfinite(array))):
            return False
    return True
