"""ProgressBar: tqdm bar on a terminal, one line per epoch otherwise, silence at verbose=0."""
import os
import re
import sys

import pytest

from minigrad import training
from minigrad.training import ProgressBar, TerminateOnNaN
from tests.training.callbacks.test_loggers import NanAt
from tests.training.helpers import blobs, compiled_mlp


def _fit(verbose=1, callbacks=None, epochs=2, model=None):
    x, y = blobs(n=24)
    model = model or compiled_mlp()
    return training.fit(model, x, y, epochs=epochs, batch_size=8, validation_split=0.25,
                        verbose=verbose, callbacks=callbacks)


def _terminal(monkeypatch, columns):
    """Make the captured stdout a terminal ``columns`` wide, for ProgressBar and tqdm alike."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "fileno", lambda: 1)
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=None: os.terminal_size((columns, 24)))


def _screen_lines(out):
    """What stays on the screen: the text after the last carriage return of each line."""
    return [line.split("\r")[-1] for line in out.split("\n") if line.split("\r")[-1].strip()]


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
    _terminal(monkeypatch, 80)
    _fit(verbose=1)
    out = capsys.readouterr().out
    assert "/3 [" in out and "batch/s" in out  # a bar of 3 batches of 8 (18 training samples)
    lines = _screen_lines(out)
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 1/2 - ") and lines[1].startswith("Epoch 2/2 - ")


@pytest.mark.parametrize("columns", [30, 80])
def test_the_epoch_line_is_whole_however_narrow_the_terminal(capsys, monkeypatch, columns):
    pytest.importorskip("tqdm")
    _terminal(monkeypatch, columns)
    history = _fit(verbose=1)
    lines = _screen_lines(capsys.readouterr().out)
    assert any(len(line) >= columns for line in lines)   # longer than the terminal is wide
    for epoch, line in enumerate(lines):
        assert line.startswith(f"Epoch {epoch + 1}/2 - ")
        for key, values in history.history.items():   # every metric, val_ ones too
            assert f"{key}: {values[epoch]:.4g}" in line


def test_a_terminal_of_zero_columns_gets_one_line_per_epoch(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    _terminal(monkeypatch, 0)
    _fit(verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "batch" not in out   # no bar drawn
    assert [re.sub(r" - .*", "", line) for line in out.splitlines()] == ["Epoch 1/2", "Epoch 2/2"]


def test_without_tqdm_it_falls_back_to_lines(capsys, monkeypatch):
    _terminal(monkeypatch, 80)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    _fit(verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ")


def test_an_interrupted_epoch_closes_the_bar(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    _terminal(monkeypatch, 80)
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
