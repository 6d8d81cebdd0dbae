"""The learning-rate range test: train while the learning rate grows exponentially and
watch where the loss falls fastest.

For ``num_iters`` mini-batches the rate goes from ``start_lr`` to ``end_lr`` on a
geometric grid, ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iters - 1))``, one
optimizer step each. The mini-batch losses are noisy, so they are smoothed by a centered
moving average over ``window`` steps, ``smoothed_i = mean(loss_(i-h) .. loss_(i+h))`` with
``h = window // 2`` (fewer terms at the ends). A centered average does not lag: the
exponential moving average that fastai and pytorch-lr-finder use trails the raw losses by
about ``beta / (1 - beta)`` steps (49 for their 0.98), two decades of learning rate in a
200-step test, which drags the curve and its suggestion towards rates that already
diverge. The test stops early once the mean of the last ``window`` losses exceeds
``diverge_threshold`` times its smallest value so far (or a loss is not finite).

Paper: Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.
"""
from __future__ import annotations

import contextlib
import math

from minigrad.nn.module import Module
from minigrad.training.tools.common import (
    batches,
    build,
    loader,
    make_model,
    make_optimizer,
    preserved,
    resolve_loss,
)
from minigrad.training.trainer import train_step

__all__ = ["LRFinderResult", "lr_finder", "suggest_lr"]

SUGGESTIONS = ("steepest", "min/10")


class LRFinderResult:
    """What :func:`lr_finder` returns; unpacks as ``lrs, losses, suggested_lr = result``.

    ``lrs``: the learning rate of each step; ``losses``: the smoothed losses (centered
    moving average over ``window`` steps); ``raw_losses``: each step's mini-batch loss;
    ``suggested_lr`` and ``method`` (``"steepest"`` or ``"min/10"``); ``diverged``: True
    when the test stopped early.
    """

    def __init__(self, lrs, losses, raw_losses, suggested_lr, method, diverged):
        self.lrs, self.losses, self.raw_losses = lrs, losses, raw_losses
        self.suggested_lr, self.method, self.diverged = suggested_lr, method, diverged

    def __iter__(self):
        return iter((self.lrs, self.losses, self.suggested_lr))

    def plot(self, path, skip_start=0, skip_end=0, title=None):
        """Save the curve as a PNG: :func:`~minigrad.training.tools.plot_lr_finder`."""
        from minigrad.training.tools.plots import plot_lr_finder

        return plot_lr_finder(self, path, skip_start, skip_end, title)

    def __repr__(self):
        return (f"LRFinderResult({len(self.lrs)} steps, lr {self.lrs[0]:.3g} to "
                f"{self.lrs[-1]:.3g}, suggested_lr={self.suggested_lr:.3g} ({self.method})"
                + (", diverged" if self.diverged else "") + ")")


def suggest_lr(lrs, losses, method="steepest", skip_start=10, skip_end=5):
    """A learning rate read off a range test's smoothed ``losses``.

    ``"steepest"``: where the loss falls fastest, the most negative slope
    ``d loss / d log(lr)`` (central differences) between ``skip_start`` points from the
    start and the minimum of the loss (the noisy first steps and everything after the
    minimum, where the loss blows up, are ignored); when that leaves fewer than three
    points it falls back to ``"min/10"``. ``"min/10"``: the learning rate of the lowest
    loss divided by 10, one order of magnitude below where training turns unstable.
    ``skip_end`` points at the end are left out of both.
    """
    if method not in SUGGESTIONS:
        raise ValueError(f"suggest_lr: method must be one of {SUGGESTIONS}, got {method!r}")
    if len(lrs) != len(losses) or not lrs:
        raise ValueError(f"suggest_lr: need as many losses as learning rates (at least one), "
                         f"got {len(lrs)} and {len(losses)}")
    end = max(1, len(losses) - skip_end)
    best = min(range(end), key=losses.__getitem__)
    start = min(skip_start, best)
    if method == "steepest" and best - start >= 2:
        logs = [math.log(lr) for lr in lrs]
        slopes = {i: (losses[i + 1] - losses[i - 1]) / (logs[i + 1] - logs[i - 1])
                  for i in range(start + 1, best)}
        return lrs[min(slopes, key=slopes.__getitem__)], "steepest"
    return lrs[best] / 10, "min/10"


def _smooth(values, window):
    """Centered moving average over ``window`` (odd) values; fewer at the ends."""
    h = window // 2
    spans = [values[max(0, i - h):i + h + 1] for i in range(len(values))]
    return [sum(span) / len(span) for span in spans]


def _check(start_lr, end_lr, num_iters, window, diverge_threshold):
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_finder: need 0 < start_lr < end_lr, got start_lr={start_lr!r} "
                         f"and end_lr={end_lr!r}")
    if isinstance(num_iters, bool) or not isinstance(num_iters, int) or num_iters < 2:
        raise ValueError(f"lr_finder: num_iters must be an integer >= 2, got {num_iters!r}")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int)
                               or window < 1):
        raise ValueError(f"lr_finder: window must be a positive integer or None, "
                         f"got {window!r}")
    if diverge_threshold is not None and not diverge_threshold > 1:
        raise ValueError(f"lr_finder: diverge_threshold must be > 1 or None, "
                         f"got {diverge_threshold!r}")


def lr_finder(model, x, y=None, loss=None, optimizer=None, start_lr=1e-7, end_lr=10.0,
              num_iters=100, batch_size=None, window=None, diverge_threshold=4.0,
              suggestion="steepest", skip_start=10, skip_end=5):
    """Run the learning-rate range test; returns an :class:`LRFinderResult`
    (``lrs, losses, suggested_lr = lr_finder(...)``).

    ``model``: a Module, whose parameters, buffers, gradients, training flags and
    optimizer state, and the random generators, are all restored afterwards (the test
    leaves no trace: a ``fit`` after it gives the weights it would have given without
    it); or a function ``() -> Module`` that makes a fresh model. ``x``, ``y``: training
    arrays (or ``x`` a Dataset or DataLoader), shuffled, cycled through as needed.
    ``loss`` and ``optimizer`` (name, class or function ``params -> Optimizer``, or an
    Optimizer on the model's parameters) default to the model's ``compile`` choices.
    ``num_iters`` steps (100 to 300 are typical) from ``start_lr`` to ``end_lr``;
    ``window``: the moving average's width in steps (default ``num_iters // 15``, made
    odd: 7 for 100 steps, 13 for 200); ``diverge_threshold=None`` never stops early.
    ``suggestion``, ``skip_start``, ``skip_end``: see :func:`suggest_lr`.
    The losses include the layers' regularization penalties, as ``fit`` reports them.
    """
    _check(start_lr, end_lr, num_iters, window, diverge_threshold)
    window = window or (num_iters // 15) | 1
    if suggestion not in SUGGESTIONS:
        raise ValueError(f"lr_finder: suggestion must be one of {SUGGESTIONS}, "
                         f"got {suggestion!r}")
    restore = isinstance(model, Module)
    model = make_model("lr_finder", model)
    loss_fn = resolve_loss("lr_finder", model, loss)
    data = loader("lr_finder", model, x, y, batch_size)
    build(model, data)
    opt = make_optimizer("lr_finder", model, optimizer)
    lrs, raw = [], []
    diverged = False
    with preserved(model, opt) if restore else contextlib.nullcontext():
        model.train()
        stream = batches(model, data)
        best = math.inf
        for i in range(num_iters):
            lr = start_lr * (end_lr / start_lr) ** (i / (num_iters - 1))
            opt.lr = lr
            xb, yb = next(stream)
            value = train_step(model, opt, loss_fn, xb, yb)["loss"]
            if not math.isfinite(value):
                diverged = True
                break
            lrs.append(lr)
            raw.append(value)
            recent = raw[-window:]
            trailing = sum(recent) / len(recent)
            best = min(best, trailing)
            if diverge_threshold is not None and trailing > diverge_threshold * best:
                diverged = True
                break
    if not lrs:
        raise ValueError(f"lr_finder: the loss was not finite at the first step "
                         f"(lr={start_lr:g}); check the data and the model")
    losses = _smooth(raw, window)
    lr, method = suggest_lr(lrs, losses, suggestion, skip_start, skip_end)
    return LRFinderResult(lrs, losses, raw, lr, method, diverged)
