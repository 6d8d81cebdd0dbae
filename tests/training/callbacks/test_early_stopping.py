"""EarlyStopping: Keras' patience, min_delta, mode, baseline and best-weight rules."""
import numpy as np
import pytest

from minigrad import training
from minigrad.training import Callback, EarlyStopping
from tests.training.fakes import FakeModel, drive
from tests.training.helpers import blobs, compiled_mlp, weights


def test_stops_after_patience_epochs_without_improvement():
    es = EarlyStopping(patience=2)
    epochs, _ = drive(es, [1.0, 0.9, 0.95, 0.96, 0.5])
    assert epochs == [0, 1, 2, 3]
    assert es.stopped_epoch == 3 and es.best_epoch == 1 and es.best == 0.9


def test_min_delta_is_the_smallest_improvement_that_counts():
    assert drive(EarlyStopping(patience=1, min_delta=0.2), [1.0, 0.9, 0.85, 0.7])[0] == [0, 1]
    values = [1.0, 0.9, 0.85, 0.7]
    assert drive(EarlyStopping(patience=1, min_delta=0.04), values)[0] == [0, 1, 2, 3]


def test_patience_zero_stops_at_the_first_bad_epoch_but_never_after_the_first():
    assert drive(EarlyStopping(patience=0), [1.0, 0.5, 0.6, 0.1])[0] == [0, 1, 2]


def test_mode_auto_maximises_accuracy():
    es = EarlyStopping(monitor="val_accuracy", patience=1)
    assert es.mode == "max"
    assert drive(es, [0.5, 0.6, 0.55], key="val_accuracy")[0] == [0, 1, 2]
    assert drive(EarlyStopping(monitor="val_accuracy", mode="min", patience=1),
                 [0.5, 0.6, 0.55], key="val_accuracy")[0] == [0, 1]
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="lowest")


def test_baseline_must_be_beaten_to_reset_the_counter():
    values = [0.8, 0.7, 0.75, 0.6]
    assert drive(EarlyStopping(patience=3, baseline=0.5), values)[0] == [0, 1, 2]
    assert drive(EarlyStopping(patience=3), values)[0] == [0, 1, 2, 3]


def test_restore_best_weights():
    model = FakeModel()
    es = EarlyStopping(patience=2, restore_best_weights=True)
    drive(es, [3.0, 1.0, 2.0, 2.0], model=model, weights=[10, 11, 12, 13])
    assert model.w[0] == 11
    model = FakeModel()
    drive(EarlyStopping(patience=5), [3.0, 1.0, 2.0], model=model, weights=[10, 11, 12])
    assert model.w[0] == 12  # not restored without the flag


def test_restores_the_best_epoch_also_when_training_runs_out_of_epochs():
    model = FakeModel()
    drive(EarlyStopping(patience=10, restore_best_weights=True), [3.0, 1.0, 2.0],
          model=model, weights=[10, 11, 12])
    assert model.w[0] == 11


def test_start_from_epoch_ignores_warm_up():
    es = EarlyStopping(patience=0, start_from_epoch=2)
    assert drive(es, [1.0, 2.0, 3.0, 4.0, 5.0])[0] == [0, 1, 2, 3]


def test_missing_monitor_warns_and_never_stops():
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs"):
        epochs, _ = drive(EarlyStopping(patience=0), [None, None, None])
    assert epochs == [0, 1, 2]


@pytest.mark.parametrize("kwargs", [{"patience": -1}, {"patience": 1.5}, {"min_delta": -0.1}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="EarlyStopping"):
        EarlyStopping(**kwargs)


def test_in_fit_with_restore_best_weights(device, capsys):
    class Snapshots(Callback):
        def __init__(self):
            self.w = []

        def on_epoch_end(self, epoch, logs=None):
            self.w.append(weights(self.model))

    x, y = blobs(n=40)
    model = compiled_mlp(device)
    snaps = Snapshots()
    es = EarlyStopping(monitor="loss", min_delta=100.0, patience=1, verbose=1,
                       restore_best_weights=True)
    history = training.fit(model, x, y, epochs=20, callbacks=[es, snaps], verbose=0)
    assert history.epoch == [0, 1] and model.stop_training
    for key, value in weights(model).items():
        np.testing.assert_array_equal(value, snaps.w[0][key])
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out and "best epoch, 1" in out
