"""Losses under Keras' names, with Keras' meaning: ``loss(y_true, y_pred)`` per sample.

As ``keras.losses.<name>`` they take the target first, the prediction second,
and return one loss per sample (the mean, or for cross-entropies the sum, over
the last axis), without a reduction; probabilities by default
(``from_logits=False``), clipped to [1e-7, 1 - 1e-7] as Keras' epsilon.
``compile(loss="<name>")`` averages them over the batch, as Keras does.

Called the other way round, with a prediction that requires a gradient as
``y_true`` and a constant as ``y_pred``, they raise instead of returning a
wrong loss.
"""
from __future__ import annotations

import warnings

from minigrad.core import Variable, as_variable, constant
from minigrad.functions.activation import log_softmax
from minigrad.functions.array import reshape, squeeze
from minigrad.functions.loss._common import (
    as_target,
    check_labels_reading,
    check_same_shape,
    is_floating,
    looks_like_probabilities,
    one_hot,
)
from minigrad.functions.loss.binary import BinaryCrossEntropyWithLogits, warn_unless_probabilities
from minigrad.functions.loss.cross_entropy import SoftmaxCrossEntropy
from minigrad.functions.math import abs, clip, log, minimum, square
from minigrad.functions.reduction import mean, sum

__all__ = [
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mse",
    "mean_absolute_error",
    "mae",
    "huber",
]

EPSILON = 1e-7  # keras.backend.epsilon()


def keras_prediction(name, y_true, y_pred, instead):
    """``y_pred`` as a floating Variable, refusing arguments in PyTorch's order."""
    p = as_variable(y_pred)
    if isinstance(y_true, Variable) and y_true.requires_grad and not p.requires_grad:
        hint = f"; for (prediction, target) use F.{instead}" if instead else ""
        raise ValueError(
            f"{name}: y_true requires a gradient and y_pred does not, so the arguments "
            f"look swapped: Keras' order is {name}(y_true, y_pred){hint}")
    if not is_floating(p.data):
        raise TypeError(f"{name}: y_pred must hold floating predictions, got {p.dtype}; "
                        f"Keras' order is {name}(y_true, y_pred)")
    return p


def same_rank(t, p):
    """Keras' squeeze_or_expand_to_same_rank: a rank that differs by one trailing
    axis of size 1 is aligned (targets (N,) with predictions (N, 1) pair row by row)."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        return (squeeze(t, -1), p) if p.ndim != 1 else (t, reshape(p, p.shape + (1,)))
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        return (reshape(t, t.shape + (1,)), p) if t.ndim == 1 else (t, squeeze(p, -1))
    return t, p


def _pair(name, y_true, y_pred, instead):
    p = keras_prediction(name, y_true, y_pred, instead)
    t, p = same_rank(as_target(y_true, p, name), p)
    check_same_shape(name, p, t)
    return t, p


def _warn_if_softmax_output(name, p, axis, low=None):
    if p.shape[axis] > 1 and p.size and looks_like_probabilities(p.data, axis, low):
        warnings.warn(f"{name}: received from_logits=True, but y_pred looks like "
                      f"probabilities (in [0, 1], summing to 1); was that intended?",
                      UserWarning, stacklevel=3)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """loss = -sum_c t_c log p_c over ``axis``, per sample: Keras'
    ``categorical_crossentropy``. ``y_true``: one-hot or probability rows.

    Probabilities are renormalised to sum to 1 over ``axis`` and clipped to
    [1e-7, 1 - 1e-7]; with ``from_logits`` p = softmax(y_pred). Label smoothing
    ls: t = (1 - ls) t + ls / C. Warns when ``y_pred`` leaves [0, 1] (logits
    without ``from_logits``) or has a single class.
    """
    name = "categorical_crossentropy"
    t, p = _pair(name, y_true, y_pred, "cross_entropy")
    c = p.shape[axis]
    label_smoothing = float(label_smoothing)
    if c == 1:
        warnings.warn(f"{name}: y_pred has shape {p.shape}, one class, so the loss is "
                      f"always 0; for two classes use binary_crossentropy",
                      UserWarning, stacklevel=2)
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / c
    if from_logits:
        _warn_if_softmax_output(name, p, axis)
        return -sum(t * log_softmax(p, axis=axis), axis=axis)
    warn_unless_probabilities(name, p, "from_logits=True")
    q = clip(p / sum(p, axis=axis, keepdims=True), EPSILON, 1 - EPSILON)
    return -sum(t * log(q), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """-log p_(y) per sample, for integer class indices ``y_true`` of shape
    y_pred.shape[:-1] (or with a trailing 1): Keras' ``sparse_categorical_crossentropy``.

    Probabilities are renormalised and clipped as in
    :func:`categorical_crossentropy`; with ``from_logits`` it is the fused
    softmax cross-entropy. Classes on the last axis only, as in Keras.
    """
    name = "sparse_categorical_crossentropy"
    p = keras_prediction(name, y_true, y_pred, "cross_entropy")
    if p.ndim == 0 or axis not in (-1, p.ndim - 1):
        raise ValueError(f"{name}: the classes must be on the last axis (axis=-1) of "
                         f"y_pred, got axis={axis} for shape {p.shape}")
    c = p.shape[-1]
    labels = reshape(_class_indices(name, y_true, p), (-1,))
    _, (low, high) = check_labels_reading(name, labels.data, c, p.data,
                                          probabilities=not from_logits)
    rows = reshape(p, (-1, c))
    if from_logits:
        _warn_if_softmax_output(name, p, -1, low)
        losses = SoftmaxCrossEntropy()(rows, labels)
    else:
        warn_unless_probabilities(name, p, "from_logits=True", bounds=(low, high))
        q = clip(rows / sum(rows, axis=1, keepdims=True), EPSILON, 1 - EPSILON)
        losses = -sum(constant(one_hot(labels.data, c, p.dtype)) * log(q), axis=1)
    return reshape(losses, p.shape[:-1])


def _class_indices(name, y_true, p):
    """Integer labels of shape p.shape[:-1]; integral floats are cast, as Keras does."""
    t = as_target(y_true, p, name, cast=False)
    if t.shape == p.shape[:-1] + (1,):
        t = squeeze(t, -1)
    xp = t.xp
    if is_floating(t.data):
        if t.shape == p.shape or not bool(xp.all(t.data == xp.floor(t.data))):
            raise TypeError(f"{name}: y_true must be integer class indices of shape "
                            f"{p.shape[:-1]}, got {t.dtype} values of shape {t.shape}; "
                            f"for one-hot rows use categorical_crossentropy")
        t = constant(xp.astype(t.data, xp.int64))
    if t.shape != p.shape[:-1]:
        raise ValueError(f"{name}: y_true must have shape {p.shape[:-1]} (or with a "
                         f"trailing 1) for y_pred of shape {p.shape}, got {t.shape}")
    return t


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean over ``axis`` of -(t log p + (1 - t) log(1 - p)), per sample: Keras'
    ``binary_crossentropy``, with p clipped to [1e-7, 1 - 1e-7] (with
    ``from_logits``, the stable form on logits). Label smoothing ls:
    t = (1 - ls) t + ls / 2."""
    name = "binary_crossentropy"
    t, p = _pair(name, y_true, y_pred, "binary_cross_entropy")
    label_smoothing = float(label_smoothing)
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return mean(BinaryCrossEntropyWithLogits()(p, t), axis=axis)
    warn_unless_probabilities(name, p, "from_logits=True")
    q = clip(p, EPSILON, 1 - EPSILON)
    return mean(-(t * log(q) + (1 - t) * log(1 - q)), axis=axis)


def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true)^2) over the last axis, per sample: Keras' ``mse``."""
    t, p = _pair("mean_squared_error", y_true, y_pred, "mse_loss")
    return mean(square(p - t), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|) over the last axis, per sample: Keras' ``mae``."""
    t, p = _pair("mean_absolute_error", y_true, y_pred, "l1_loss")
    return mean(abs(p - t), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """mean over the last axis of r^2 / 2 where |r| <= delta, else delta (|r| - delta / 2),
    r = y_pred - y_true: Keras' ``huber``."""
    name = "huber"
    delta = float(delta)
    if not delta > 0:
        raise ValueError(f"{name}: delta must be positive, got {delta}")
    t, p = _pair(name, y_true, y_pred, "huber_loss")
    a = abs(p - t)
    q = minimum(a, delta)
    return mean(square(q) * 0.5 + (a - q) * delta, axis=-1)


mse = mean_squared_error
mae = mean_absolute_error
