"""K-fold cross-validation of a model-building function."""
import functools
import math

import numpy as np
import pytest

from minigrad import data, nn, optim
from minigrad.training.tools import cross_validate
from tests.training.helpers import blobs, compiled_mlp


def test_every_sample_is_validated_once_and_scores_are_averaged(device):
    x, y = blobs(n=90)
    build = functools.partial(compiled_mlp, device, optimizer=functools.partial(optim.Adam,
                                                                                lr=0.02))
    result = cross_validate(build, x, y, k=3, seed=0, epochs=3, batch_size=16)
    assert [f["fold"] for f in result.folds] == [1, 2, 3]
    assert [f["n_val"] for f in result.folds] == [30, 30, 30]
    assert all(f["n_train"] == 60 for f in result.folds)
    accs = [f["accuracy"] for f in result.folds]
    assert result.mean["accuracy"] == pytest.approx(sum(accs) / 3)
    assert result.std["accuracy"] == pytest.approx(float(np.std(accs)))
    assert result.mean["accuracy"] > 0.8
    assert len(result.histories) == 3
    assert "val_loss" in result.histories[0].history
    rows = result.table().splitlines()
    assert rows[0].split() == ["fold", "n_train", "n_val", "loss", "accuracy"]
    assert rows[-2].startswith("mean") and rows[-1].startswith("std")


def test_stratified_folds_with_one_hot_targets():
    x, y = blobs(n=60)
    y = np.where(np.arange(60) < 45, 0, y % 2 + 1)    # imbalanced: 45 of class 0

    def build():
        model = nn.Sequential(nn.Dense(8, activation="relu"), nn.Dense(3, activation="softmax"))
        return model.compile(optimizer="adam", loss="categorical_crossentropy",
                             metrics=["accuracy"])

    result = cross_validate(build, x, data.one_hot(y, 3), k=5, stratified=True, seed=0,
                            epochs=1)
    assert [f["n_val"] for f in result.folds] == [12] * 5
    assert all(math.isfinite(f["loss"]) for f in result.folds)


def test_verbose_prints_each_fold(capsys):
    x, y = blobs(n=30)
    cross_validate(compiled_mlp, x, y, k=2, epochs=1, verbose=2)
    out = capsys.readouterr().out
    assert "fold 1/2: loss=" in out and "fold 2/2: loss=" in out


def test_bad_input():
    x, y = blobs(n=30)
    with pytest.raises(ValueError, match="k must be"):
        cross_validate(compiled_mlp, x, y, k=1)
    with pytest.raises(ValueError, match="validation_data is not allowed"):
        cross_validate(compiled_mlp, x, y, validation_data=(x, y))
    with pytest.raises(ValueError, match="x has 30, y has 29"):
        cross_validate(compiled_mlp, x, y[:29])
    with pytest.raises(ValueError, match="compiled model"):
        cross_validate(lambda: nn.Sequential(nn.Dense(3)), x, y, k=2)
