"""Loss functions and accuracy metrics.

A name shared with PyTorch means what it means in PyTorch, a name shared with
Keras what it means in Keras (docs/names.md):

* PyTorch's (``input``, ``target``) losses with ``reduction`` ("mean" default,
  "sum", "none"): ``cross_entropy`` (logits; alias ``softmax_cross_entropy``),
  ``binary_cross_entropy`` (probabilities), ``binary_cross_entropy_with_logits``,
  ``nll_loss`` (log-probabilities), ``mse_loss``, ``l1_loss``, ``huber_loss``;
* Keras' (``y_true``, ``y_pred``) per-sample losses on probabilities
  (``from_logits=False``): ``categorical_crossentropy``,
  ``sparse_categorical_crossentropy``, ``binary_crossentropy``, ``mse``, ``mae``,
  ``huber`` and their long names.

The logits losses are single fused Functions: stable for logits of any size,
with the closed-form gradient.
"""
from __future__ import annotations

from minigrad.core import as_variable
from minigrad.functions.loss._common import as_target, is_floating, reduce
from minigrad.functions.loss.binary import *  # noqa: F401,F403
from minigrad.functions.loss.binary import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
)
from minigrad.functions.loss.cross_entropy import *  # noqa: F401,F403
from minigrad.functions.loss.cross_entropy import cross_entropy
from minigrad.functions.loss.keras import *  # noqa: F401,F403
from minigrad.functions.loss.keras import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from minigrad.functions.loss.metrics import *  # noqa: F401,F403
from minigrad.functions.loss.nll import nll_loss
from minigrad.functions.loss.metrics import binary_accuracy
from minigrad.functions.loss.regression import *  # noqa: F401,F403
from minigrad.functions.loss.regression import huber_loss, l1_loss, mse_loss

__all__ = [
    "SoftmaxCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "cross_entropy",
    "softmax_cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mse",
    "mean_absolute_error",
    "mae",
    "huber",
    "accuracy",
    "binary_accuracy",
    "get_loss",
]


def _batch_mean(name, per_sample):
    """Keras' loss or metric ``per_sample(y_true, y_pred)`` as compile calls one,
    ``loss(y_pred, y_true)``, averaged over the batch (Keras' default reduction)."""
    def loss(y_pred, y_true):
        return reduce(name, per_sample(y_true, y_pred), "mean")
    loss.__name__ = loss.__qualname__ = name
    return loss


def _categorical_batch_mean(name):
    """Keras' categorical cross-entropies for compile: integer labels take the sparse
    form and one-hot rows the dense one, whichever of the two names was given."""
    def loss(y_pred, y_true):
        labels = not is_floating(as_target(y_true, as_variable(y_pred), name, cast=False).data)
        per_sample = sparse_categorical_crossentropy if labels else categorical_crossentropy
        return reduce(name, per_sample(y_true, y_pred), "mean")
    loss.__name__ = loss.__qualname__ = name
    return loss


_COMPILE_FORMS = {  # Keras' per-sample functions -> what compile calls
    categorical_crossentropy: _categorical_batch_mean("categorical_crossentropy"),
    sparse_categorical_crossentropy: _categorical_batch_mean("sparse_categorical_crossentropy"),
    binary_crossentropy: _batch_mean("binary_crossentropy", binary_crossentropy),
    mean_squared_error: _batch_mean("mean_squared_error", mean_squared_error),
    mean_absolute_error: _batch_mean("mean_absolute_error", mean_absolute_error),
    huber: _batch_mean("huber", huber),
    binary_accuracy: _batch_mean("binary_accuracy", binary_accuracy),
}

_LOSSES = {
    # logits, PyTorch's and Chainer's names
    "cross_entropy": cross_entropy,
    "softmax_cross_entropy": cross_entropy,
    "cross_entropy_with_logits": cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    # log-probabilities (a model ending in log_softmax)
    "nll_loss": nll_loss,
    # probabilities: PyTorch's BCE, and Keras' names with Keras' meaning
    "binary_cross_entropy": binary_cross_entropy,
    "categorical_crossentropy": _COMPILE_FORMS[categorical_crossentropy],
    "sparse_categorical_crossentropy": _COMPILE_FORMS[sparse_categorical_crossentropy],
    "binary_crossentropy": _COMPILE_FORMS[binary_crossentropy],
    # regression
    "mse": _COMPILE_FORMS[mean_squared_error],
    "mean_squared_error": _COMPILE_FORMS[mean_squared_error],
    "mse_loss": mse_loss,
    "mae": _COMPILE_FORMS[mean_absolute_error],
    "mean_absolute_error": _COMPILE_FORMS[mean_absolute_error],
    "l1_loss": l1_loss,
    "huber": _COMPILE_FORMS[huber],
    "huber_loss": huber_loss,
}

_BINARY_THRESHOLDS = {
    binary_cross_entropy: 0.5,
    _COMPILE_FORMS[binary_crossentropy]: 0.5,
    binary_cross_entropy_with_logits: 0.0,
}


def get_loss(name):
    """The loss ``loss(y_pred, y_true) -> scalar`` that ``compile`` and the training
    tools call, for a name or a function.

    Names mean what they mean in Keras' ``compile`` or in PyTorch. Logits:
    ``"cross_entropy"`` (PyTorch's; also ``"softmax_cross_entropy"``,
    ``"cross_entropy_with_logits"``), ``"binary_cross_entropy_with_logits"``.
    Log-probabilities: ``"nll_loss"`` (PyTorch's).
    Probabilities: ``"categorical_crossentropy"`` and
    ``"sparse_categorical_crossentropy"`` (Keras'; either takes one-hot rows or
    integer labels), ``"binary_crossentropy"`` (Keras', clipped at 1e-7),
    ``"binary_cross_entropy"`` (PyTorch's). Regression: ``"mse"``, ``"mae"``,
    ``"huber"`` (Keras') and ``"mse_loss"``, ``"l1_loss"``, ``"huber_loss"``
    (PyTorch's); each pair agrees on the batch mean.

    A function is returned as is, except Keras' per-sample functions of this
    module (``F.categorical_crossentropy``, ``F.mse``, ``F.binary_accuracy``, ...),
    which compile uses as Keras does: argument order ``(y_true, y_pred)``,
    averaged over the batch.
    """
    if callable(name):
        try:
            return _COMPILE_FORMS.get(name, name)
        except TypeError:  # an unhashable callable is not one of them
            return name
    if isinstance(name, str) and name.lower() in _LOSSES:
        return _LOSSES[name.lower()]
    raise ValueError(f"unknown loss {name!r}; valid names: {', '.join(sorted(_LOSSES))}")


def binary_threshold(loss):
    """The decision threshold of a binary loss from :func:`get_loss`: 0.5 on
    probabilities, 0.0 on logits (also a loss object's ``decision_threshold``, as
    ``nn.BCELoss`` has); None for other losses."""
    try:
        found = _BINARY_THRESHOLDS.get(loss)
    except TypeError:  # unhashable: not one of them
        found = None
    return found if found is not None else getattr(loss, "decision_threshold", None)
