"""Sanity checks before a long training run, from the debugging checklists of the notes.

* ``check_initial_loss``: an untrained classifier predicts close to uniformly, so its
  softmax cross-entropy is close to ``-log(1/C) = log(C)`` for ``C`` classes (2.303 for
  10). Far above: weights too large, a softmax applied twice, wrong labels; far below:
  the labels leak into the inputs.
* ``overfit_one_batch``: a model that can learn at all drives the loss on one small
  batch to nearly zero within a few hundred steps; if it cannot, look for a bug in the
  data, the model or the loss before anything else.

Source: Karpathy, "A Recipe for Training Neural Networks" (2019); cs231n, "Neural
Networks Part 3" (sanity checks).
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
from minigrad.training.trainer import _inference, train_step

__all__ = ["SanityCheckError", "SanityResult", "check_initial_loss", "overfit_one_batch"]


class SanityCheckError(AssertionError):
    """A sanity check failed (with ``raise_error=True``); the message says what to look at."""


class SanityResult:
    """``ok``, the ``message`` (what was measured and, on failure, what to look at), and
    the numbers: ``loss`` and ``expected`` for the initial-loss check; ``initial_loss``,
    ``final_loss`` and ``losses`` (training loss per step) for overfit-one-batch."""

    def __init__(self, ok, message, **values):
        self.ok, self.message = ok, message
        self.__dict__.update(values)

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"SanityResult(ok={self.ok}: {self.message})"


def _finish(result, raise_error):
    if raise_error and not result.ok:
        raise SanityCheckError(result.message)
    return result


def _mean_loss(model, loss_fn, data):
    """The sample-weighted mean data loss (no penalties) in evaluation mode, no graph."""
    total, count = 0.0, 0
    stream = batches(model, data)
    with _inference():
        for _ in range(len(data)):
            x, y = next(stream)
            total += float(loss_fn(model(x), y).item()) * x.shape[0]
            count += x.shape[0]
    return total / count


def check_initial_loss(model, x, y, num_classes=None, loss=None, rtol=0.2, batch_size=None,
                       raise_error=False):
    """Compare an untrained classifier's loss on ``(x, y)`` with ``log(num_classes)``.

    ``model``: a Module (built from ``x`` if lazy; nothing is trained); ``num_classes``
    defaults to the size of the model's last output axis; ``loss`` to the model's
    compiled loss. The loss is measured in evaluation mode without the regularization
    penalties. Passes when ``|loss - log C| <= rtol * log C``. Returns a
    :class:`SanityResult` (truthy when it passes); ``raise_error=True`` raises
    :class:`SanityCheckError` with the message instead of returning a failure.
    """
    loss_fn = resolve_loss("check_initial_loss", model, loss)
    data = loader("check_initial_loss", model, x, y, batch_size, shuffle=False)
    build(model, data)
    if num_classes is None:
        xb, _ = next(batches(model, data))
        with _inference():
            num_classes = model(xb).shape[-1]
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"check_initial_loss: num_classes must be an integer >= 2, "
                         f"got {num_classes!r}")
    value = _mean_loss(model, loss_fn, data)
    expected = math.log(num_classes)
    ok = abs(value - expected) <= rtol * expected
    message = (f"initial loss {value:.4f}, expected about log({num_classes}) = {expected:.4f} "
               f"for near-uniform predictions over {num_classes} classes")
    if not ok and value > expected:
        message += ("; too high: the last layer's initial weights may be too large (check "
                    "the initializer), the loss may get probabilities where it expects "
                    "logits (a softmax applied twice), or the labels may not match the "
                    "outputs")
    elif not ok:
        message += ("; too low for an untrained model: the targets may leak into the "
                    "inputs, or the loss is not a mean over samples")
    return _finish(SanityResult(ok, message, loss=value, expected=expected), raise_error)


def overfit_one_batch(model, x, y, steps=200, loss=None, optimizer=None, rtol=0.02,
                      raise_error=False):
    """Train on the single batch ``(x, y)`` for ``steps`` steps; pass if the loss falls
    to at most ``rtol`` times its initial value (2% by default: 0.05 from 2.3).

    ``model``: a function ``() -> Module`` (a fresh model), or a Module, whose
    weights, optimizer state and random generators are restored afterwards. ``loss``
    and ``optimizer`` default to the model's ``compile`` choices. The steps run in
    training mode (dropout on); the initial and final losses are measured in evaluation
    mode without the regularization penalties, which would keep the loss above zero.
    Returns a :class:`SanityResult`; ``raise_error=True`` raises on failure.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"overfit_one_batch: steps must be a positive integer, got {steps!r}")
    restore = isinstance(model, Module)
    model = make_model("overfit_one_batch", model)
    loss_fn = resolve_loss("overfit_one_batch", model, loss)
    n = x.shape[0] if hasattr(x, "shape") else len(x)
    data = loader("overfit_one_batch", model, x, y, max(1, n), shuffle=False)
    build(model, data)
    opt = make_optimizer("overfit_one_batch", model, optimizer)
    with preserved(model, opt) if restore else contextlib.nullcontext():
        initial = _mean_loss(model, loss_fn, data)
        xb, yb = next(batches(model, data))
        model.train()
        losses = [train_step(model, opt, loss_fn, xb, yb)["loss"] for _ in range(steps)]
        final = _mean_loss(model, loss_fn, data)
    ok = math.isfinite(final) and final <= rtol * initial
    message = (f"loss on one batch of {n} samples went from {initial:.4f} to {final:.4f} "
               f"in {steps} steps")
    if not ok:
        message += (f" (needed <= {rtol * initial:.4f}): the model cannot even memorise "
                    f"one batch; check that inputs and labels match, the loss suits the "
                    f"outputs (logits or probabilities), the learning rate, and that the "
                    f"parameters get gradients; or give it more steps")
    return _finish(SanityResult(ok, message, initial_loss=initial, final_loss=final,
                                losses=losses), raise_error)
