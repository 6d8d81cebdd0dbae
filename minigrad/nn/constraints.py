"""Weight constraints: projections applied to a Parameter's array after each optimizer step.

A constraint is a callable ``array -> array`` (same shape, dtype and device).
A layer keeps it as ``p.constraint`` (``Dense(..., kernel_constraint=MaxNorm(3))``)
and the optimizer sets ``p.data = p.constraint(p.data)`` after every update.
For a Dense kernel of shape ``(in, out)``, ``axis=0`` treats each column, the
incoming weight vector of one neuron, on its own (Keras' convention).
"""

from __future__ import annotations

import numbers

from minigrad import backend

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "get_constraint"]

_EPSILON = 1e-7  # Keras' backend epsilon, keeps UnitNorm finite for all-zero vectors


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained array."""

    def __call__(self, w):
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _norms(w, axis):
    xp = backend.namespace(w)
    return xp.sqrt(xp.sum(w * w, axis=axis, keepdims=True))


def _axis(name, axis):
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(f"{name}: axis must be an int or a tuple of ints, got {axis!r}")


class MaxNorm(Constraint):
    """Max-norm: rescale each weight vector longer than ``max_value`` to length ``max_value``.

    ``w <- w * r / max(||w||_2, r)`` with the norm over ``axis`` (default 0: one
    neuron's incoming weights in a Dense kernel); vectors already inside the
    ball are left exactly as they are. Keras' ``MaxNorm(max_value=2, axis=0)``
    computes ``w * clip(||w||, 0, r) / (||w|| + 1e-7)``, which also shrinks
    vectors inside the ball by a relative 1e-7/||w||.

    Paper: Srebro, Shraibman, "Rank, trace-norm and max-norm", COLT 2005;
    Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting", JMLR 2014.
    """

    def __init__(self, max_value=2.0, axis=0):
        if (
            not isinstance(max_value, numbers.Real)
            or isinstance(max_value, bool)
            or not max_value > 0
        ):
            raise ValueError(f"MaxNorm: max_value must be a number > 0, got {max_value!r}")
        self.max_value = float(max_value)
        self.axis = _axis("MaxNorm", axis)

    def __call__(self, w):
        xp = backend.namespace(w)
        norms = _norms(w, self.axis)
        return w * (self.max_value / xp.clip(norms, self.max_value, None))


class NonNeg(Constraint):
    """Non-negative weights: ``w <- max(w, 0)`` (Keras' ``NonNeg``)."""

    def __call__(self, w):
        return backend.namespace(w).clip(w, 0.0, None)


class UnitNorm(Constraint):
    """Unit-norm weight vectors: ``w <- w / (||w||_2 + 1e-7)`` over ``axis`` (Keras' UnitNorm)."""

    def __init__(self, axis=0):
        self.axis = _axis("UnitNorm", axis)

    def __call__(self, w):
        return w / (_norms(w, self.axis) + _EPSILON)


_BY_NAME = {
    "max_norm": MaxNorm,
    "maxnorm": MaxNorm,
    "non_neg": NonNeg,
    "nonneg": NonNeg,
    "unit_norm": UnitNorm,
    "unitnorm": UnitNorm,
}


def get_constraint(identifier):
    """A constraint from a name (``"max_norm"``, ``"non_neg"``, ``"unit_norm"``, with
    default arguments), a callable (returned as it is) or None."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(
        f"get_constraint: unknown constraint {identifier!r}; "
        f"valid names: {', '.join(_BY_NAME)}, or a callable"
    )
