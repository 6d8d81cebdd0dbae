"""The declarative gradient-check table every differentiable function registers in.

Each ``tests/functions/test_*.py`` (and any other test module that checks
Functions) defines ``CASES = [GradCase(...), ...]``. ``tests/functions/test_gradients.py``
runs gradcheck, gradgradcheck (for smooth cases) and the float32 test on
every backend, and fails if some Function subclass in minigrad appears in no
case's graph.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


@dataclasses.dataclass
class GradCase:
    """``fn`` applied to inputs made by ``make(rng)`` (host numpy arrays: floating
    ones are checked, integer/bool ones are passed through as constants).

    ``smooth``: also check second derivatives. ``atol``/``rtol``: gradcheck
    tolerances. ``float32``: include in the float32-preservation test.
    """

    name: str
    fn: Callable
    make: Callable[[np.random.Generator], list]
    smooth: bool = True
    atol: float = 1e-5
    rtol: float = 1e-4
    float32: bool = True

    def inputs(self, seed=0):
        return self.make(np.random.default_rng(seed))


def away_from(values, points, gap=0.1):
    """Push ``values`` at least ``gap`` away from each kink in ``points``."""
    values = np.array(values, dtype=np.float64)
    for p in points:
        near = np.abs(values - p) < gap
        values[near] = p + np.where(values[near] >= p, gap, -gap)
    return values


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape, low=0.5, high=2.0):
    return lambda rng: rng.uniform(low, high, shape)


def inputs(*makers):
    """Combine per-input makers into a ``make(rng)`` returning a list."""
    return lambda rng: [m(rng) for m in makers]
