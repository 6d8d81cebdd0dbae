"""ModelCheckpoint: atomic saves, save_best_only; no worse or broken checkpoint over a good one."""
import math

import numpy as np
import pytest

import minigrad
from minigrad import training
from minigrad.training import CallbackList, ModelCheckpoint
from tests.training.helpers import blobs, compiled_mlp


def _model():
    model = compiled_mlp()
    x, y = blobs(n=16)
    training.fit(model, x, y, verbose=0)  # builds the layers and the optimizer
    return model


def _drive(cb, model, values, key="val_loss", loss=None):
    """One epoch-end per value; the first kernel entry is set to the epoch number."""
    CallbackList([cb], model, {"epochs": len(values)})
    cb.on_train_begin()
    for epoch, value in enumerate(values):
        model[0].W.data[0, 0] = epoch
        logs = {"loss": 1.0 if loss is None else loss[epoch]}
        if value is not None:
            logs[key] = value
        cb.on_epoch_end(epoch, logs)


def _saved_epoch(path):
    state = training.load_checkpoint(path, restore_rng=False)
    assert state["model"]["0.W"][0, 0] == state["epoch"] - 1
    return state["epoch"]


def test_save_best_only_keeps_the_best_epoch(tmp_path):
    path = str(tmp_path / "best.npz")
    cb = ModelCheckpoint(path, save_best_only=True)
    model = _model()
    _drive(cb, model, [1.0, 0.5, 0.7, 0.5])
    assert _saved_epoch(path) == 2 and cb.best == 0.5
    _drive(cb, model, [1.0, 0.5, 0.7, 0.4])
    assert _saved_epoch(path) == 4


def test_nan_never_replaces_a_good_checkpoint(tmp_path):
    model = _model()
    best = str(tmp_path / "best.npz")
    _drive(ModelCheckpoint(best, save_best_only=True), model, [1.0, math.nan, 0.9, math.inf])
    assert _saved_epoch(best) == 3
    every = str(tmp_path / "every.npz")
    _drive(ModelCheckpoint(every), model, [1.0, 0.9, math.nan])
    assert _saved_epoch(every) == 2
    _drive(ModelCheckpoint(every), model, [1.0, 0.9, 0.8], loss=[1.0, 1.0, math.nan])
    assert _saved_epoch(every) == 2


def test_weights_with_nan_are_not_saved(tmp_path, capsys):
    model = _model()
    path = str(tmp_path / "ck.npz")
    cb = ModelCheckpoint(path, verbose=1)
    CallbackList([cb], model, {})
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0})
    model[0].b.data[0] = np.nan
    cb.on_epoch_end(1, {"loss": 1.0, "val_loss": 0.5})
    assert training.load_checkpoint(path, restore_rng=False)["epoch"] == 1
    assert "the weights hold NaN" in capsys.readouterr().out


def test_initial_value_threshold_and_restored_best(tmp_path):
    model = _model()
    path = str(tmp_path / "ck.npz")
    _drive(ModelCheckpoint(path, save_best_only=True, initial_value_threshold=0.3), model, [0.5])
    assert not (tmp_path / "ck.npz").exists()
    cb = ModelCheckpoint(path, save_best_only=True)
    _drive(cb, model, [0.2])
    cb.load_state_dict({"best": 0.1})  # as a resumed run gets it from its checkpoint
    model[0].W.data[0, 0] = 7
    cb.on_epoch_end(7, {"loss": 1.0, "val_loss": 0.15})
    assert _saved_epoch(path) == 1


def test_mode_max_and_missing_monitor(tmp_path):
    model = _model()
    path = str(tmp_path / "acc.npz")
    _drive(ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True), model,
           [0.5, 0.7, 0.6], key="val_accuracy")
    assert _saved_epoch(path) == 2
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs"):
        _drive(ModelCheckpoint(str(tmp_path / "none.npz"), save_best_only=True), model, [None])
    assert not (tmp_path / "none.npz").exists()


def test_filepath_fields_and_weights_only(tmp_path):
    x, y = blobs(n=20)
    model = compiled_mlp()
    pattern = str(tmp_path / "w-{epoch:02d}-{loss:.2f}.npz")
    training.fit(model, x, y, epochs=2, verbose=0,
                 callbacks=[ModelCheckpoint(pattern, monitor="loss", save_weights_only=True)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("w-01-") and names[1].startswith("w-02-")
    fresh = compiled_mlp()
    fresh.load(str(tmp_path / names[1]))
    np.testing.assert_array_equal(fresh[0].W.numpy(), model[0].W.numpy())


def test_full_checkpoint_holds_optimizer_and_rng(tmp_path):
    x, y = blobs(n=20)
    model = compiled_mlp()
    path = str(tmp_path / "ck.npz")
    training.fit(model, x, y, epochs=2, validation_split=0.2, verbose=0,
                 callbacks=[ModelCheckpoint(path)])
    state = training.load_checkpoint(path, restore_rng=False)
    assert state["optimizer"]["optimizer"] == "Adam"
    assert "numpy" in state["rng"]
    assert state["callbacks"]["ModelCheckpoint"]["best"] == math.inf  # not save_best_only
    assert state["callbacks"]["History"]["epoch"] == [0, 1]
    assert minigrad.backend.is_array(state["model"]["0.W"])
