"""Matrix products: matmul with numpy's semantics, and the fused dense layer.

``dense`` takes the kernel as Keras' ``Dense`` stores it, (in_features,
out_features); ``linear`` is PyTorch's ``F.linear``, weight (out_features, in_features).
"""
from __future__ import annotations

from minigrad import backend
from minigrad.core import Function, Variable, constant, recording
from minigrad.functions.array import matrix_transpose, reshape, transpose
from minigrad.functions.reduction import sum


__all__ = [
    "MatMul",
    "Linear",
    "LinearReLU",
    "matmul",
    "dense",
    "linear",
    "linear_relu",
]


class MatMul(Function):
    """y = a @ b for arrays of 2 or more axes (leading axes broadcast);
    da = gy @ b^T, db = a^T @ gy."""

    def forward(self, a, b):
        return self.xp.matmul(a, b)

    def backward(self, gy):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = matmul(gy, matrix_transpose(b)) if need_a else None
        gb = matmul(matrix_transpose(a), gy) if need_b else None
        return ga, gb


class Linear(Function):
    """y = x W + b for x of shape (N, in), W (in, out), b (out,) or None.

    One node instead of MatMul + Add: dx = gy W^T, dW = x^T gy, db = sum_N gy.
    When the backward pass is not recorded (no ``create_graph``), the three
    products are computed on the arrays directly: the same numbers, without
    the five graph nodes (two transposes, two products, a sum) per layer.
    """

    def forward(self, x, W, b=None):
        return self._finish(self.xp.matmul(x, W), b)

    def _finish(self, y, b):
        """The product x W plus the bias, in place."""
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        return self._products(gy)

    def _products(self, gy):
        """The gradients of x, W and b for the upstream gradient ``gy`` of ``x W + b``."""
        x, W = self.inputs[:2]
        need = self.needs_input_grad
        if recording():
            gx = matmul(gy, matrix_transpose(W)) if need[0] else None
            gW = matmul(matrix_transpose(x), gy) if need[1] else None
            gb = sum(gy, axis=0) if len(need) == 3 and need[2] else None
        else:
            xp, g = self.xp, gy.data
            gx = constant(xp.matmul(g, W.data.T)) if need[0] else None
            gW = constant(xp.matmul(x.data.T, g)) if need[1] else None
            gb = constant(xp.sum(g, axis=0)) if len(need) == 3 and need[2] else None
        return (gx, gW) if len(need) == 2 else (gx, gW, gb)


class ProductReLU:
    """The ReLU of a layer's product as part of the layer's node: mixed in before a
    Function whose forward computes ``x W`` and hands it, with the bias, to
    ``_finish``. The bias and the ReLU run in place on the product's buffer (the
    backend's ``relu_`` or ``bias_relu_``: one kernel on CuPy); the output y is kept,
    because y > 0 exactly where the pre-activation is, for :meth:`_through_relu`."""

    def forward(self, x, W, b=None):
        self.kernels = backend.backend_of(x)  # the array library's fused ReLU kernels
        self.y = super().forward(x, W, b)
        return self.y

    def _finish(self, y, b):
        return self.kernels.relu_(y) if b is None else self.kernels.bias_relu_(y, b)

    def _through_relu(self, gy):
        """dz = gy where y > 0, else 0: recorded when the backward pass is."""
        if recording():
            return gy * constant(self.xp.astype(self.y > 0, gy.dtype))
        return constant(self.kernels.where_positive(gy.data, self.y))


class LinearReLU(ProductReLU, Linear):
    """y = max(x W + b, 0) as one node: ``Dense(units, activation="relu")``.

    The bias and the ReLU run in place on the product's buffer (the backend's
    ``bias_relu_``: one kernel on CuPy), and the backward takes its
    mask from the output (y > 0 exactly where x W + b > 0): dz = gy where
    y > 0, else 0; then dx = dz W^T, dW = x^T dz, db = sum_N dz as in
    :class:`Linear`. One node, one buffer and one pass fewer than Linear and
    ReLU apart. Paper (ReLU): Nair & Hinton, 2010.
    """

    def backward(self, gy):
        return self._products(self._through_relu(gy))


def _shape(a):
    return tuple(a.shape)


def matmul(a, b):
    """Matrix product with numpy semantics: 1-D operands are promoted to a row
    (left) or column (right) and the added axis is removed from the result;
    leading axes broadcast."""
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        raise ValueError(f"matmul: operands must have at least one axis, got shapes {sa} and {sb}")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: "
            f"{ka} (last axis of the first) != {kb} (contracted axis of the second)"
        )
    if len(sa) > 1 and len(sb) > 1:
        return MatMul()(a, b)
    a2 = reshape(a, (1, ka)) if len(sa) == 1 else a
    b2 = reshape(b, (kb, 1)) if len(sb) == 1 else b
    y = MatMul()(a2, b2)
    if len(sa) == 1 and len(sb) == 1:
        out_shape = ()
    elif len(sa) == 1:
        out_shape = y.shape[:-2] + (y.shape[-1],)
    else:
        out_shape = y.shape[:-1]
    return reshape(y, out_shape)


def dense(x, W, b=None):
    """``x @ W + b`` as one node, the kernel ``W`` (in_features, out_features) as
    Keras' ``Dense`` stores it (what ``nn.Dense`` runs); ``x`` may have any number
    of leading axes."""
    return _linear_node(Linear, "dense", x, W, b)


def linear(input, weight, bias=None):
    """``x @ weight^T + bias``: PyTorch's ``F.linear``, ``weight`` of shape
    (out_features, in_features) as ``torch.nn.Linear.weight``. For the kernel
    layout (in_features, out_features) use :func:`dense`."""
    sx, sw = _shape(input), _shape(weight)
    if len(sw) != 2 or not sx or sx[-1] != sw[1]:
        raise ValueError(
            f"linear: input of shape {sx} does not fit weight of shape {sw}: PyTorch's "
            f"layout (out_features, in_features) needs input "
            f"(..., {sw[1] if len(sw) == 2 else '?'}); for a kernel (in_features, "
            f"out_features) use F.dense"
        )
    return _linear_node(Linear, "linear", input, _transposed(weight), bias)


def _transposed(weight):
    """Wᵀ: a node for a Variable; an array stays a constant array (which then takes
    the input's dtype like any constant)."""
    if isinstance(weight, Variable):
        return transpose(weight)
    return backend.namespace(weight).permute_dims(weight, (1, 0))


def linear_relu(x, W, b=None):
    """``relu(x @ W + b)`` as one node (what ``Dense(activation="relu")`` runs),
    ``W`` (in_features, out_features) as in :func:`dense`: the numbers of
    ``relu(dense(x, W, b))`` with one buffer and one pass fewer."""
    return _linear_node(LinearReLU, "linear_relu", x, W, b)


def _linear_node(node, name, x, W, b):
    sx, sw = _shape(x), _shape(W)
    if len(sw) != 2 or not sx or sx[-1] != sw[0]:
        raise ValueError(
            f"{name}: input of shape {sx} does not fit weight of shape {sw}: "
            f"expected input (..., {sw[0] if sw else '?'})"
        )
    if len(sx) == 2:
        return node()(x, W) if b is None else node()(x, W, b)
    flat = reshape(x, (-1, sx[-1]))
    y = node()(flat, W) if b is None else node()(flat, W, b)
    return reshape(y, sx[:-1] + (sw[1],))
