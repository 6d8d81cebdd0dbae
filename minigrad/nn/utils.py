"""Model diagnostics and inference helpers: per-layer gradient norms, batch-norm folding."""
from __future__ import annotations

import math

from minigrad import backend
from minigrad.nn.containers import Sequential
from minigrad.nn.dense import Dense
from minigrad.nn.normalization import BatchNorm

__all__ = ["grad_norms", "fold_batchnorm", "fold_batchnorms"]


def grad_norms(model):
    """``{layer path: L2 norm of that layer's parameter gradients}`` (floats).

    One entry per module that owns parameters with a gradient (call it after
    ``backward()``), keyed by its path in ``model.named_modules()`` (``"0"``,
    ``"hidden1"``, ``"encoder.fc"``; the model's class name for its own
    parameters). Norms that shrink by orders of magnitude from the last layer
    to the first show vanishing gradients; growing ones, exploding gradients.
    """
    norms = {}
    for path, m in model.named_modules():
        grads = [p.grad.data for p in m.parameters(recurse=False) if p.grad is not None]
        if grads:
            xp = backend.namespace(grads[0])
            total = sum(float(xp.sum(g * g)) for g in grads)
            norms[path or type(model).__name__] = math.sqrt(total)
    return norms


def fold_batchnorm(dense, bn):
    """A new Dense equal to ``bn(dense(x))`` with ``bn`` in evaluation mode.

    With s = gamma / sqrt(running_var + eps), folding gives
    W' = W * s (each output column scaled) and b' = (b - running_mean) * s + beta,
    which saves the normalization at inference. ``dense`` must have no
    activation (the batch norm comes between the product and the activation).
    """
    if not isinstance(dense, Dense) or not isinstance(bn, BatchNorm):
        raise TypeError(f"fold_batchnorm: expected (Dense, BatchNorm), got "
                        f"({type(dense).__name__}, {type(bn).__name__})")
    if not dense.built or not bn.built:
        raise ValueError("fold_batchnorm: both layers must be built (run the model once first)")
    if dense.activation is not None:
        raise ValueError("fold_batchnorm: the Dense layer has an activation, so the batch norm "
                         "after it cannot be folded into it")
    if bn.axis not in (1, -1) or bn.num_features != dense.units:
        raise ValueError(f"fold_batchnorm: BatchNorm with {bn.num_features} features on axis "
                         f"{bn.axis} does not follow a Dense of {dense.units} units")
    W = dense.W.data
    xp = backend.namespace(W)
    scale = bn.gamma.data / xp.sqrt(bn.running_var + bn.eps)
    b = dense.b.data if dense.b is not None else xp.zeros_like(scale)
    folded = Dense(dense.units, kernel_initializer="zeros", in_features=dense.in_features,
                   name=dense.name, dtype=W.dtype, device=dense.device)
    folded.W.data = W * scale
    folded.b.data = (b - bn.running_mean) * scale + bn.beta.data
    return folded


def fold_batchnorms(model):
    """A new Sequential in which every Dense directly followed by a BatchNorm is
    replaced by their :func:`fold_batchnorm`, for inference. The other layers
    are shared with ``model``, not copied, so ``eval()`` on either applies to both."""
    layers = list(model)
    out = Sequential(name=model.name)
    i = 0
    while i < len(layers):
        layer = layers[i]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if isinstance(layer, Dense) and isinstance(nxt, BatchNorm) and layer.activation is None:
            out.add(fold_batchnorm(layer, nxt))
            i += 2
        else:
            out.add(layer)
            i += 1
    return out
