"""History: the per-epoch logs as lists."""
from minigrad import training
from minigrad.training import History
from tests.training.helpers import blobs, compiled_mlp


def test_keys_without_validation_or_metrics():
    x, y = blobs(n=20)
    history = training.fit(compiled_mlp(metrics=()), x, y, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "lr"} and history.epoch == [0, 1]


def test_records_and_round_trips_its_state():
    h = History()
    h.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    h.on_epoch_end(1, {"loss": 0.5, "accuracy": 0.75})
    assert h.history == {"loss": [1.0, 0.5], "accuracy": [0.5, 0.75]} and h.epoch == [0, 1]
    state = h.state_dict()
    h.on_epoch_end(2, {"loss": 0.1})
    assert state["history"]["loss"] == [1.0, 0.5]  # a copy
    g = History()
    g.load_state_dict(state)
    assert g.history == {"loss": [1.0, 0.5], "accuracy": [0.5, 0.75]} and g.epoch == [0, 1]
    assert repr(g) == "History(2 epochs: loss, accuracy)"
