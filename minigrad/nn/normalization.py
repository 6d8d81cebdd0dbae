"""Batch normalization over the channel axis (features of (N, C), channels of NCHW)."""
from __future__ import annotations

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
    ``momentum`` follows PyTorch: Keras' ``momentum=0.99`` is ``momentum=0.01`` here.

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
            training=self._is_training(training), momentum=self.momentum, eps=self.eps,
            axis=self.axis,
        )

    def extra_repr(self):
        return (f"{self.num_features if self.built else '?'}, momentum={self.momentum}, "
                f"eps={self.eps}, axis={self.axis}")


BatchNormalization = BatchNorm
BatchNorm1d = BatchNorm
BatchNorm2d = BatchNorm
