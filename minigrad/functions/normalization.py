"""Batch normalization."""
from __future__ import annotations

from minigrad import backend, config
from minigrad.core import Function, Variable, as_variable, constant, python_number, recording
from minigrad.functions.array import reshape
from minigrad.functions.math import square
from minigrad.functions.reduction import mean, sum


__all__ = [
    "BatchNorm",
    "batch_norm",
]


def _standardize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) and 1 / sqrt(var + eps), from minigrad ops."""
    xc = x - mean(x, axes, keepdims=True)
    inv_std = (mean(square(xc), axes, keepdims=True) + eps) ** -0.5
    return xc * inv_std, inv_std


class BatchNorm(Function):
    """Training-mode batch normalization over every axis but ``axis``:
    x_hat = (x - mu_B) / sqrt(var_B + eps),  y = gamma x_hat + beta, with the batch
    mean mu_B and biased variance var_B of each channel (n values each).

    Fused backward: dx = gamma / sigma / n * (n gy - sum(gy) - x_hat sum(gy x_hat)),
    dgamma = sum(gy x_hat), dbeta = sum(gy). When the backward is recorded
    (``create_graph=True``) x_hat and 1/sigma are rebuilt from x with minigrad
    ops, so second derivatives are exact; otherwise the forward's arrays are reused.
    ``self.mean`` and ``self.var`` hold the batch statistics after the forward.

    Paper: Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network
    Training by Reducing Internal Covariate Shift", 2015.
    """

    def __init__(self, axis=1, eps=1e-5):
        self.axis, self.eps = axis, eps

    def forward(self, x, gamma, beta):
        xp = self.xp
        axis = self.axis % x.ndim
        self.axes = tuple(a for a in range(x.ndim) if a != axis)
        self.param_shape = tuple(s if a == axis else 1 for a, s in enumerate(x.shape))
        self.n = x.size // x.shape[axis]
        mu = xp.mean(x, axis=self.axes, keepdims=True)
        xc = x - mu
        var = xp.mean(xc * xc, axis=self.axes, keepdims=True)
        self.inv_std = 1.0 / xp.sqrt(var + self.eps)
        self.xhat = xc * self.inv_std
        self.mean = xp.reshape(mu, (-1,))
        self.var = xp.reshape(var, (-1,))
        return xp.reshape(gamma, self.param_shape) * self.xhat + xp.reshape(beta, self.param_shape)

    def backward(self, gy):
        x, gamma, beta = self.inputs
        if recording():
            xhat, inv_std = _standardize(x, self.axes, self.eps)
        else:
            xhat, inv_std = constant(self.xhat), constant(self.inv_std)
        sum_gy = sum(gy, self.axes, keepdims=True)
        sum_gy_xhat = sum(gy * xhat, self.axes, keepdims=True)
        need_x, need_gamma, need_beta = self.needs_input_grad
        gx = None
        if need_x:
            g = reshape(gamma, self.param_shape) * inv_std
            gx = g * (gy - (sum_gy + xhat * sum_gy_xhat) * (1.0 / self.n))
        ggamma = reshape(sum_gy_xhat, gamma.shape) if need_gamma else None
        gbeta = reshape(sum_gy, beta.shape) if need_beta else None
        return gx, ggamma, gbeta


def _affine(value, fill, name, c, x):
    if value is None:
        return constant(backend.zeros((c,), x.dtype, x.data) + fill)
    value = as_variable(value, like=x)
    if value.shape != (c,):
        raise ValueError(f"batch_norm: {name} has shape {value.shape}, expected ({c},) "
                         f"for input of shape {x.shape}")
    return value


def _raw(buffer):
    return buffer.data if isinstance(buffer, Variable) else buffer


def update_running(buffer, batch_stat, momentum):
    """running = (1 - momentum) running + momentum batch, in place for arrays;
    a Variable gets new data (arrays already in a graph are never overwritten)."""
    data = _raw(buffer)
    batch_stat = backend.namespace(data).astype(batch_stat, data.dtype)
    new = data * (1.0 - momentum) + batch_stat * momentum
    if isinstance(buffer, Variable):
        buffer.data = new
    else:
        buffer[...] = new


def batch_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
               training=False, momentum=0.1, eps=1e-5, axis=1, *, unbiased_running_var=True):
    """Batch normalization of ``input`` x per channel of ``axis`` (1 for (N, C) and
    NCHW input, -1 for channels-last): y = gamma (x - mean) / sqrt(var + eps) + beta.

    PyTorch's ``F.batch_norm``: the same arguments in the same order, and
    ``training=False`` by default (``training=None`` follows
    :func:`minigrad.config.is_training`, as the layers do).
    ``weight`` gamma, ``bias`` beta: (C,) Variables, or None for 1 and 0.
    Training: batch mean and biased variance; ``running_mean`` / ``running_var``
    (C,), when given, are
    updated with PyTorch's convention running = (1 - momentum) running +
    momentum batch, the variance with the unbiased batch variance (times
    n / (n - 1); ``unbiased_running_var=False``: the biased variance, as Keras).
    Keras' ``momentum=0.99`` is PyTorch's (and this) ``momentum=0.01``.
    Arrays are updated in place, Variables get new ``.data``. Evaluation uses
    the running statistics, or the batch statistics when none are given.

    Paper: Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network
    Training by Reducing Internal Covariate Shift", 2015.
    """
    x = as_variable(input)
    momentum, eps = python_number(momentum), python_number(eps)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input with a batch axis and a channel axis, "
                         f"got shape {x.shape}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"batch_norm: axis {axis} is out of range for input of shape {x.shape}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"batch_norm: momentum must be in [0, 1], got {momentum}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    c = x.shape[axis]
    gamma = _affine(weight, 1.0, "weight", c, x)
    beta = _affine(bias, 0.0, "bias", c, x)
    tracked = running_mean is not None
    if tracked:
        for name, buf in (("running_mean", running_mean), ("running_var", running_var)):
            if tuple(_raw(buf).shape) != (c,):
                raise ValueError(f"batch_norm: {name} has shape {tuple(_raw(buf).shape)}, "
                                 f"expected ({c},) for input of shape {x.shape}")
        backend.check_same_device("batch_norm", [x.data, _raw(running_mean), _raw(running_var)])
    if training is None:
        training = config.is_training()
    if training or not tracked:
        n = x.size // c
        if training and n < 2:
            raise ValueError(f"batch_norm: training needs more than one value per channel, "
                             f"got input of shape {x.shape}")
        func = BatchNorm(axis, eps)
        y = func(x, gamma, beta)
        if training and tracked:
            update_running(running_mean, func.mean, momentum)
            var = func.var * (n / (n - 1)) if unbiased_running_var else func.var
            update_running(running_var, var, momentum)
        return y
    shape = tuple(s if a == axis % x.ndim else 1 for a, s in enumerate(x.shape))
    xp = x.xp
    mu = xp.reshape(xp.astype(_raw(running_mean), x.dtype), shape)
    inv_std = xp.reshape(1.0 / xp.sqrt(xp.astype(_raw(running_var), x.dtype) + eps), shape)
    return (x - constant(mu)) * (reshape(gamma, shape) * constant(inv_std)) + reshape(beta, shape)
