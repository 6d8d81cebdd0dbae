"""Batch normalization over the channel axis (features of (N, C), channels of NCHW)."""
from __future__ import annotations

import warnings

from minigrad import backend
from minigrad import functions as F
from minigrad.core import Parameter, Variable
from minigrad.nn.module import Module, autocast

__all__ = ["BatchNorm", "BatchNormalization", "BatchNorm1d", "BatchNorm2d"]


class BatchNorm(Module):
    """Batch normalization with learnable scale ``gamma`` and shift ``beta``.

    Training, for every channel c of ``axis`` (statistics over all other axes)::

        mu = mean(x),  var = mean((x - mu)^2)          (biased batch variance)
        y = gamma * (x - mu) / sqrt(var + eps) + beta
        running_mean <- (1 - momentum) * running_mean + momentum * mu   (same for var)

    Evaluation uses ``running_mean`` and ``running_var`` instead of the batch
    statistics. They are buffers: saved in ``state_dict``, never trained.

    ``BatchNorm(num_features=None, momentum=0.1, eps=1e-5, axis=1, name=None,
    dtype="float32", device=None)``. ``axis=1`` fits both (N, C) and (N, C, H, W)
    input, so one class serves as ``BatchNorm1d`` and ``BatchNorm2d``. With
    ``num_features=None`` it is lazy: ``gamma`` and ``beta`` exist from
    construction as uninitialized Parameters, sized and filled at the first
    call (the running statistics are created then too).
    Integer and bool input is cast to the layer's dtype.
    ``momentum`` follows PyTorch: Keras' ``momentum=0.99`` is ``momentum=0.01`` here,
    or :class:`BatchNormalization` (Keras' name, convention and defaults). A
    momentum above 0.5 and below 1 warns: it is almost surely Keras' habit.

    Paper: Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network
    Training by Reducing Internal Covariate Shift" (2015).
    """

    def __init__(self, num_features=None, momentum=0.1, eps=1e-5, axis=1, name=None,
                 dtype="float32", device=None):
        super().__init__(name)
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {momentum}")
        if eps <= 0:
            raise ValueError(f"BatchNorm: eps must be > 0, got {eps}")
        self._warn_other_convention(momentum)
        self.momentum, self.eps, self.axis, self.dtype = momentum, eps, axis, dtype
        self.num_features = None
        self.gamma, self.beta = Parameter(name="gamma"), Parameter(name="beta")
        self.register_buffer("running_mean", None)
        self.register_buffer("running_var", None)
        if device is not None:
            self.to(device)
        if num_features is not None:
            self.build(num_features)

    @property
    def built(self):
        return self.gamma.is_initialized

    def _warn_other_convention(self, momentum):
        if 0.5 < momentum < 1:
            warnings.warn(
                f"BatchNorm(momentum={momentum}) gives each new batch a weight of {momentum} "
                f"in the running statistics (PyTorch's convention). Keras' "
                f"momentum={momentum} is BatchNorm(momentum={1 - momentum:.3g}), or "
                f"nn.BatchNormalization(momentum={momentum})", UserWarning, stacklevel=3)

    unbiased_running_var = True  # PyTorch: the running variance has Bessel's correction

    def _batch_weight(self):
        """The weight of the batch statistics in the running update (PyTorch's momentum)."""
        return self.momentum

    def build(self, num_features, device=None):
        """Fill gamma (ones), beta (zeros); create the running statistics (0 and 1)."""
        if int(num_features) < 1:
            raise ValueError(f"BatchNorm: num_features must be positive, got {num_features}")
        self.num_features = n = int(num_features)
        self.add_weight("gamma", (n,), "ones", self.dtype, device)
        self.add_weight("beta", (n,), "zeros", self.dtype, device)
        like = self.gamma.data
        self.running_mean = backend.zeros((n,), like.dtype, like)
        self.running_var = backend.namespace(like).ones_like(like)

    def _build_from_state(self, state, prefix, device):
        if not self.built and prefix + "gamma" in state:
            self.build(state[prefix + "gamma"].shape[0], device)

    def forward(self, x, training=None):
        if x.ndim < 2:
            raise ValueError(f"BatchNorm: input needs a batch axis and axis {self.axis}, "
                             f"got shape {tuple(x.shape)}")
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"{type(self).__name__}: axis {self.axis} is out of range for "
                             f"input of shape {tuple(x.shape)}")
        channels = x.shape[self.axis]
        if not self.built:
            self.build(channels, x.device if isinstance(x, Variable) else backend.device_of(x))
        elif channels != self.num_features:
            raise ValueError(
                f"BatchNorm{' ' + repr(self.name) if self.name else ''}: expected "
                f"{self.num_features} channels on axis {self.axis}, got input of shape "
                f"{tuple(x.shape)}"
            )
        x = autocast(x, self.gamma)
        return F.batch_norm(
            x, self.running_mean, self.running_var, weight=self.gamma, bias=self.beta,
            training=self._is_training(training), momentum=self._batch_weight(), eps=self.eps,
            axis=self.axis, unbiased_running_var=self.unbiased_running_var,
        )

    def extra_repr(self):
        return (f"{self.num_features if self.built else '?'}, momentum={self.momentum}, "
                f"eps={self.eps}, axis={self.axis}")


class BatchNormalization(BatchNorm):
    """Keras' ``BatchNormalization``: its momentum convention and defaults.

    ``BatchNormalization(axis=1, momentum=0.99, epsilon=1e-3, *, num_features=None,
    name=None, dtype="float32", device=None)``. ``momentum`` is the fraction of
    the running statistics *kept* at each training step (Keras)::

        running <- momentum * running + (1 - momentum) * batch

    which :class:`BatchNorm` writes as ``momentum=1 - momentum`` (PyTorch); the
    running variance is updated with the biased batch variance, as Keras does
    (PyTorch's has Bessel's correction n / (n - 1)). A
    momentum below 0.5 warns: it is almost surely PyTorch's habit. ``axis`` is
    the channel axis: 1, minigrad's channels-first layout (Keras' default -1 is
    its channels-last channel axis; for (N, C) input the two are the same).
    """

    def __init__(self, axis=1, momentum=0.99, epsilon=1e-3, *, num_features=None, name=None,
                 dtype="float32", device=None):
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNormalization: axis must be an int (Keras' first "
                            f"argument), got {axis!r}")
        super().__init__(num_features, momentum, epsilon, axis, name, dtype, device)

    @property
    def epsilon(self):
        return self.eps

    def _warn_other_convention(self, momentum):
        if 0 < momentum < 0.5:
            warnings.warn(
                f"BatchNormalization(momentum={momentum}) keeps {momentum} of the running "
                f"statistics at each step and gives the batch {1 - momentum:.3g} (Keras' "
                f"convention). PyTorch's momentum={momentum} is "
                f"BatchNormalization(momentum={1 - momentum:.3g}), or "
                f"nn.BatchNorm(momentum={momentum})", UserWarning, stacklevel=4)

    unbiased_running_var = False

    def _batch_weight(self):
        return 1.0 - self.momentum

    def extra_repr(self):
        return (f"{self.num_features if self.built else '?'}, axis={self.axis}, "
                f"momentum={self.momentum}, epsilon={self.eps}")


BatchNorm1d = BatchNorm
BatchNorm2d = BatchNorm
