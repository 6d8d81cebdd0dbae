"""Losses as modules, with PyTorch's names and arguments: ``loss_fn = nn.CrossEntropyLoss()``,
then ``loss_fn(input, target)``.

Each module calls the function of :mod:`minigrad.functions` that PyTorch's
module calls (``CrossEntropyLoss`` -> ``F.cross_entropy``, ...), so the
formulas, reductions and checks are those documented there. Class weights are
buffers (saved in ``state_dict``, moved by ``.to(device)``), as in PyTorch.
PyTorch's deprecated ``size_average=`` and ``reduce=`` are not taken: use
``reduction=`` ("mean", "sum" or "none"). A module works as ``compile``'s
``loss``: it is called ``loss(y_pred, y_true)``, PyTorch's order.
"""
from __future__ import annotations

from minigrad import backend
from minigrad import functions as F
from minigrad.core import Variable
from minigrad.functions.loss._common import check_reduction
from minigrad.nn.module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
           "HuberLoss"]


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def _weights(self, **weights):
        for name, value in weights.items():
            if isinstance(value, Variable):
                value = value.data
            self.register_buffer(name, None if value is None else backend.as_array(value))

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)``:
    softmax cross-entropy of **logits** against class indices or probabilities.

    ``CrossEntropyLoss(weight=None, *, ignore_index=-100, reduction="mean",
    label_smoothing=0.0)``.
    """

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self._weights(weight=weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """``F.nll_loss(input, target, weight, ignore_index, reduction)``: negative
    log-likelihood of **log-probabilities** (a model ending in ``LogSoftmax``).

    ``NLLLoss(weight=None, *, ignore_index=-100, reduction="mean")``.
    """

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self._weights(weight=weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """``F.mse_loss(input, target, reduction)``: squared error. ``MSELoss(*, reduction="mean")``."""

    def __init__(self, *, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``F.l1_loss(input, target, reduction)``: absolute error. ``L1Loss(*, reduction="mean")``."""

    def __init__(self, *, reduction="mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """``F.binary_cross_entropy(input, target, weight, reduction)``: binary
    cross-entropy of **probabilities** (after a sigmoid).
    ``BCELoss(weight=None, *, reduction="mean")``; ``weight`` rescales each element
    (broadcast against the input)."""

    decision_threshold = 0.5  # compile's "accuracy" with this loss thresholds probabilities

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__(reduction)
        self._weights(weight=weight)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)``:
    sigmoid and binary cross-entropy of **logits** in one stable step.
    ``BCEWithLogitsLoss(weight=None, *, reduction="mean", pos_weight=None)``."""

    decision_threshold = 0.0  # logits: compile's "accuracy" thresholds them at 0

    def __init__(self, weight=None, *, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self._weights(weight=weight, pos_weight=pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class HuberLoss(_Loss):
    """``F.huber_loss(input, target, reduction, delta)``: squared error within
    ``delta``, absolute error beyond. ``HuberLoss(reduction="mean", delta=1.0)``,
    PyTorch's positional order."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        if not float(delta) > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = float(delta)

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self):
        return ", ".join(filter(None, [super().extra_repr(), f"delta={self.delta}"]))
