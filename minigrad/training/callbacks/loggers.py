"""Callbacks that watch training: CSV log, NaN guard, per-layer gradient norms."""
from __future__ import annotations

import csv
import os

from minigrad.nn.utils import grad_norms
from minigrad.training.callbacks.base import (
    Callback,
    is_finite_number,
    print_message,
    stop_again,
)

__all__ = ["CSVLogger", "GradientNormLogger", "TerminateOnNaN"]


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` from 0, then the logs' keys in sorted
    order) to the CSV file ``filename`` (Keras' ``CSVLogger``).

    ``CSVLogger(filename, separator=",", append=False)``: the file is emptied
    when training begins unless ``append`` (use it when resuming: the rows of
    the earlier run stay, and the header is not repeated). The columns are
    fixed by the first epoch; a key missing later is written ``NA``. Each row
    is flushed as it is written, so the file can be read during training.
    In data-parallel training only rank 0 writes (the logs are the ranks' means).
    """

    rank_zero_only = True

    def __init__(self, filename, separator=",", append=False):
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self.keys = None

    def on_train_begin(self, logs=None):
        self.keys = None
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), [])
            self.keys = header[1:] if header[:1] == ["epoch"] else None
        else:
            open(self.filename, "w").close()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        rows = []
        if self.keys is None:
            self.keys = sorted(logs)
            rows.append(["epoch", *self.keys])
        rows.append([epoch, *(logs.get(key, "NA") for key in self.keys)])
        with open(self.filename, "a", newline="") as f:
            csv.writer(f, delimiter=self.separator).writerows(rows)


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite.

    Prints which epoch and batch (both counted from 1) and keeps them, counted
    from 0, in ``stopped_epoch`` and ``stopped_batch``. The interrupted epoch
    does not reach ``on_epoch_end``: no history row and no checkpoint for it,
    so resuming from ``ModelCheckpoint``'s last file runs that epoch again
    (lower the learning rate first). The stop is part of this callback's
    state: a checkpoint saved after it (``save_checkpoint(...,
    callbacks=...)`` at the end of training) resumes to no further step.
    """

    def __init__(self):
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.stopped_epoch = None
        self.stopped_batch = None
        self.message = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or is_finite_number(loss):
            return
        params = self.params or {}
        epochs = f"/{params['epochs']}" if params.get("epochs") else ""
        steps = f"/{params['steps']}" if params.get("steps") else ""
        self.stopped_epoch, self.stopped_batch = self.epoch, batch
        self.message = (f"TerminateOnNaN: the loss is {loss} at epoch {self.epoch + 1}{epochs}, "
                        f"batch {batch + 1}{steps}; training stopped")
        print_message(self.message)
        self.model.stop_training = True

    def state_dict(self):
        if self.stopped_epoch is None:
            return {}
        return {"stopped": True, "stopped_epoch": self.stopped_epoch,
                "stopped_batch": self.stopped_batch, "message": self.message}

    def load_state_dict(self, state):
        if state.get("stopped"):
            self.stopped_epoch, self.stopped_batch = state["stopped_epoch"], state["stopped_batch"]
            self.message = state["message"]
            stop_again(self)


class GradientNormLogger(Callback):
    """Per-layer gradient norms, averaged over each epoch's batches.

    After every optimizer step it takes :func:`minigrad.nn.utils.grad_norms`
    (the L2 norm of each layer's parameter gradients). ``history[layer]`` lists
    the epoch means and ``epoch`` the epochs. Norms that fall by orders of
    magnitude from the last layer to the first show vanishing gradients;
    growing ones, exploding gradients. ``verbose=1`` prints them each epoch.
    """

    def __init__(self, verbose=0):
        self.verbose = verbose
        self.history = {}
        self.epoch = []
        self._sums = {}
        self._count = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._sums, self._count = {}, 0

    def on_train_batch_end(self, batch, logs=None):
        for layer, norm in grad_norms(self.model).items():
            self._sums[layer] = self._sums.get(layer, 0.0) + norm
        self._count += 1

    def on_epoch_end(self, epoch, logs=None):
        if not self._count:
            return
        self.epoch.append(epoch)
        means = {layer: total / self._count for layer, total in self._sums.items()}
        for layer, value in means.items():
            self.history.setdefault(layer, []).append(value)
        if self.verbose:
            cells = ", ".join(f"{layer}: {value:.3g}" for layer, value in means.items())
            print_message(f"Epoch {epoch + 1} gradient norms: {cells}")
