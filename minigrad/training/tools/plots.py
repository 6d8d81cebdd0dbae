"""Learning curves and the learning-rate range test as PNG files (matplotlib, optional).

``pip install "minigrad[plot]"`` installs matplotlib. The figures are drawn with
matplotlib's object API (no pyplot, no window, safe in scripts and threads) and
written atomically: to a temporary file in the target directory, then renamed.
"""
from __future__ import annotations

import math
import os

from minigrad.io.atomic import atomic_writer

__all__ = ["plot_history", "plot_lr_finder"]


def _figure(op, panels):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{op} needs matplotlib: pip install \"minigrad[plot]\" "
                          f"(or pip install matplotlib)") from None
    fig = Figure(figsize=(5.0 * panels, 4.0), layout="tight")
    return fig, [fig.add_subplot(1, panels, k + 1) for k in range(panels)]


def _save(fig, path):
    """``fig`` to ``path`` atomically; the format comes from the extension (default png)."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_writer(path) as f:
        fig.savefig(f, format=ext, dpi=100)
    return path


def _history_dict(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history: expected a History (what fit returns) or its "
                         f"non-empty dict of per-epoch lists, got {history!r}")
    return logs


def plot_history(history, path, metrics=None, title=None):
    """Save learning curves: one panel per quantity, training and validation together.

    ``history``: what ``fit`` returns (or its ``.history`` dict). ``metrics``: the
    quantities to draw, e.g. ``["loss", "accuracy"]`` (default every logged one except
    ``lr``, which gets its own panel only when it changed). Epochs on the x axis count
    from 1. Returns ``path``. A widening gap between a falling training curve and a
    rising validation curve is overfitting; both still falling at the end is underfitting.
    """
    logs = _history_dict(history)
    names = [k for k in logs if not k.startswith("val_") and k != "lr"]
    if metrics is None:
        metrics = names + (["lr"] if len(set(logs.get("lr", []))) > 1 else [])
    missing = [m for m in metrics if m not in logs and f"val_{m}" not in logs]
    if missing or not metrics:
        raise ValueError(f"plot_history: no curve named {missing or metrics}; the history "
                         f"holds {sorted(logs)}")
    fig, axes = _figure("plot_history", len(metrics))
    from matplotlib.ticker import MaxNLocator  # present: _figure imported matplotlib

    for ax, name in zip(axes, metrics):
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            values = logs.get(key)
            if values:
                ax.plot(range(1, len(values) + 1), values, marker=".", label=label)
        if name == "lr":
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_lr_finder(result, path, skip_start=0, skip_end=0, title=None):
    """Save the learning-rate range test: smoothed loss against the learning rate (log
    scale), the raw losses faintly, and the suggested rate as a vertical line. The loss
    axis stops at 1.5 times the first smoothed loss, so the blow-up does not hide the
    descent.

    ``result``: what :func:`~minigrad.training.tools.lr_finder` returns.
    ``skip_start`` / ``skip_end`` leave out that many points at either end. Returns ``path``.
    """
    n = len(result.lrs)
    lo, hi = skip_start, n - skip_end
    if not 0 <= lo < hi <= n:
        raise ValueError(f"plot_lr_finder: skip_start={skip_start} and skip_end={skip_end} "
                         f"leave nothing of {n} points")
    lrs = result.lrs[lo:hi]
    fig, (ax,) = _figure("plot_lr_finder", 1)
    ax.plot(lrs, result.raw_losses[lo:hi], alpha=0.3, label="loss")
    ax.plot(lrs, result.losses[lo:hi], label="smoothed loss")
    if result.suggested_lr is not None and math.isfinite(result.suggested_lr):
        ax.axvline(result.suggested_lr, color="red", linestyle="--",
                   label=f"suggested lr {result.suggested_lr:.2g} ({result.method})")
    ax.set_xscale("log")
    # the blow-up at the end would squash the interesting part: cut the axis at 1.5 times
    # the first smoothed loss (the spikes leave the frame)
    top = 1.5 * result.losses[lo]
    if top > 0 and max(result.raw_losses[lo:hi]) > top:
        ax.set_ylim(min(result.raw_losses[lo:hi]) * 0.9, top)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.grid(True, alpha=0.3)
    ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)
