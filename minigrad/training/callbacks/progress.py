"""ProgressBar: a tqdm bar per epoch with the running loss and metrics, or one line per epoch."""
from __future__ import annotations

import os
import sys
import time

from minigrad.training.callbacks.base import Callback, print_message

__all__ = ["ProgressBar"]


def _terminal_columns() -> int:
    """The width of the terminal stdout writes to: 0 when stdout is no terminal, or a
    terminal that reports no width (some CI consoles and editors' shells), where a bar
    cannot be drawn."""
    try:
        if not sys.stdout.isatty():
            return 0
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def format_logs(logs) -> str:
    """``"loss: 0.1234 - accuracy: 0.9500"`` (Keras' layout)."""
    return " - ".join(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}"
                      for key, value in logs.items() if key != "size")


class ProgressBar(Callback):
    """Show training progress; ``fit(verbose=...)`` adds one unless you pass your own.

    ``verbose=1`` on a terminal with ``tqdm`` installed: one bar per epoch,
    advanced per batch, showing the running means of the loss and metrics; when
    the epoch ends the bar gives way to the epoch's line, printed whole whatever
    the terminal's width (a bar is cut to the width, and would hide the
    validation metrics at its end). ``verbose=1`` when stdout is not a terminal
    (a log file, CI), a terminal that reports no width, or tqdm is missing, and
    ``verbose=2``: only the line per epoch, ``"Epoch 3/20 - 2.5s - loss: ...
    - val_accuracy: ..."``. ``verbose=0``: nothing. tqdm is optional
    (``pip install tqdm``).
    """

    order = -10  # its epoch line comes before other callbacks' messages
    rank_zero_only = True

    def __init__(self, verbose=1):
        if verbose not in (0, 1, 2):
            raise ValueError(f"ProgressBar: verbose must be 0, 1 or 2, got {verbose!r}")
        self.verbose = verbose
        self._tqdm = None
        self._bar = None

    def on_train_begin(self, logs=None):
        self._tqdm = _tqdm() if self.verbose == 1 and _terminal_columns() > 0 else None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._sums, self._seen = {}, 0
        self._title = f"Epoch {epoch + 1}/{(self.params or {}).get('epochs', '?')}"
        if self._tqdm is not None:
            self._bar = self._tqdm(total=(self.params or {}).get("steps"), desc=self._title,
                                   unit="batch", file=sys.stdout, leave=False, dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is None:
            return
        logs = logs or {}
        size = logs.get("size", 1)
        self._seen += size
        for key, value in logs.items():
            if key != "size":
                self._sums[key] = self._sums.get(key, 0.0) + value * size
        running = {key: f"{total / self._seen:.4g}" for key, total in self._sums.items()}
        self._bar.set_postfix(running, refresh=False)
        self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.close()  # leave=False: the bar clears its line for the one below
            self._bar = None
        if self.verbose:
            seconds = time.perf_counter() - self._start
            print_message(f"{self._title} - {seconds:.1f}s - {format_logs(logs or {})}")

    def on_train_end(self, logs=None):
        if self._bar is not None:  # an epoch cut short (TerminateOnNaN, stop_training)
            self._bar.close()
            self._bar = None
