"""The data fit accepts: arrays, Variables, Datasets, DataLoaders; validation splits; bad input."""

import numpy as np
import pytest

import minigrad
from minigrad import nn, training
from minigrad.data import ArrayDataset, DataLoader
from tests.training.helpers import (
    Recorder,
    blobs,
    compiled_mlp,
)


def test_validation_split_holds_out_the_last_fraction():
    x, y = blobs(n=40)
    model = compiled_mlp()
    rec = Recorder()
    history = training.fit(model, x, y, epochs=1, batch_size=8, validation_split=0.25,
                           shuffle=True, callbacks=[rec], verbose=0)
    assert sum(rec.sizes) == 30  # the first 75%
    last = training.evaluate(model, x[30:], y[30:], batch_size=8)
    assert history.history["val_loss"][0] == pytest.approx(last["loss"], rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(last["accuracy"], rel=1e-6)


def test_validation_data_pair_dataset_and_loader():
    x, y = blobs(n=40)
    for val in [(x[:10], y[:10]), ArrayDataset(x[:10], y[:10]),
                DataLoader(ArrayDataset(x[:10], y[:10]), batch_size=4)]:
        model = compiled_mlp()
        history = training.fit(model, x, y, validation_data=val, verbose=0)
        assert "val_loss" in history.history


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5, True, "0.2"])
def test_validation_split_outside_the_unit_interval(split):
    x, y = blobs(n=20)
    with pytest.raises(ValueError, match="validation_split must be a fraction in"):
        training.fit(compiled_mlp(), x, y, validation_split=split, verbose=0)


def test_bad_validation_arguments():
    x, y = blobs(n=20)
    with pytest.raises(ValueError, match="not both"):
        training.fit(compiled_mlp(), x, y, validation_split=0.2, validation_data=(x, y), verbose=0)
    with pytest.raises(ValueError, match="validation_data must be a pair"):
        training.fit(compiled_mlp(), x, y, validation_data=(x, y, y), verbose=0)


def test_x_y_length_mismatch():
    x, y = blobs(n=20)
    with pytest.raises(ValueError, match="x has 20 samples but its targets have 19"):
        training.fit(compiled_mlp(), x, y[:19], verbose=0)
    with pytest.raises(ValueError, match="has 20 samples but its targets have 18"):
        training.fit(compiled_mlp(), x, y, validation_data=(x, y[:18]), verbose=0)
    with pytest.raises(ValueError, match="y .* is required"):
        training.fit(compiled_mlp(), x, verbose=0)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size(batch_size):
    x, y = blobs(n=20)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        training.fit(compiled_mlp(), x, y, batch_size=batch_size, verbose=0)


def test_dataloader_and_dataset_inputs():
    x, y = blobs(n=30)
    model = compiled_mlp()
    loader = DataLoader(ArrayDataset(x, y), batch_size=10, shuffle=True)
    rec = Recorder()
    training.fit(model, loader, callbacks=[rec], verbose=0)
    assert rec.sizes == [10, 10, 10]
    training.fit(model, ArrayDataset(x, y), batch_size=15, callbacks=[rec], verbose=0)
    assert rec.sizes[3:] == [15, 15]
    with pytest.raises(ValueError, match="DataLoader"):
        training.fit(model, loader, batch_size=5, verbose=0)
    assert training.evaluate(model, loader)["loss"] > 0


def test_variables_on_the_device_are_accepted(device):
    x, y = blobs(n=20)
    model = compiled_mlp(device)
    history = training.fit(model, minigrad.Variable(x, device=device),
                           minigrad.to_device(y, device), verbose=0)
    assert len(history.epoch) == 1


class _Spy(minigrad.nn.Module):
    """Records the dtype of what the model receives and passes it to the MLP."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.seen = inner, []

    def forward(self, x):
        self.seen.append(str(x.dtype))
        return self.inner(x)


@pytest.mark.parametrize("in_dtype", ["int64", "bool"])
def test_integer_and_bool_features_take_the_model_float_dtype(in_dtype, device):
    x, y = blobs(n=12)
    features = (x > 0) if in_dtype == "bool" else np.round(x * 10).astype(np.int64)
    model = _Spy(nn.Sequential(nn.Dense(8, activation="relu"), nn.Dense(3))).to(device)
    training.compile(model, optimizer="sgd", loss="softmax_cross_entropy")
    training.fit(model, features, y, batch_size=6, verbose=0)     # integer labels stay labels
    scores = training.evaluate(model, features, y)
    out = training.predict(model, features)
    assert {s.split(".")[-1] for s in model.seen} == {"float32"}
    assert out.dtype == np.float32 and np.isfinite(scores["loss"])
    np.testing.assert_array_equal(out, training.predict(model, features.astype(np.float32)))
