"""Synchronized batch normalization: statistics over the batches of all ranks together."""
from __future__ import annotations

from minigrad import backend, config
from minigrad.core import Function, Variable, as_variable, constant
from minigrad.functions.array import reshape
from minigrad.functions.math import square
from minigrad.functions.normalization import batch_norm, update_running
from minigrad.functions.reduction import sum
from minigrad.nn.normalization import BatchNorm

__all__ = ["AllReduce", "SyncBatchNorm", "all_reduce", "sync_batch_norm"]


def _world(comm):
    from minigrad.distributed.communicator import init

    return init() if comm is None else comm


class AllReduce(Function):
    """y = x_0 + ... + x_{size-1}, the elementwise sum of ``x`` over the ranks.

    Backward: every rank's loss depends on every rank's x through its own y,
    so the gradient of the sum of the ranks' losses is gx = sum over ranks of gy
    (an all-reduce again, hence differentiable to any order).
    """

    def __init__(self, comm):
        self.comm = comm

    def forward(self, x):
        return self.comm.allreduce(backend.copy(x))

    def backward(self, gy):
        return all_reduce(gy, self.comm)


def all_reduce(x, comm=None):
    """The elementwise sum of ``x`` over the ranks of ``comm``, differentiable (a collective)."""
    return AllReduce(_world(comm))(x)


def sync_batch_norm(x, gamma, beta, running_mean=None, running_var=None, training=None,
                    momentum=0.1, eps=1e-5, axis=1, comm=None):
    """:func:`~minigrad.functions.batch_norm` whose training statistics are those of the
    global batch, every rank's samples together (a collective in forward and backward).

    With ``N`` the number of values per channel on all ranks::

        mu = allreduce(sum(x)) / N,   var = allreduce(sum((x - mu)^2)) / N
        y = gamma (x - mu) / sqrt(var + eps) + beta

    built from differentiable operations and :func:`all_reduce`, so the
    backward pass exchanges the sums of the gradients as well: one process
    with the whole batch and BatchNorm computes the same outputs and input
    gradients. The gradients of ``gamma`` and ``beta`` stay each rank's own
    (the DistributedOptimizer averages them with the rest). Running
    statistics get the global mean and unbiased variance, identical on every
    rank. Evaluation uses the running statistics, as batch_norm does.
    """
    x = as_variable(x)
    if training is None:
        training = config.is_training()
    if not training:
        return batch_norm(x, gamma, beta, running_mean, running_var, training=False,
                          momentum=momentum, eps=eps, axis=axis)
    comm = _world(comm)
    if x.ndim < 2 or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"sync_batch_norm: expected input with a batch axis and channel axis "
                         f"{axis}, got shape {x.shape}")
    channel = axis % x.ndim
    axes = tuple(a for a in range(x.ndim) if a != channel)
    c = x.shape[channel]
    gamma = _affine(gamma, 1.0, "gamma", c, x)
    beta = _affine(beta, 0.0, "beta", c, x)
    n = _global_count(x.size // c, comm)
    if n < 2:
        raise ValueError(f"sync_batch_norm: training needs more than one value per channel over "
                         f"all ranks, got {n}")
    mu = all_reduce(sum(x, axes, keepdims=True), comm) * (1.0 / n)
    xc = x - mu
    var = all_reduce(sum(square(xc), axes, keepdims=True), comm) * (1.0 / n)
    shape = tuple(s if a == channel else 1 for a, s in enumerate(x.shape))
    y = xc * (var + eps) ** -0.5 * reshape(gamma, shape) + reshape(beta, shape)
    if running_mean is not None:
        xp = x.xp
        update_running(running_mean, xp.reshape(mu.data, (-1,)), momentum)
        update_running(running_var, xp.reshape(var.data, (-1,)) * (n / (n - 1)), momentum)
    return y


def _global_count(n, comm):
    host = backend.as_array([float(n)], dtype=backend.get_backend("cpu").xp.float64)
    return int(backend.to_numpy(comm.allreduce(host))[0])


def _affine(value, fill, name, c, x):
    if value is None:
        return constant(backend.zeros((c,), x.dtype, x.data) + fill)
    value = as_variable(value)
    if value.shape != (c,):
        raise ValueError(f"sync_batch_norm: {name} has shape {value.shape}, expected ({c},) for "
                         f"input of shape {x.shape}")
    return value


class SyncBatchNorm(BatchNorm):
    """BatchNorm whose training statistics cover the batches of all ranks (PyTorch's
    ``SyncBatchNorm``, ChainerMN's ``MultiNodeBatchNormalization``).

    ``SyncBatchNorm(num_features=None, momentum=0.1, eps=1e-5, axis=1, comm=None, name=None,
    dtype="float32", device=None)``; ``comm`` defaults to ``init()``'s world.
    Use it where each rank's batch is too small for stable statistics
    (detection, segmentation); it costs two all-reduces of ``C`` numbers in
    forward and two in backward per layer. Evaluation (running statistics)
    communicates nothing. On one process it is BatchNorm. See
    :func:`sync_batch_norm`.
    """

    def __init__(self, num_features=None, momentum=0.1, eps=1e-5, axis=1, comm=None, name=None,
                 dtype="float32", device=None):
        super().__init__(num_features, momentum, eps, axis, name, dtype, device)
        self.comm = comm

    def forward(self, x, training=None):
        if not self._is_training(training):
            return super().forward(x, training=False)
        if x.ndim < 2:
            raise ValueError(f"SyncBatchNorm: input needs a batch axis and axis {self.axis}, "
                             f"got shape {tuple(x.shape)}")
        if not self.built:
            self.build(x.shape[self.axis],
                       x.device if isinstance(x, Variable) else backend.device_of(x))
        return sync_batch_norm(x, self.gamma, self.beta, self.running_mean, self.running_var,
                               training=True, momentum=self.momentum, eps=self.eps,
                               axis=self.axis, comm=self.comm)
