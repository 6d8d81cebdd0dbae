"""Accuracy metrics: plain Python floats, not differentiable."""
from __future__ import annotations

from minigrad import backend
from minigrad.core import as_variable, constant
from minigrad.functions.loss._common import as_target, check_same_shape, is_floating
from minigrad.functions.loss.keras import keras_prediction, same_rank

__all__ = ["accuracy", "binary_accuracy"]


def accuracy(y, target):
    """Fraction of rows whose largest score is the target class, as a Python float.

    ``y``: (N, C) logits or probabilities (the argmax is the same);
    ``target``: integer labels (N,) or one-hot / probability rows (N, C).
    Chainer's ``F.accuracy`` (prediction first), what Keras' ``compile(metrics=
    ["accuracy"])`` computes for a categorical loss. For one output per example
    use :func:`binary_accuracy`.
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


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """mean over the last axis of (y_pred > threshold) == y_true, per sample: Keras'
    ``binary_accuracy`` (``y_true`` holds 0 and 1). ``threshold=0.5`` suits
    probabilities; use ``threshold=0.0`` for logits. A Variable without a graph;
    ``.mean()`` of it is the batch accuracy.
    """
    name = "binary_accuracy"
    p = keras_prediction(name, y_true, y_pred, None)
    t, p = same_rank(as_target(y_true, p, name), p)
    check_same_shape(name, p, t)
    xp = p.xp
    hits = xp.astype(xp.astype(p.data > float(threshold), p.dtype) == t.data, p.dtype)
    return constant(hits if hits.ndim == 0 else xp.mean(hits, axis=-1))
