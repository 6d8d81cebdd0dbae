"""Softmax cross-entropy on logits: PyTorch's ``F.cross_entropy``, fused and stable."""
from __future__ import annotations

import warnings

from minigrad import backend
from minigrad.core import Function, Variable, as_variable, constant, recording
from minigrad.functions.activation import log_softmax, softmax
from minigrad.functions.array import reshape, transpose
from minigrad.functions.loss._common import (
    as_target,
    check_labels_reading,
    check_reduction,
    is_floating,
    looks_like_probabilities,
    one_hot,
)
from minigrad.functions.reduction import sum

__all__ = ["SoftmaxCrossEntropy", "cross_entropy", "softmax_cross_entropy"]


class SoftmaxCrossEntropy(Function):
    """loss_i = -sum_c W_ic log softmax(x_i)_c for logits x (M, C);
    dx_i = gy_i (softmax(x_i) sum_c W_ic - W_i),  dt = -gy (1 - eps) w log softmax(x).

    The target weights are W_ic = w_c T_ic: T is the one-hot label or the
    probability row t, label-smoothed to (1 - eps) T + eps / C; w are the class
    weights (default 1); rows whose label is ``ignore_index`` have W = 0.
    ``reduction`` is applied inside this one node: "sum", "none", or "mean",
    which divides by sum_i w_(y_i) over the rows not ignored for labels and by M
    for probability rows (PyTorch's rule); a mean over nothing is nan, with a
    zero gradient. Plain labels (no weights, smoothing or ignored rows) go
    through the backend's fused kernel. When the backward pass is not recorded
    it reuses the forward's softmax and target weights.
    Paper (label smoothing): Szegedy et al., "Rethinking the Inception
    Architecture for Computer Vision", 2016.
    """

    def __init__(self, label_smoothing=0.0, reduction="none", weight=None, ignore_index=None):
        check_reduction("SoftmaxCrossEntropy", reduction)
        self.eps = label_smoothing
        self.reduction = reduction
        self.weight = weight  # (C,) array in the logits' dtype, or None
        self.ignore_index = ignore_index  # only given when some label equals it

    def _smooth(self, t, num_classes):
        return t if not self.eps else t * (1 - self.eps) + self.eps / num_classes

    def forward(self, x, t):
        labels = not is_floating(t)
        if labels and not self.eps and self.weight is None and self.ignore_index is None:
            losses, count = self._plain_labels(x, t)
        else:
            losses, count = self._weighted(x, t, labels)
        return self._reduce(losses, count)

    def _plain_labels(self, x, t):
        """The backend's fused kernel: W is one-hot, each row sums to 1."""
        self.kernels = backend.backend_of(x)
        losses, self.probs = self.kernels.softmax_nll(x, t)
        self.labels, self.W = t, None
        return losses, x.shape[0]

    def _weighted(self, x, t, labels):
        """The target weights W spelled out: smoothing, class weights, ignored rows.
        Returns the losses and the denominator of the mean."""
        xp = self.xp
        n, c = x.shape
        logp = x - xp.max(x, axis=1, keepdims=True)
        e = xp.exp(logp)
        total = xp.sum(e, axis=1, keepdims=True)
        logp -= xp.log(total)
        e /= total
        self.logp, self.probs = logp, e
        if labels:
            picked = one_hot(t, c, x.dtype)
            if self.ignore_index is not None:
                picked = picked * xp.astype(xp.reshape(t != self.ignore_index, (-1, 1)), x.dtype)
            W = self._smooth(picked, c)
            if self.eps and self.ignore_index is not None:
                W = W * xp.sum(picked, axis=1, keepdims=True)  # ignored rows: no eps / C either
        else:
            W = self._smooth(t, c)
        if self.weight is not None:
            W = W * self.weight
        self.W, self.W_sum = W, xp.sum(W, axis=1, keepdims=True)
        losses = -xp.sum(W * logp, axis=1)
        if not labels or (self.weight is None and self.ignore_index is None):
            return losses, n
        # PyTorch's denominator: the weights of the target classes of the rows kept
        return losses, xp.sum(picked if self.weight is None else picked * self.weight)

    def _reduce(self, losses, count):
        if self.reduction == "none":
            return losses
        loss = self.xp.sum(losses)
        if self.reduction == "sum":
            return loss
        if count == 0:  # an empty batch, every label ignored, or zero total weight
            warnings.warn("cross_entropy: the mean over no targets (empty batch, every label "
                          "ignore_index, or class weights summing to 0) is nan",
                          RuntimeWarning, stacklevel=5)
            self.scale = 0.0
            return loss * float("nan")
        self.scale = 1.0 / count
        return loss / count

    def _row_weights(self, gy, xp):
        """The upstream gradient of each row's loss, (M, 1) or a scalar; ``gy`` is a
        Variable, or an array when ``xp`` is given."""
        if self.reduction == "none":
            return xp.reshape(gy, (-1, 1)) if xp else reshape(gy, (-1, 1))
        if self.reduction == "sum":
            return gy
        if xp or isinstance(self.scale, float):
            return gy * self.scale
        return gy * constant(self.scale)

    def backward(self, gy):
        x, t = self.inputs
        need_x, need_t = self.needs_input_grad
        c = x.shape[1]
        w = self.weight
        if not recording():
            g = self._row_weights(gy.data, self.xp)
            if self.W is None:  # plain class labels, which get no gradient
                if not need_x:
                    return None, None
                return constant(self.kernels.softmax_nll_grad(self.probs, self.labels, g)), None
            gx = constant((self.probs * self.W_sum - self.W) * g) if need_x else None
            gt = None
            if need_t:
                dt = self.logp * g * -(1 - self.eps)
                gt = constant(dt if w is None else dt * w)
            return gx, gt
        # the backward is recorded (create_graph): softmax must be a function of x
        g = self._row_weights(gy, None)
        if is_floating(t.data):
            W = self._smooth(t, c)
            W = W if w is None else W * constant(w)
            W_sum = sum(W, axis=1, keepdims=True)
        elif self.W is None:
            W, W_sum = constant(one_hot(t.data, c, x.dtype)), 1
        else:
            W, W_sum = constant(self.W), constant(self.W_sum)
        gx = (softmax(x, axis=1) * W_sum - W) * g if need_x else None
        gt = None
        if need_t:
            gt = log_softmax(x, axis=1) * g * -(1 - self.eps)
            gt = gt if w is None else gt * constant(w)
        return gx, gt


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of softmax(input) against ``target``, as PyTorch's ``F.cross_entropy``.

    ``input``: logits (raw scores, not probabilities) of shape (N, C), (C,), or
    (N, C, d1, ..., dK) with the classes on axis 1. ``target``: integer class
    indices of shape (N,), (), or (N, d1, ..., dK); or class probabilities of
    ``input``'s shape. Per element, with p = softmax over the classes:

        loss = -sum_c w_c T_c log p_c,   T = (1 - eps) t + eps / C,

    t the one-hot label or probability row, eps = ``label_smoothing`` in [0, 1],
    w = ``weight`` (a length-C array, default all 1). ``ignore_index`` (class
    indices only, default -100): elements with that label contribute nothing.
    ``reduction="mean"`` divides the sum by sum_i w_(y_i) over the elements not
    ignored (class indices; so a weighted mean) or by the element count
    (probabilities), as torch.nn.CrossEntropyLoss documents; ``"sum"``;
    ``"none"`` keeps shape (N, d1, ..., dK). Fused and stable for logits of any
    size; gradient of the plain mean: (softmax - onehot) / N.

    Warns when ``input`` looks like probabilities (every class slice in [0, 1]
    summing to 1): for probabilities use ``categorical_crossentropy``.
    ``softmax_cross_entropy`` is the same function (Chainer's name).
    """
    name = "cross_entropy"
    check_reduction(name, reduction)
    label_smoothing = float(label_smoothing)  # a numpy scalar would promote float32 arrays
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
    x = as_variable(input)
    if x.ndim == 0:
        raise ValueError(f"{name}: expected logits of shape (N, C) or (N, C, d1, ...), got ()")
    class_axis = 1 if x.ndim > 1 else 0
    c = x.shape[class_axis]
    element_shape = x.shape[:class_axis] + x.shape[class_axis + 1:]
    t = _class_target(name, x, target, element_shape)
    labels = not is_floating(t.data)
    ignored, low = False, None
    if labels:
        ignored, (low, _) = check_labels_reading(name, t.data, c, x.data, ignore_index)
    w = _class_weights(name, weight, x, c)
    if c > 1 and x.size and looks_like_probabilities(x.data, class_axis, low):
        warnings.warn(
            f"{name}: the input looks like probabilities (every class slice is in [0, 1] "
            f"and sums to 1); pass the logits (scores before softmax), or use "
            f"categorical_crossentropy for probabilities", UserWarning, stacklevel=2,
        )
    fn = SoftmaxCrossEntropy(label_smoothing, reduction, w, ignore_index if ignored else None)
    loss = fn(*_as_rows(x, t, labels))
    return reshape(loss, element_shape) if reduction == "none" else loss


softmax_cross_entropy = cross_entropy


def _class_target(name, x, target, element_shape):
    """``target`` checked against logits ``x``: integer labels of ``element_shape``,
    or floating probabilities of ``x``'s shape (in ``x``'s dtype unless a Variable)."""
    t = as_target(target, x, name, cast=False)
    if not is_floating(t.data):
        if not t.xp.isdtype(t.dtype, "integral"):
            raise TypeError(f"{name}: integer class indices or float probabilities expected, "
                            f"got {t.dtype}")
        if t.shape != element_shape:
            raise ValueError(
                f"{name}: class indices must have shape {element_shape} for input of shape "
                f"{x.shape} (the classes on axis {1 if x.ndim > 1 else 0}), got {t.shape}")
        return t
    if t.shape != x.shape:
        hint = "; class indices need an integer dtype" if t.shape == element_shape else ""
        raise ValueError(
            f"{name}: class probabilities must have the input's shape {x.shape}, "
            f"got {t.shape}{hint}")
    if t.dtype != x.dtype and not isinstance(target, Variable):
        t = constant(t.xp.astype(t.data, x.dtype))
    return t


def _class_weights(name, weight, x, num_classes):
    """``weight`` as a (C,) array in ``x``'s dtype on its device, or None. The
    weights are constants: no gradient flows to them, as in PyTorch."""
    if weight is None:
        return None
    data = weight.data if isinstance(weight, Variable) else backend.as_array(
        weight, device=x.device)
    if tuple(data.shape) != (num_classes,):
        raise ValueError(f"{name}: weight must have one entry per class, shape "
                         f"({num_classes},), got {tuple(data.shape)}")
    if backend.device_of(data) != x.device:
        raise ValueError(f"{name}: weight is on {backend.device_of(data)}, input on {x.device}")
    return backend.namespace(data).astype(data, x.dtype)


def _as_rows(x, t, labels):
    """Logits as (M, C) rows with the classes last, and the target as (M,) labels
    or (M, C) rows to match."""
    if x.ndim == 2:
        return x, t
    if x.ndim == 1:
        return reshape(x, (1, -1)), reshape(t, (1,) if labels else (1, -1))
    classes_last = (0, *range(2, x.ndim), 1)
    c = x.shape[1]
    rows = reshape(transpose(x, classes_last), (-1, c))
    return rows, reshape(t, (-1,)) if labels else reshape(transpose(t, classes_last), (-1, c))
