"""Accuracy metrics: plain Python floats, not differentiable."""
from __future__ import annotations

from minigrad import backend
from minigrad.core import as_variable
from minigrad.functions.loss._common import as_target, check_same_shape, is_floating

__all__ = ["accuracy", "binary_accuracy"]


def accuracy(y, target):
    """Fraction of rows whose largest score is the target class, as a Python float.

    ``y``: (N, C) logits or probabilities (the argmax is the same);
    ``target``: integer labels (N,) or one-hot / probability rows (N, C).
    Chainer's ``F.accuracy`` (prediction first). For one output per example use
    :func:`binary_accuracy`.
    """
    name = "accuracy"
    y = as_variable(y)
    if y.ndim != 2:
        raise ValueError(f"{name}: expected predictions of shape (N, C), got {y.shape}")
    t = as_target(target, y, name, cast=False).data
    xp = y.xp
    if is_floating(t):
        if tuple(t.shape) != y.shape:
            raise ValueError(f"{name}: one-hot targets must have the predictions' shape "
                             f"{y.shape}, got {tuple(t.shape)}")
        t = xp.argmax(t, axis=1)
    elif tuple(t.shape) != y.shape[:1]:
        raise ValueError(f"{name}: labels must have shape ({y.shape[0]},) for predictions "
                         f"of shape {y.shape}, got {tuple(t.shape)}")
    if y.shape[0] == 0:
        return float("nan")
    hits = xp.astype(xp.argmax(y.data, axis=1) == xp.astype(t, xp.int64), y.dtype)
    return float(backend.to_numpy(xp.mean(hits)))


def binary_accuracy(y, target, threshold=0.5):
    """Fraction of elements with (y > threshold) == (t > 0.5), as a Python float.

    ``threshold=0.5`` suits probabilities; use ``threshold=0.0`` for logits.
    Prediction first, unlike Keras' ``binary_accuracy(y_true, y_pred)``.
    """
    y = as_variable(y)
    t = as_target(target, y, "binary_accuracy")
    check_same_shape("binary_accuracy", y, t)
    xp = y.xp
    hits = xp.astype((y.data > threshold) == (t.data > 0.5), y.dtype)
    return float(backend.to_numpy(xp.mean(hits))) if y.size else float("nan")
