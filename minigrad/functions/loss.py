"""Loss functions and the accuracy metric.

Logits-based losses (``softmax_cross_entropy``, ``binary_cross_entropy_with_logits``)
are single fused Functions: stable for logits of any size, with the closed-form
gradient. Losses on probabilities and the regression losses are composites.
Every loss takes ``reduction``: ``"mean"`` (default), ``"sum"`` or ``"none"``.
"""
from __future__ import annotations

import warnings

from minigrad import backend
from minigrad.core import Function, Variable, as_variable, constant, python_number, recording
from minigrad.functions.activation import log_softmax, softmax
from minigrad.functions.array import reshape
from minigrad.functions.math import abs, clip, log, minimum, sigmoid, square
from minigrad.functions.reduction import mean, sum


__all__ = [
    "SoftmaxCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "softmax_cross_entropy",
    "cross_entropy",
    "categorical_crossentropy",
    "binary_cross_entropy",
    "binary_crossentropy",
    "binary_cross_entropy_with_logits",
    "mean_squared_error",
    "mse",
    "mean_absolute_error",
    "mae",
    "huber",
    "huber_loss",
    "accuracy",
    "binary_accuracy",
    "get_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


# -- argument handling ---------------------------------------------------------------

def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


def _is_floating(array):
    return backend.is_floating(array.dtype, backend.namespace(array))


def _as_target(target, like, name, cast=True):
    """``target`` as a Variable on ``like``'s device. Arrays and lists are
    constants; with ``cast``, non-Variable targets take ``like``'s float dtype
    (so float32 predictions keep a float32 loss) and integer ones are cast too."""
    if isinstance(target, Variable):
        if cast and not _is_floating(target.data):
            return constant(target.xp.astype(target.data, like.dtype))
        return target
    try:
        data = backend.as_array(target, device=like.device)
    except TypeError as e:
        raise TypeError(f"{name}: target must be a Variable, an array or a list ({e})") from None
    if cast and data.dtype != like.dtype:
        data = backend.namespace(data).astype(data, like.dtype)
    return constant(data)


def _check_same_shape(name, y, t):
    if y.shape != t.shape:
        raise ValueError(
            f"{name}: prediction shape {y.shape} and target shape {t.shape} differ; "
            f"reshape one of them (broadcasting would pair every prediction with every target)"
        )


def _all_within_unit_interval(data):
    xp = backend.namespace(data)
    # min first: scores from a layer are almost always negative somewhere, and then
    # this costs one reduction
    return data.size == 0 or bool(xp.min(data) >= 0) and bool(xp.max(data) <= 1)


def _class_targets(name, logits, target):
    """Check ``target`` against (N, C) ``logits``: integer labels of shape (N,)
    in [0, C), or floating rows of shape (N, C). Returns it as a Variable."""
    if logits.ndim != 2:
        raise ValueError(f"{name}: expected predictions of shape (N, C), got {logits.shape}")
    t = _as_target(target, logits, name, cast=False)
    n, c = logits.shape
    xp = t.xp
    if not _is_floating(t.data):
        if not xp.isdtype(t.dtype, "integral"):
            raise TypeError(f"{name}: integer class labels or float rows expected, got {t.dtype}")
        if t.shape != (n,):
            raise ValueError(
                f"{name}: integer labels must have shape (N,) = ({n},) for predictions of "
                f"shape {logits.shape}, got {t.shape}"
            )
        if n:
            lo, hi = int(xp.min(t.data)), int(xp.max(t.data))
            if lo < 0 or hi >= c:
                bad = lo if lo < 0 else hi
                raise ValueError(f"{name}: label {bad} is out of range [0, {c}) for {c} classes")
        return t
    if t.shape != (n, c):
        hint = "; class labels need an integer dtype" if t.shape == (n,) else ""
        raise ValueError(
            f"{name}: one-hot or probability targets must have the predictions' shape "
            f"{logits.shape}, got {t.shape}{hint}"
        )
    if t.dtype != logits.dtype and not isinstance(target, Variable):
        t = constant(xp.astype(t.data, logits.dtype))
    return t


_CLASS_RANGES = {}  # (array type, C, dtype, device) -> 0, 1, ..., C - 1: made once, not per step


def _one_hot(labels, num_classes, dtype):
    """(N,) integer labels -> (N, C) rows of 0 and 1 in ``dtype``, on the labels' device."""
    xp = backend.namespace(labels)
    device = backend.device_of(labels)
    # the array type first: dtypes of different libraries must not be compared
    key = (type(labels), num_classes, labels.dtype, device)
    classes = _CLASS_RANGES.get(key)
    if classes is None:
        if len(_CLASS_RANGES) > 64:
            _CLASS_RANGES.clear()
        classes = _CLASS_RANGES[key] = backend.as_array(
            list(range(num_classes)), dtype=labels.dtype, device=device)
    return xp.astype(xp.reshape(labels, (-1, 1)) == classes, dtype)


# -- softmax cross-entropy ---------------------------------------------------------------

class SoftmaxCrossEntropy(Function):
    """Per-sample loss_i = -sum_c T_ic log softmax(x_i)_c for logits x (N, C);
    dx = gy (softmax(x) - T),  dt = -gy (1 - eps) log softmax(x) for float targets.

    ``t`` is integer labels (N,) or probability rows (N, C); label smoothing eps
    makes T = (1 - eps) t + eps / C. The forward goes through log-softmax
    (max-shifted), so large logits neither overflow nor give log(0).
    ``reduction`` ("none", "mean" or "sum") is applied inside this one node
    (the gradient of the mean is (softmax - T) / N). When the backward pass is
    not recorded it reuses the forward's softmax and target arrays.
    Paper (label smoothing): Szegedy et al., "Rethinking the Inception
    Architecture for Computer Vision", 2016.
    """

    def __init__(self, label_smoothing=0.0, reduction="none"):
        _check_reduction("SoftmaxCrossEntropy", reduction)
        self.eps = label_smoothing
        self.reduction = reduction

    def _smooth(self, t, num_classes):
        return t if not self.eps else t * (1 - self.eps) + self.eps / num_classes

    def forward(self, x, t):
        xp = self.xp
        # kept for a first-order backward: the softmax, and the labels or target rows
        if not self.eps and not _is_floating(t):  # class labels: the backend's fused kernel
            self.kernels = backend.backend_of(x)
            losses, self.probs = self.kernels.softmax_nll(x, t)
            self.labels, self.target = t, None
        else:
            logp = x - xp.max(x, axis=1, keepdims=True)
            e = xp.exp(logp)
            total = xp.sum(e, axis=1, keepdims=True)
            logp -= xp.log(total)
            e /= total
            self.logp, self.probs = logp, e
            if not _is_floating(t):
                t = _one_hot(t, x.shape[1], x.dtype)
            self.target = self._smooth(t, x.shape[1])
            losses = -xp.sum(self.target * logp, axis=1)
        if self.reduction == "none":
            return losses
        loss = xp.sum(losses)
        return loss / x.shape[0] if self.reduction == "mean" else loss

    def _row_weights(self, gy, n, xp):
        """The upstream gradient of each sample's loss, (N, 1) or a scalar; ``gy``
        is a Variable, or an array when ``xp`` is given."""
        if self.reduction == "none":
            return xp.reshape(gy, (-1, 1)) if xp else reshape(gy, (-1, 1))
        return gy * (1.0 / n) if self.reduction == "mean" else gy

    def backward(self, gy):
        x, t = self.inputs
        need_x, need_t = self.needs_input_grad
        n, c = x.shape
        if not recording():
            g = self._row_weights(gy.data, n, self.xp)
            if self.target is None:  # class labels, which get no gradient
                if not need_x:
                    return None, None
                return constant(self.kernels.softmax_nll_grad(self.probs, self.labels, g)), None
            gx = constant((self.probs - self.target) * g) if need_x else None
            gt = constant(self.logp * g * -(1 - self.eps)) if need_t else None
            return gx, gt
        # the backward is recorded (create_graph): softmax must be a function of x
        g = self._row_weights(gy, n, None)
        if _is_floating(t.data):
            target = self._smooth(t, c)
        else:
            target = constant(self.target if self.target is not None
                            else _one_hot(t.data, c, x.dtype))
        gx = (softmax(x, axis=1) - target) * g if need_x else None
        gt = log_softmax(x, axis=1) * g * -(1 - self.eps) if need_t else None
        return gx, gt


def softmax_cross_entropy(logits, target, label_smoothing=0.0, reduction="mean"):
    """Cross-entropy of softmax(logits) against ``target``, fused and stable.

    ``logits``: (N, C) raw scores (not probabilities); ``target``: integer class
    labels (N,) or one-hot / probability rows (N, C). ``label_smoothing`` eps in
    [0, 1] mixes the target with the uniform distribution as PyTorch does:
    T = (1 - eps) t + eps / C. The gradient of the mean is (softmax - T) / N.
    Keras: ``CategoricalCrossentropy(from_logits=True)``; PyTorch: ``F.cross_entropy``.
    Warns when the logits look like probabilities (rows in [0, 1] summing to 1).
    """
    name = "softmax_cross_entropy"
    _check_reduction(name, reduction)
    label_smoothing = python_number(label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    logits = as_variable(logits)
    t = _class_targets(name, logits, target)
    if logits.shape[1] > 1 and _looks_like_probabilities(logits.data):
        warnings.warn(
            f"{name}: the logits look like probabilities (every row is in [0, 1] and sums "
            f"to 1); pass the scores before softmax, or use cross_entropy for probabilities",
            UserWarning, stacklevel=2,
        )
    return SoftmaxCrossEntropy(label_smoothing, reduction)(logits, t)


def _looks_like_probabilities(data):
    xp = backend.namespace(data)
    return _all_within_unit_interval(data) and bool(
        xp.all(xp.abs(xp.sum(data, axis=1) - 1) <= 1e-3))


# -- cross-entropy on probabilities ---------------------------------------------------------

def cross_entropy(probs, target, eps=1e-7, reduction="mean"):
    """loss_i = -sum_c t_ic log(clip(p_ic, eps, 1 - eps)) for probabilities p (N, C).

    ``target``: integer labels (N,) or one-hot / probability rows (N, C). The
    clip keeps log finite (as Keras' ``categorical_crossentropy``; rows are used
    as given, not renormalised); its gradient is zero where p was clipped.
    Unlike PyTorch's ``F.cross_entropy`` this takes probabilities: for logits use
    :func:`softmax_cross_entropy`. Warns when ``probs`` leave [0, 1].
    """
    name = "cross_entropy"
    _check_reduction(name, reduction)
    probs = as_variable(probs)
    t = _class_targets(name, probs, target)
    _warn_unless_probabilities(name, probs, "softmax_cross_entropy")
    if not _is_floating(t.data):
        t = constant(_one_hot(t.data, probs.shape[1], probs.dtype))
    loss = -sum(t * log(clip(probs, eps, 1 - eps)), axis=1)
    return _reduce(loss, reduction)


def _warn_unless_probabilities(name, p, instead):
    if not _all_within_unit_interval(p.data):
        warnings.warn(
            f"{name}: the predictions leave [0, 1], so they are not probabilities; "
            f"for logits use {instead}", UserWarning, stacklevel=3,
        )


def binary_cross_entropy(p, target, eps=1e-7, reduction="mean"):
    """loss = -(t log p' + (1 - t) log(1 - p')) elementwise, p' = clip(p, eps, 1 - eps).

    ``p`` are probabilities (after sigmoid) and ``target`` has the same shape
    (0/1 labels or soft targets). Keras: ``binary_crossentropy``; PyTorch:
    ``F.binary_cross_entropy``. Warns when ``p`` leaves [0, 1].
    """
    name = "binary_cross_entropy"
    _check_reduction(name, reduction)
    p = as_variable(p)
    t = _as_target(target, p, name)
    _check_same_shape(name, p, t)
    _warn_unless_probabilities(name, p, "binary_cross_entropy_with_logits")
    pc = clip(p, eps, 1 - eps)
    return _reduce(-(t * log(pc) + (1 - t) * log(1 - pc)), reduction)


class BinaryCrossEntropyWithLogits(Function):
    """loss = max(x, 0) - x t + log(1 + e^-|x|) elementwise (= -t log s - (1-t) log(1-s),
    s = sigmoid(x), without overflow);  dx = gy (sigmoid(x) - t),  dt = -gy x."""

    def forward(self, x, t):
        xp = self.xp
        return xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        x, t = self.inputs
        gx = gy * (sigmoid(x) - t) if self.needs_input_grad[0] else None
        gt = -gy * x if self.needs_input_grad[1] else None
        return gx, gt


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy of sigmoid(logits) against ``target`` (same shape), fused
    and stable for logits of any size. PyTorch: ``F.binary_cross_entropy_with_logits``;
    Keras: ``BinaryCrossentropy(from_logits=True)``.

    Warns when the logits look like probabilities: every value in [0, 1] although
    some target is below 0.5 (a logit in [0, 1] predicts the positive class, so a
    model emitting such logits for negative examples most likely applied sigmoid).
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    logits = as_variable(logits)
    t = _as_target(target, logits, name)
    _check_same_shape(name, logits, t)
    if logits.size > 1 and _all_within_unit_interval(logits.data) and bool(
            t.xp.any(t.data < 0.5)):
        warnings.warn(
            f"{name}: the logits look like probabilities (all in [0, 1] although some "
            f"targets are 0); pass the scores before sigmoid, or use binary_cross_entropy",
            UserWarning, stacklevel=2,
        )
    return _reduce(BinaryCrossEntropyWithLogits()(logits, t), reduction)


# -- regression ---------------------------------------------------------------------------

def _residual(name, y, target, reduction):
    _check_reduction(name, reduction)
    y = as_variable(y)
    t = _as_target(target, y, name)
    _check_same_shape(name, y, t)
    return y - t


def mean_squared_error(y, target, reduction="mean"):
    """loss = (y - t)^2 elementwise, then reduced. Keras ``mse``, PyTorch ``MSELoss``."""
    return _reduce(square(_residual("mean_squared_error", y, target, reduction)), reduction)


def mean_absolute_error(y, target, reduction="mean"):
    """loss = |y - t| elementwise, then reduced. Keras ``mae``, PyTorch ``L1Loss``."""
    return _reduce(abs(_residual("mean_absolute_error", y, target, reduction)), reduction)


def huber(y, target, delta=1.0, reduction="mean"):
    """loss = r^2 / 2 where |r| <= delta, else delta (|r| - delta / 2), with r = y - t.

    Computed as q^2 / 2 + delta (|r| - q) with q = min(|r|, delta). Keras ``Huber``,
    PyTorch ``HuberLoss``. Paper: Huber, "Robust Estimation of a Location
    Parameter", 1964.
    """
    if not delta > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    a = abs(_residual("huber", y, target, reduction))
    q = minimum(a, delta)
    return _reduce(square(q) * 0.5 + (a - q) * delta, reduction)


# -- metrics ---------------------------------------------------------------------------

def accuracy(y, target):
    """Fraction of rows whose largest score is the target class, as a Python float.

    ``y``: (N, C) logits or probabilities (the argmax is the same);
    ``target``: integer labels (N,) or one-hot / probability rows (N, C).
    Not differentiable. For one output per example use :func:`binary_accuracy`.
    """
    y = as_variable(y)
    t = _class_targets("accuracy", y, target).data
    xp = y.xp
    if _is_floating(t):
        t = xp.argmax(t, axis=1)
    if y.shape[0] == 0:
        return float("nan")
    hits = xp.astype(xp.argmax(y.data, axis=1) == xp.astype(t, xp.int64), y.dtype)
    return float(backend.to_numpy(xp.mean(hits)))


def binary_accuracy(y, target, threshold=0.5):
    """Fraction of elements with (y > threshold) == (t > 0.5), as a Python float.

    ``threshold=0.5`` suits probabilities; use ``threshold=0.0`` for logits.
    """
    y = as_variable(y)
    t = _as_target(target, y, "binary_accuracy")
    _check_same_shape("binary_accuracy", y, t)
    xp = y.xp
    hits = xp.astype((y.data > python_number(threshold)) == (t.data > 0.5), y.dtype)
    return float(backend.to_numpy(xp.mean(hits))) if y.size else float("nan")


categorical_crossentropy = cross_entropy
binary_crossentropy = binary_cross_entropy
mse = mean_squared_error
mae = mean_absolute_error
huber_loss = huber

_LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "cross_entropy_with_logits": softmax_cross_entropy,
    "categorical_crossentropy": cross_entropy,
    "sparse_categorical_crossentropy": cross_entropy,
    "cross_entropy": cross_entropy,
    "binary_crossentropy": binary_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
    "huber": huber,
    "huber_loss": huber,
}


def get_loss(name):
    """The loss function called ``name`` (Keras names work); a callable is returned as is.

    Logits: ``"softmax_cross_entropy"`` / ``"cross_entropy_with_logits"``,
    ``"binary_cross_entropy_with_logits"``. Probabilities, as in Keras:
    ``"categorical_crossentropy"`` (one-hot targets) and
    ``"sparse_categorical_crossentropy"`` (integer labels) both map to
    :func:`cross_entropy`, which takes either; ``"binary_crossentropy"``.
    Regression: ``"mse"``, ``"mae"``, ``"huber"`` and their long names.
    """
    if callable(name):
        return name
    if isinstance(name, str) and name.lower() in _LOSSES:
        return _LOSSES[name.lower()]
    raise ValueError(f"unknown loss {name!r}; valid names: {', '.join(sorted(_LOSSES))}")
