"""Neighbouring layers run as one graph node, for any container that applies layers in order.

:func:`apply` runs a list of layers on an input one after the other, except where
a pair of neighbours matches a rule below: that pair runs as one node, with the
numbers and the random draws of the two apart. A rule stays only while it
measurably pays (docs/performance.md). The one rule today:

* in training, a ``Dense(units, activation="relu")`` followed by an active
  ``Dropout`` runs as ``F.linear_relu_dropout``: one mask, one activation-sized
  buffer and one pass fewer in each direction, about 4% of a training step of the
  MLP of benchmarks/bench_step.py.
"""
from __future__ import annotations

from minigrad.nn.dense import Dense
from minigrad.nn.dropout import Dropout

__all__ = ["apply"]


def apply(layers, x):
    """``x`` through ``layers`` in order, each matching pair of neighbours as one node."""
    i, n = 0, len(layers)
    while i < n:
        rate = _relu_dropout_rate(layers[i], layers[i + 1]) if i + 1 < n else 0.0
        if rate:
            x = layers[i]._forward(x, rate)
            i += 2
        else:
            x = layers[i](x)
            i += 1
    return x


def _relu_dropout_rate(layer, following):
    """The rate of ``following`` when it is an active Dropout and ``layer`` a
    ``Dense`` with a plain ReLU, else 0. Subclasses that override ``forward`` are
    never fused: they may compute something else."""
    if (type(layer).forward is not Dense.forward or not layer._fused_relu
            or type(following).forward is not Dropout.forward):
        return 0.0
    return following.rate if following.active() else 0.0
