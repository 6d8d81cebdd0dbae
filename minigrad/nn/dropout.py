"""Dropout layer, with Monte-Carlo dropout at prediction time."""
from __future__ import annotations

import contextlib
import contextvars
import numbers

from minigrad import functions as F
from minigrad.nn.module import Module

__all__ = ["Dropout", "MCDropout", "mc_dropout"]

_mc_context = contextvars.ContextVar("mc_dropout", default=False)


@contextlib.contextmanager
def mc_dropout():
    """Every Dropout layer drops units inside the ``with`` block, even in evaluation
    mode: Monte-Carlo dropout for this thread (context) only, without changing any
    layer, so another thread's predictions stay deterministic."""
    token = _mc_context.set(True)
    try:
        yield
    finally:
        _mc_context.reset(token)


class Dropout(Module):
    """Inverted dropout: in training each input is zeroed with probability
    ``rate`` and the survivors are scaled by 1 / (1 - rate), so evaluation is
    the identity. ``Dropout(rate=0.5, mc=False, name=None, *, p=None)``: ``p``
    is PyTorch's name of ``rate`` (the same fraction dropped).

    Monte-Carlo dropout (keep dropping at prediction, average many stochastic
    predictions to estimate uncertainty) has three spellings:

    * ``Dropout(rate, mc=True)`` (or :class:`MCDropout`): always active, even
      after ``model.eval()`` and inside ``minigrad.eval_mode()``;
    * ``layer(x, training=True)``: one call in training mode, as in Keras;
    * ``layer.train()`` on the dropout layers after ``model.eval()``, as in PyTorch;
    * inside ``with nn.mc_dropout():``, every Dropout layer, this thread only.

    Paper: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks
    from Overfitting" (2014); Gal & Ghahramani, "Dropout as a Bayesian
    Approximation" (2016) for MC dropout.
    """

    def __init__(self, rate=0.5, mc=False, name=None, *, p=None):
        super().__init__(name)
        if p is not None:
            if rate != 0.5:
                raise TypeError(f"Dropout: give the rate once, as rate= (Keras) or p= "
                                f"(PyTorch), got rate={rate!r} and p={p!r}")
            rate = p
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise TypeError(f"Dropout: rate must be a real number in [0, 1), got {rate!r} "
                            f"of type {type(rate).__name__}")
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.mc = bool(mc)

    @property
    def p(self):
        """PyTorch's name of ``rate``."""
        return self.rate

    def forward(self, x, training=None):
        return F.dropout(x, self.rate, training=self.active(training))

    def active(self, training=None):
        """Whether a call drops units: always with ``mc=True`` or inside
        :func:`mc_dropout`, else in training mode."""
        return True if self.mc or _mc_context.get() else self._is_training(training)

    def extra_repr(self):
        return f"rate={self.rate}" + (", mc=True" if self.mc else "")


class MCDropout(Dropout):
    """Dropout that stays active at prediction: ``Dropout(rate, mc=True)``."""

    def __init__(self, rate=0.5, name=None):
        super().__init__(rate, mc=True, name=name)
