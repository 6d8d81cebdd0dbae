"""Weight penalties added to the loss: L1, L2 and their mix (elastic net).

A regularizer is a callable ``w -> 0-d Variable`` built from minigrad
functions, so autodiff gives its gradient. A layer keeps it as
``p.regularizer`` on its Parameters (``Dense(..., kernel_regularizer=L2(1e-4))``)
and the training loop adds the sum of the penalties to the loss. The scale
follows Keras: ``L2(l)`` is ``l * sum(w^2)``, with no factor 1/2.
"""

from __future__ import annotations

import math
import numbers

from minigrad import backend
from minigrad import functions as F
from minigrad.core import Variable, as_variable

__all__ = ["L1", "L1L2", "L2", "ElasticNet", "Regularizer", "get_regularizer"]


class Regularizer:
    """Base class: ``__call__(w)`` returns the penalty as a 0-d Variable."""

    def __call__(self, w):
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w^2)`` (Keras' ``L1L2``; defaults 0 and 0).

    Also built from the elastic-net mix of weight ``alpha`` and ratio ``r``::

        L1L2(alpha=a, r=r)  ==  r * a * sum(|w|) + (1 - r) / 2 * a * sum(w^2)

    i.e. ``l1 = r * alpha`` and ``l2 = (1 - r) * alpha / 2``: ``r = 1`` is the
    lasso (L1) penalty, ``r = 0`` ridge (L2) with the usual 1/2; scikit-learn's
    ``ElasticNet(alpha, l1_ratio=r)`` uses the same form. (One of the reference
    slides writes the mix with the roles of ``r`` and ``1 - r`` exchanged.)

    Paper: Zou, Hastie, "Regularization and variable selection via the elastic net", 2005.
    """

    def __init__(self, l1=0.0, l2=0.0, *, alpha=None, r=None):
        name = type(self).__name__
        if alpha is not None or r is not None:
            if alpha is None or r is None or l1 or l2:
                raise ValueError(
                    f"{name}: give (l1, l2) or (alpha, r), not a mix; got "
                    f"l1={l1}, l2={l2}, alpha={alpha}, r={r}"
                )
            _check(name, "alpha", alpha)
            if not _is_number(r) or not 0 <= r <= 1:
                raise ValueError(f"{name}: r must be in [0, 1], got {r!r}")
            l1, l2 = r * alpha, (1 - r) * alpha / 2
        self.l1 = _check(name, "l1", l1)
        self.l2 = _check(name, "l2", l2)

    def __call__(self, w):
        w = as_variable(w)
        terms = []
        if self.l1:
            terms.append(self.l1 * F.sum(F.abs(w)))
        if self.l2:
            terms.append(self.l2 * F.sum(F.square(w)))
        if not terms:
            return Variable(backend.zeros((), w.dtype, like=w.data), requires_grad=False)
        return terms[0] + terms[1] if len(terms) == 2 else terms[0]


class L1(L1L2):
    """``l * sum(|w|)``: the lasso penalty, drives unneeded weights to exactly 0.

    Keras' ``L1`` (default ``l=0.01``). Its gradient is ``l * sign(w)``.
    """

    def __init__(self, l=0.01):  # noqa: E741  (Keras' argument name)
        super().__init__(l1=l)

    def get_config(self):
        return {"l": self.l1}


class L2(L1L2):
    """``l * sum(w^2)``: the ridge penalty ("weight decay"), shrinks all weights.

    Keras' ``L2`` (default ``l=0.01``), whose gradient is ``2 * l * w``; an SGD
    ``weight_decay=wd`` equals ``L2(wd / 2)``.
    """

    def __init__(self, l=0.01):  # noqa: E741  (Keras' argument name)
        super().__init__(l2=l)

    def get_config(self):
        return {"l": self.l2}


ElasticNet = L1L2

_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2, "elastic_net": L1L2}


def get_regularizer(identifier):
    """A regularizer from a name (``"l1"``, ``"l2"``, ``"l1_l2"``, with Keras'
    defaults), a callable (returned as it is) or None."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        cls = _BY_NAME[identifier.lower()]
        # Keras: the string "l1_l2" means L1L2(l1=0.01, l2=0.01)
        return cls(l1=0.01, l2=0.01) if cls is L1L2 else cls()
    raise ValueError(
        f"get_regularizer: unknown regularizer {identifier!r}; "
        f"valid names: {', '.join(_BY_NAME)}, or a callable"
    )


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)


def _check(name, arg, value) -> float:
    if not _is_number(value) or not value >= 0:
        raise ValueError(f"{name}: {arg} must be a number >= 0, got {value!r}")
    return float(value)
