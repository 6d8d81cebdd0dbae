"""Learning curves and LR-finder plots: files written atomically, a clear message
without matplotlib."""
import os
import sys

import pytest

from minigrad import training
from minigrad.training.tools import lr_finder, plot_history, plot_lr_finder
from tests.training.helpers import blobs, compiled_mlp

PNG = b"\x89PNG\r\n\x1a\n"


def _history():
    history = training.History()
    for epoch in range(3):
        history.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch,
                                     "val_loss": 1.2 / (epoch + 1), "val_accuracy": 0.5,
                                     "lr": 0.1 / (epoch + 1)})
    return history


def test_plot_history_writes_a_png_and_nothing_else(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curves" / "history.png"
    assert plot_history(_history(), path) == str(path)
    assert path.read_bytes().startswith(PNG)
    assert os.listdir(path.parent) == ["history.png"]        # no temporary file left
    plot_history(_history().history, path, metrics=["loss"], title="one panel")
    assert os.listdir(path.parent) == ["history.png"]


def test_plot_lr_finder_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = blobs()
    result = lr_finder(compiled_mlp(), x, y, num_iters=12, batch_size=16)
    assert result.plot(tmp_path / "lr.png", skip_start=1).endswith("lr.png")
    assert (tmp_path / "lr.png").read_bytes().startswith(PNG)
    with pytest.raises(ValueError, match="leave nothing"):
        plot_lr_finder(result, tmp_path / "x.png", skip_start=12)


def test_without_matplotlib_the_message_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[plot\]"'):
        plot_history(_history(), tmp_path / "h.png")
    assert not os.listdir(tmp_path)


def test_bad_history(tmp_path):
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_history({}, tmp_path / "h.png")
    with pytest.raises(ValueError, match="no curve named"):
        plot_history(_history(), tmp_path / "h.png", metrics=["auc"])
