"""CSVLogger, TerminateOnNaN, GradientNormLogger."""
import csv
import math

import pytest

from minigrad import F, nn, training
from minigrad.training import CSVLogger, GradientNormLogger, ModelCheckpoint, TerminateOnNaN
from tests.training.helpers import blobs, compiled_mlp


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = blobs(n=30)
    path = str(tmp_path / "log.csv")
    model = compiled_mlp()
    history = training.fit(model, x, y, epochs=3, validation_split=0.2, verbose=0,
                           callbacks=[CSVLogger(path)])
    rows = _rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for e, row in enumerate(rows[1:]):
        assert float(row[2]) == history.history["loss"][e]
        assert float(row[5]) == history.history["val_loss"][e]


def test_csv_logger_append_and_truncate(tmp_path):
    x, y = blobs(n=20)
    path = str(tmp_path / "log.csv")
    model = compiled_mlp()
    training.fit(model, x, y, epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    training.fit(model, x, y, epochs=4, initial_epoch=2, verbose=0,
                 callbacks=[CSVLogger(path, append=True)])
    rows = _rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "lr"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    training.fit(model, x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    with open(path) as f:
        lines = f.read().splitlines()
    assert len(lines) == 2 and lines[0] == "epoch;accuracy;loss;lr"


def test_csv_logger_marks_missing_keys(tmp_path):
    path = str(tmp_path / "log.csv")
    logger = CSVLogger(path)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    logger.on_epoch_end(1, {"loss": 0.5})
    assert _rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"], ["1", "0.5", "NA"]]


class NanAt:
    """softmax_cross_entropy, NaN on the ``k``-th call (counting from 0)."""

    def __init__(self, k):
        self.k, self.calls = k, 0

    def __call__(self, y_pred, t):
        loss = F.softmax_cross_entropy(y_pred, t)
        self.calls += 1
        return loss * math.nan if self.calls - 1 == self.k else loss


def test_terminate_on_nan_names_epoch_and_batch(tmp_path, capsys):
    x, y = blobs(n=32)
    model = nn.Sequential(nn.Dense(8, activation="relu"), nn.Dense(3))
    training.compile(model, optimizer="sgd", loss=NanAt(6))  # epoch 2, batch 3 with 4 batches
    path = str(tmp_path / "ck.npz")
    stopper = TerminateOnNaN()
    history = training.fit(model, x, y, epochs=5, batch_size=8, verbose=0,
                           callbacks=[stopper, ModelCheckpoint(path)])
    out = capsys.readouterr().out
    assert "TerminateOnNaN: the loss is nan at epoch 2/5, batch 3/4; training stopped" in out
    assert (stopper.stopped_epoch, stopper.stopped_batch) == (1, 2)
    assert history.epoch == [0]  # the broken epoch is not recorded
    assert training.load_checkpoint(path, restore_rng=False)["epoch"] == 1  # nor saved


def test_without_terminate_on_nan_training_goes_on():
    x, y = blobs(n=16)
    model = nn.Sequential(nn.Dense(3))
    training.compile(model, optimizer="sgd", loss=NanAt(0))
    history = training.fit(model, x, y, epochs=2, batch_size=8, verbose=0)
    assert history.epoch == [0, 1] and math.isnan(history.history["loss"][0])


def test_gradient_norm_logger(device, capsys):
    x, y = blobs(n=24)
    model = compiled_mlp(device)
    logger = GradientNormLogger(verbose=1)
    training.fit(model, x, y, epochs=3, batch_size=8, verbose=0, callbacks=[logger])
    assert logger.epoch == [0, 1, 2]
    assert set(logger.history) == {"0", "1"}  # one entry per Dense layer
    assert all(len(v) == 3 and all(n > 0 for n in v) for v in logger.history.values())
    assert "Epoch 3 gradient norms: 0: " in capsys.readouterr().out


def test_gradient_norm_logger_sees_vanishing_gradients():
    """Sigmoid layers shrink the gradient on its way down: the first layer's norm is smallest."""
    x, y = blobs(n=32)
    model = nn.Sequential(*[nn.Dense(16, activation="sigmoid") for _ in range(5)], nn.Dense(3))
    training.compile(model, optimizer="sgd", loss="softmax_cross_entropy")
    logger = GradientNormLogger()
    training.fit(model, x, y, verbose=0, callbacks=[logger])
    norms = [logger.history[str(k)][0] for k in range(6)]
    assert norms[0] < norms[-1] / 10


@pytest.mark.parametrize("cls", [CSVLogger, GradientNormLogger, TerminateOnNaN])
def test_loggers_keep_no_resume_state(cls):
    cb = cls("x.csv") if cls is CSVLogger else cls()
    assert cb.state_dict() == {}
