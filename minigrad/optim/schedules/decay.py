"""Closed-form decays: step, exponential, inverse-time, power, piecewise constant, cosine."""

from __future__ import annotations

import itertools
import math

from minigrad.optim.schedules.base import LRScheduler, _nonnegative, _positive, _positive_int

__all__ = [
    "CosineAnnealingLR",
    "ExponentialDecay",
    "ExponentialLR",
    "InverseTimeDecay",
    "PiecewiseConstant",
    "PowerSchedule",
    "StepLR",
]


class StepLR(LRScheduler):
    """Step decay: ``lr = lr0 * gamma ** floor(t / step_size)`` (PyTorch; defaults gamma=0.1)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _positive_int(self, "step_size", step_size)
        self.gamma = _positive(self, "gamma", gamma)
        super().__init__(optimizer)

    def _lr(self, base, t):
        return base * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """Exponential decay: ``lr = lr0 * gamma ** t`` (PyTorch)."""

    def __init__(self, optimizer, gamma):
        self.gamma = _positive(self, "gamma", gamma)
        super().__init__(optimizer)

    def _lr(self, base, t):
        return base * self.gamma**t


class ExponentialDecay(LRScheduler):
    """Exponential decay in either of its two usual forms.

    * ``ExponentialDecay(opt, k=0.1)``: ``lr = lr0 * exp(-k t)`` (the default, k=0.1);
    * ``ExponentialDecay(opt, decay_rate=0.1, decay_steps=s)``: ``lr = lr0 * decay_rate ** (t / s)``
      (Keras' ``ExponentialDecay``; "exponential scheduling" ``lr0 * 0.1 ** (t / s)``;
      ``staircase=True`` uses ``floor(t / s)``).

    The two are the same curve when ``k = -ln(decay_rate) / s``.
    ``initial_learning_rate`` (Keras' argument) sets ``lr0`` of every group;
    by default ``lr0`` is the optimizer's lr.
    """

    def __init__(self, optimizer, k=None, *, decay_rate=None, decay_steps=1, staircase=False,
                 initial_learning_rate=None):
        if k is not None and decay_rate is not None:
            raise ValueError(
                f"ExponentialDecay: give k or decay_rate, not both (k={k}, decay_rate={decay_rate})"
            )
        if decay_rate is None:
            self.k = _nonnegative(self, "k", 0.1 if k is None else k)
            self.decay_rate = None
        else:
            self.k = None
            self.decay_rate = _positive(self, "decay_rate", decay_rate)
        self.decay_steps = _positive(self, "decay_steps", decay_steps)
        self.staircase = bool(staircase)
        super().__init__(optimizer, initial_learning_rate)

    def _lr(self, base, t):
        if self.decay_rate is None:
            return base * math.exp(-self.k * t)
        p = t / self.decay_steps
        return base * self.decay_rate ** (math.floor(p) if self.staircase else p)


class InverseTimeDecay(LRScheduler):
    """Time-based decay: ``lr = lr0 / (1 + decay_rate * t / decay_steps)`` (Keras' names).

    With ``lr0 = 0.1`` and ``decay_rate = 1``: 0.1, 0.05, 0.0333, 0.025, ...
    ``staircase=True`` uses ``floor(t / decay_steps)``. ``initial_learning_rate``
    (Keras' argument) sets ``lr0`` of every group; by default ``lr0`` is the optimizer's lr.
    """

    def __init__(self, optimizer, decay_rate, decay_steps=1, staircase=False, *,
                 initial_learning_rate=None):
        self.decay_rate = _nonnegative(self, "decay_rate", decay_rate)
        self.decay_steps = _positive(self, "decay_steps", decay_steps)
        self.staircase = bool(staircase)
        super().__init__(optimizer, initial_learning_rate)

    def _lr(self, base, t):
        p = t / self.decay_steps
        return base / (1 + self.decay_rate * (math.floor(p) if self.staircase else p))


class PowerSchedule(LRScheduler):
    """Power scheduling: ``lr = lr0 / (1 + t / s) ** c`` (c is usually 1).

    The lr halves after ``s`` steps (for c = 1), then falls ever more slowly.
    """

    def __init__(self, optimizer, s, c=1.0):
        self.s = _positive(self, "s", s)
        self.c = _nonnegative(self, "c", c)
        super().__init__(optimizer)

    def _lr(self, base, t):
        return base / (1 + t / self.s) ** self.c


class PiecewiseConstant(LRScheduler):
    """Piecewise constant: ``values[i]`` from ``t = boundaries[i-1]`` on.

    ``lr = values[0]`` for ``t < boundaries[0]``, ``values[1]`` for
    ``boundaries[0] <= t < boundaries[1]``, ... (``len(values) = len(boundaries) + 1``).
    The values are the first group's lrs; other groups keep their ratio to it.
    Keras' ``PiecewiseConstantDecay`` switches one step later (``t > boundary``).
    """

    def __init__(self, optimizer, boundaries, values):
        boundaries, values = list(boundaries), [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstant: need len(values) == len(boundaries) + 1, got "
                f"{len(values)} values for {len(boundaries)} boundaries"
            )
        if any(b <= a for a, b in itertools.pairwise(boundaries)) or any(b < 0 for b in boundaries):
            raise ValueError(
                f"PiecewiseConstant: boundaries must be increasing and >= 0, got {boundaries}"
            )
        for v in values:
            _positive(self, "values", v)
        self.boundaries, self.values = boundaries, values
        super().__init__(optimizer)

    def lr_at(self, t):
        value = self.values[sum(1 for b in self.boundaries if t >= b)]
        first = self.base_lrs[0]
        return [value * base / first for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing: ``lr = eta_min + (lr0 - eta_min) * (1 + cos(pi t / T_max)) / 2``.

    PyTorch's closed form (no restarts); after ``T_max`` steps the curve rises again.
    Paper: Loshchilov, Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _positive(self, "T_max", T_max)
        self.eta_min = _nonnegative(self, "eta_min", eta_min)
        super().__init__(optimizer)

    def _lr(self, base, t):
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
