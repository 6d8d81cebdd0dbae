"""Gradient clipping: by value, and by the norm of all gradients together.

Call these between ``loss.backward()`` and ``optimizer.step()``, as in PyTorch;
the optimizers' Keras-style ``clipnorm`` / ``clipvalue`` / ``global_clipnorm``
arguments do the same inside ``step()``.

Paper: Pascanu, Mikolov, Bengio, "On the difficulty of training recurrent
neural networks", ICML 2013 (clipping by norm).
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.core import Variable

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value", "clip_grad_value_"]


def _with_grads(params, op):
    if isinstance(params, Variable):
        params = [params]
    params = list(params)
    for p in params:
        if not isinstance(p, Variable):
            raise TypeError(f"{op}: expected Variables/Parameters, got {type(p).__name__}")
    return [p for p in params if p.grad is not None]


def _set_grad(p, array):
    # A new Variable: the old gradient may be held elsewhere (e.g. a recorded graph).
    p.grad = Variable(array, requires_grad=False)


def array_norm(a, norm_type=2.0) -> float:
    """The ``norm_type``-norm of all entries of array ``a``, as a Python float."""
    xp = backend.namespace(a)
    if norm_type == math.inf:
        return float(xp.max(xp.abs(a))) if a.size else 0.0
    if norm_type == 2:
        return math.sqrt(float(xp.sum(a * a)))
    return float(xp.sum(xp.abs(a) ** norm_type)) ** (1.0 / norm_type)


def global_norm(arrays, norm_type=2.0) -> float:
    """The ``norm_type``-norm of the concatenation of ``arrays``."""
    norms = [array_norm(a, norm_type) for a in arrays]
    if not norms:
        return 0.0
    if norm_type == math.inf:
        return max(norms)
    return sum(n**norm_type for n in norms) ** (1.0 / norm_type)


def clip_grad_value(params, clip_value):
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    ``params``: a Variable or an iterable of them; those without a gradient are
    skipped. Each clipped ``p.grad`` is replaced by a new Variable.
    """
    clip_value = float(clip_value)
    if not clip_value > 0:
        raise ValueError(f"clip_grad_value: clip_value must be > 0, got {clip_value}")
    for p in _with_grads(params, "clip_grad_value"):
        g = p.grad.data
        _set_grad(p, p.grad.xp.clip(g, -clip_value, clip_value))


def clip_grad_norm(params, max_norm, norm_type=2.0, error_if_nonfinite=False) -> float:
    """Scale all gradients together so that their global norm is at most ``max_norm``.

    ``total = (sum over parameters of ||g_p||_q^q)^(1/q)`` (``q = norm_type``,
    ``inf`` for the largest absolute entry); when ``total > max_norm`` every
    gradient is multiplied by ``max_norm / (total + 1e-6)`` (PyTorch's formula),
    which keeps the direction of the whole gradient. Returns ``total`` (before
    clipping) as a float. A non-finite ``total`` raises ``RuntimeError`` when
    ``error_if_nonfinite``; otherwise the gradients become non-finite, as in PyTorch.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm: max_norm must be > 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be > 0 (or inf), got {norm_type}")
    params = _with_grads(params, "clip_grad_norm")
    total = global_norm([p.grad.data for p in params], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm: the total {norm_type}-norm of the gradients is {total}; "
            f"pass error_if_nonfinite=False to clip anyway"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1.0 or not math.isfinite(total):
        for p in params:
            _set_grad(p, p.grad.data * coef)
    return total


clip_grad_value_ = clip_grad_value
clip_grad_norm_ = clip_grad_norm
