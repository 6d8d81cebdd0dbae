"""Label encodings."""
from __future__ import annotations

from minigrad import backend


def one_hot(labels, num_classes=None, dtype=None):
    """One-hot rows of integer ``labels``: ``out[..., k] = 1 if labels[...] == k else 0``.

    ``num_classes`` defaults to ``max(labels) + 1`` (Keras' ``to_categorical``);
    the result is float32 unless ``dtype`` is given, on the labels' device.
    Labels outside ``[0, num_classes)`` are a ``ValueError``.
    """
    labels = backend.as_array(labels)
    xp = backend.namespace(labels)
    if not xp.isdtype(labels.dtype, "integral"):
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if labels.size == 0:
        raise ValueError("one_hot: labels are empty")
    low = int(backend.to_numpy(xp.min(labels)))
    high = int(backend.to_numpy(xp.max(labels)))
    if num_classes is None:
        num_classes = high + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive int, got {num_classes!r}")
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got values from {low} to {high}"
        )
    classes = backend.as_array(list(range(num_classes)), dtype=labels.dtype,
                               device=backend.device_of(labels))
    hits = xp.expand_dims(labels, axis=-1) == classes
    return xp.astype(hits, dtype or backend.default_float_dtype(xp))


to_categorical = one_hot
