"""History: what ``fit`` returns, the per-epoch logs as lists (Keras' ``History``)."""
from __future__ import annotations

import copy

from minigrad.training.callbacks.base import Callback

__all__ = ["History"]


class History(Callback):
    """Records every epoch's logs: ``history.history["loss"][e]`` is epoch ``e``'s
    mean training loss; the keys are ``loss``, each metric, ``val_loss`` and
    ``val_<metric>`` when there is validation data, and ``lr`` (the learning
    rate in effect at the end of the epoch). ``history.epoch`` lists the epoch
    numbers (from 0; a resumed run continues the numbering and, through the
    checkpoint, the lists of the run it resumes).
    """

    order = 90  # after the callbacks that may add to the logs, before checkpoints

    def __init__(self):
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def state_dict(self):
        return {"epoch": list(self.epoch), "history": copy.deepcopy(self.history)}

    def load_state_dict(self, state):
        self.epoch = list(state["epoch"])
        self.history = {key: list(values) for key, values in state["history"].items()}

    def __repr__(self):
        keys = ", ".join(self.history)
        return f"History({len(self.epoch)} epochs: {keys})"
