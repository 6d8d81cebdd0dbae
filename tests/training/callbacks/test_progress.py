"""ProgressBar: tqdm bar on a terminal, one line per epoch otherwise, silence at verbose=0."""
import sys

import pytest

from minigrad import training
from minigrad.training import ProgressBar, TerminateOnNaN
from minigrad.training.callbacks import progress
from tests.training.callbacks.test_loggers import NanAt
from tests.training.helpers import blobs, compiled_mlp


def _fit(verbose=1, callbacks=None, epochs=2, model=None):
    x, y = blobs(n=24)
    model = model or compiled_mlp()
    return training.fit(model, x, y, epochs=epochs, batch_size=8, validation_split=0.25,
                        verbose=verbose, callbacks=callbacks)


def test_verbose_zero_prints_nothing(capsys):
    _fit(verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("verbose", [1, 2])
def test_one_line_per_epoch_when_not_a_terminal(capsys, verbose):
    history = _fit(verbose=verbose)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1/2 - ") and lines[1].startswith("Epoch 2/2 - ")
    loss = history.history["loss"][1]
    assert f"loss: {loss:.4g}" in lines[1]
    assert "val_accuracy: " in lines[1] and "lr: 0.001" in lines[1]


def test_tqdm_bar_on_a_terminal(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress, "_interactive", lambda: True)
    _fit(verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "3/3" in out and "batch" in out  # 3 batches of 8 (18 training samples)
    assert "val_loss: " in out


def test_without_tqdm_it_falls_back_to_lines(capsys, monkeypatch):
    monkeypatch.setattr(progress, "_interactive", lambda: True)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    _fit(verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ")


def test_an_interrupted_epoch_closes_the_bar(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress, "_interactive", lambda: True)
    model = compiled_mlp()
    training.compile(model, optimizer="sgd", loss=NanAt(1))
    bar = ProgressBar()
    _fit(callbacks=[bar, TerminateOnNaN()], model=model)
    assert bar._bar is None
    assert "TerminateOnNaN: the loss is nan at epoch 1/2, batch 2/3" in capsys.readouterr().out


def test_a_given_progress_bar_replaces_the_default(capsys):
    _fit(verbose=1, callbacks=[ProgressBar(verbose=0)])
    assert capsys.readouterr().out == ""


def test_bad_verbose():
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2"):
        ProgressBar(verbose=3)
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2"):
        _fit(verbose=3)
