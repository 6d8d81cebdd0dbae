"""What every loss shares: reductions, targets on the prediction's device, shape checks."""
from __future__ import annotations

import math

from minigrad import backend
from minigrad.core import Variable, constant
from minigrad.functions.reduction import empty_mean_warning, mean, sum

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def reduce(name, loss, reduction):
    """``loss`` averaged, summed or kept. The mean of no elements (an empty batch)
    is nan with numpy's RuntimeWarning, naming the loss."""
    if reduction == "mean":
        if loss.size == 0:
            empty_mean_warning(name, loss.shape)
            return sum(loss) * math.nan
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


def is_floating(array):
    return backend.is_floating(array.dtype, backend.namespace(array))


def as_target(target, like, name, cast=True):
    """``target`` as a Variable on ``like``'s device. Arrays and lists are
    constants; with ``cast``, non-Variable targets take ``like``'s float dtype
    (so float32 predictions keep a float32 loss) and integer ones are cast too."""
    if isinstance(target, Variable):
        if cast and not is_floating(target.data):
            return constant(target.xp.astype(target.data, like.dtype))
        return target
    try:
        data = backend.as_array(target, device=like.device)
    except TypeError as e:
        raise TypeError(f"{name}: target must be a Variable, an array or a list ({e})") from None
    if cast and data.dtype != like.dtype:
        data = backend.namespace(data).astype(data, like.dtype)
    return constant(data)


def check_same_shape(name, y, t):
    if y.shape != t.shape:
        raise ValueError(
            f"{name}: prediction shape {y.shape} and target shape {t.shape} differ; "
            f"reshape one of them (broadcasting would pair every prediction with every target)"
        )


def within_unit_interval(data, low=None, high=None):
    """Every entry in [0, 1]. ``low``, ``high``: min and max of ``data`` when already
    read; else the min is read first: scores from a layer are almost always
    negative somewhere, and then this costs one reduction."""
    if data.size == 0:
        return True
    xp = backend.namespace(data)
    if low is None:
        low, = backend.host_values(xp.min(data))
    if not low >= 0:  # nan too
        return False
    if high is None:
        high, = backend.host_values(xp.max(data))
    return high <= 1


def looks_like_probabilities(data, axis, low=None):
    """Every entry in [0, 1] and every slice along ``axis`` summing to 1 (within 1e-3).
    ``low``: min of ``data`` when already read."""
    xp = backend.namespace(data)
    return within_unit_interval(data, low) and bool(
        xp.all(xp.abs(xp.sum(data, axis=axis) - 1) <= 1e-3))


def read_bounds(data):
    """``(min, max)`` of ``data`` in one transfer, for data expected in [0, 1], where the
    min alone decides nothing; ``(None, None)`` when empty."""
    if data.size == 0:
        return None, None
    xp = backend.namespace(data)
    return tuple(backend.host_values(xp.min(data), xp.max(data)))


_CLASS_RANGES = {}  # (array type, C, dtype, device) -> 0, 1, ..., C - 1: made once, not per step


def one_hot(labels, num_classes, dtype):
    """(N,) integer labels -> (N, C) rows of 0 and 1 in ``dtype``, on the labels' device.
    A label outside [0, C) (an ignored one) gives a row of zeros."""
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


def _min_max(xp, labels):
    """``(min, max)`` of integer ``labels`` as exact Python ints, in one transfer."""
    lo, hi = backend.to_numpy(xp.stack([xp.min(labels), xp.max(labels)])).tolist()
    return lo, hi


def check_label_range(name, labels, num_classes, ignore_index=None, label_bounds=None):
    """Raise unless every label is in [0, C) or equals ``ignore_index``. Returns
    whether some label equals ``ignore_index``. ``label_bounds``: the labels'
    (min, max) when already read as floats (see :func:`check_labels_reading`)."""
    if labels.size == 0:
        return False
    xp = backend.namespace(labels)
    if label_bounds is None or max(-label_bounds[0], label_bounds[1]) >= 2**53:
        lo, hi = _min_max(xp, labels)  # float64 may have rounded them: the exact ints
    else:
        lo, hi = (int(v) for v in label_bounds)
    ignored = False
    if ignore_index is not None and lo <= ignore_index <= hi:
        is_ignored = labels == ignore_index
        ignored = bool(xp.any(is_ignored))
        if ignored:
            kept = labels[~is_ignored]
            if kept.size == 0:
                return True
            lo, hi = _min_max(xp, kept)
    if lo < 0 or hi >= num_classes:
        bad = lo if lo < 0 else hi
        also = "" if ignore_index is None else f" and is not ignore_index={ignore_index}"
        raise ValueError(
            f"{name}: label {bad} is out of range [0, {num_classes}) for {num_classes} "
            f"classes{also}")
    return ignored


def check_labels_reading(name, labels, num_classes, scores, ignore_index=None,
                         probabilities=False):
    """:func:`check_label_range`, with the min of ``scores`` (and, when they should be
    ``probabilities``, their max) read in the same transfer as the labels' min and
    max: a loss's label check and probability check wait for a GPU once, not twice.
    Returns whether some label is ``ignore_index``, and the scores' (min, max) read
    (None where not read), for :func:`within_unit_interval`."""
    if labels.size == 0 or scores.size == 0:
        return check_label_range(name, labels, num_classes, ignore_index), (None, None)
    xp = backend.namespace(labels)
    wanted = [xp.min(labels), xp.max(labels), xp.min(scores)]
    lo, hi, low, *high = backend.host_values(*wanted, *([xp.max(scores)] if probabilities else []))
    ignored = check_label_range(name, labels, num_classes, ignore_index, (lo, hi))
    return ignored, (low, high[0] if high else None)
