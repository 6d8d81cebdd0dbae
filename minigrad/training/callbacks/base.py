"""Callback: code that ``fit`` runs at fixed points of training (Keras' hook names)."""
from __future__ import annotations

import math
import sys

__all__ = [
    "Callback",
    "CallbackList",
    "callback_states",
    "is_finite_number",
    "load_callback_states",
    "monitor_mode",
    "print_message",
    "stop_again",
]


class Callback:
    """Base class: override the hooks you need; each gets a ``logs`` dict.

    ``fit`` calls, in this order: ``on_train_begin(logs)``; for each epoch
    ``on_epoch_begin(epoch, logs)``, ``on_train_batch_begin(batch, logs)`` and
    ``on_train_batch_end(batch, logs)`` around each optimizer step, then
    ``on_epoch_end(epoch, logs)``; finally ``on_train_end(logs)``. Epochs and
    batches count from 0. Batch-end logs hold that batch's ``loss`` and metrics
    and its ``size``; epoch-end logs hold the epoch means (``loss``, metrics),
    the validation results (``val_loss``, ``val_<metric>``) and ``lr``.

    ``self.model`` is the model being trained (its ``optimizer`` too);
    ``self.params`` holds ``epochs``, ``steps`` (batches per epoch),
    ``verbose``, ``metrics`` (the logged names) and ``callbacks`` (the running
    :class:`CallbackList`). Set
    ``self.model.stop_training = True`` to stop after the current batch.

    ``order`` places a callback among the others (lower runs first; default 0;
    History runs at 90 and ModelCheckpoint at 100, so a checkpoint sees every
    other callback's update of the epoch). Callbacks whose state matters for
    resuming (a schedule's position, early stopping's patience counter) return
    it from ``state_dict()``; checkpoints save it and ``fit(resume_from=...)``
    gives it back through ``load_state_dict()``. A callback that stopped
    training keeps that in its state and, when the state is loaded, sets
    ``self.model.stop_training`` again (:func:`stop_again`), so a run resumed
    from a checkpoint saved after the stop trains no further.

    ``rank_zero_only = True`` marks a callback that only reports (prints,
    writes files): in data-parallel training its hooks run on rank 0 alone.
    """

    order = 0
    rank_zero_only = False
    model = None
    params = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def state_dict(self) -> dict:
        """What this callback needs to continue a run exactly (default: nothing)."""
        return {}

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned."""


class CallbackList:
    """Several callbacks called as one, in ``order`` (ties keep the given order).

    ``rank``: this process's rank in data-parallel training; on ranks other
    than 0 the hooks of ``rank_zero_only`` callbacks are not called (their
    states are still saved and loaded).
    """

    def __init__(self, callbacks=(), model=None, params=None, rank=0):
        callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected Callback instances, got {type(cb).__name__} "
                                f"(a class? call it: EarlyStopping())")
        self.callbacks = sorted(callbacks, key=lambda cb: cb.order)
        self._active = [cb for cb in self.callbacks if rank == 0 or not cb.rank_zero_only]
        self.params = dict(params or {}, callbacks=self)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(self.params)

    def __iter__(self):
        return iter(self.callbacks)

    def _call(self, hook, *args):
        for cb in self._active:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def state_dict(self) -> dict:
        return callback_states(self.callbacks)

    def load_state_dict(self, states) -> list:
        return load_callback_states(self.callbacks, states)


def _keyed(callbacks):
    """``(key, callback)`` with keys ``"EarlyStopping"``, ``"EarlyStopping_1"``, ..."""
    counts = {}
    for cb in callbacks:
        name = type(cb).__name__
        k = counts.get(name, 0)
        counts[name] = k + 1
        yield (name if k == 0 else f"{name}_{k}"), cb


def callback_states(callbacks) -> dict:
    """``{key: state}`` of every callback with a non-empty ``state_dict()``; the key
    is the class name, with ``_1``, ``_2``, ... for later callbacks of one class."""
    states = {}
    for key, cb in _keyed(callbacks):
        state = cb.state_dict()
        if state:
            states[key] = state
    return states


def load_callback_states(callbacks, states) -> list:
    """Give each callback its state from :func:`callback_states` (matched by class
    and position among callbacks of its class); returns the keys left unused."""
    used = set()
    for key, cb in _keyed(callbacks):
        if key in states:
            cb.load_state_dict(states[key])
            used.add(key)
    return [key for key in states if key not in used]


def stop_again(callback):
    """Stop the model's training once more: what a callback's ``load_state_dict``
    calls when the saved state says it had stopped training."""
    if callback.model is not None:
        callback.model.stop_training = True


def print_message(text):
    """Print a line without breaking an open tqdm progress bar."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(text, flush=True)
        return
    tqdm.write(text, file=sys.stdout)


def monitor_mode(owner, monitor, mode):
    """``"min"`` or ``"max"`` for ``mode`` ``"auto"`` (Keras' rule: names with
    ``acc`` or ending in ``auc`` are maximised), else ``mode`` checked."""
    if mode == "auto":
        name = monitor.lower()
        return "max" if ("acc" in name or name.endswith("auc")) else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def is_finite_number(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
