"""Inverted dropout."""
from __future__ import annotations

import numbers

from minigrad import backend, config
from minigrad.core import Function, as_variable, constant, python_number, recording


__all__ = [
    "Dropout",
    "dropout",
]


class Dropout(Function):
    """y = x * m with a fixed mask m = keep / (1 - rate) (keep is 0 or 1);  dx = gy * m.

    Paper: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks
    from Overfitting", JMLR 2014.
    """

    def __init__(self, scaled_mask):
        self.scaled_mask = scaled_mask

    def forward(self, x):
        return x * self.scaled_mask

    def backward(self, gy):
        if recording():
            return gy * constant(self.scaled_mask)
        return constant(gy.data * self.scaled_mask)


def check_rate(name, rate):
    """``rate`` as a Python number; ValueError unless it is a real number in [0, 1)."""
    if type(rate) is float and 0 <= rate < 1:  # the common case first: this runs every step
        return rate
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"{name}: rate must be a number in [0, 1), got {rate!r}")
    return python_number(rate)


def dropout(x, rate=0.5, training=None):
    """Inverted dropout: in training, zero each element with probability ``rate``
    and scale the survivors by 1 / (1 - rate), so the expected output equals ``x``;
    otherwise return ``x`` unchanged.

    ``training=None`` follows :func:`minigrad.config.is_training` (off inside
    :func:`minigrad.eval_mode`); ``training=True`` keeps dropout on at prediction
    time for Monte-Carlo dropout. The mask is drawn by the backend's
    ``keep_mask`` (16-bit random integers against a threshold, so the keep
    probability is 1 - rate within 2**-16), seeded by :func:`minigrad.manual_seed`.
    """
    rate = check_rate("dropout", rate)
    if training is None:
        training = config.is_training()
    x = as_variable(x)
    if not training or rate == 0:
        return x
    data = x.data
    array_backend = backend.backend_of(data)
    mask = array_backend.dropout_mask(data.shape, 1.0 - rate, data.dtype,
                                      array_backend.device_of(data))
    return Dropout(mask)(x)
