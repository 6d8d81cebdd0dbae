"""Callback and CallbackList: hook dispatch, order, states for checkpoints."""
import pytest

from minigrad.training import (
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    ModelCheckpoint,
    ProgressBar,
)
from minigrad.training.callbacks.base import callback_states, load_callback_states


class Counter(Callback):
    def __init__(self, log, name):
        self.log, self.name = log, name

    def on_epoch_end(self, epoch, logs=None):
        self.log.append(self.name)


def test_order_puts_progress_first_history_and_checkpoints_last():
    log = []
    cbs = [ModelCheckpoint("x.npz"), Counter(log, "a"), History(), ProgressBar(), Counter(log, "b")]
    ordered = [type(cb).__name__ for cb in CallbackList(cbs)]
    assert ordered == ["ProgressBar", "Counter", "Counter", "History", "ModelCheckpoint"]


def test_dispatch_model_and_params():
    log = []
    model = object()
    cbl = CallbackList([Counter(log, "a"), Counter(log, "b")], model, {"epochs": 3})
    cbl.on_epoch_end(0, {})
    assert log == ["a", "b"]
    for cb in cbl:
        assert cb.model is model and cb.params["epochs"] == 3 and cb.params["callbacks"] is cbl


def test_only_instances_are_accepted():
    with pytest.raises(TypeError, match="call it"):
        CallbackList([EarlyStopping])


def test_states_are_keyed_by_class_and_position():
    a, b = EarlyStopping(), EarlyStopping()
    a.wait, b.wait = 1, 2
    states = callback_states([a, b, Callback()])
    assert set(states) == {"EarlyStopping", "EarlyStopping_1"}
    c, d = EarlyStopping(), EarlyStopping()
    assert load_callback_states([c], {**states, "Other": {}}) == ["EarlyStopping_1", "Other"]
    assert c.wait == 1
    assert load_callback_states([c, d], states) == [] and d.wait == 2
