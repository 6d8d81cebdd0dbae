"""Weight initializers: ``init(shape, dtype=None, device="cpu") -> array``.

Variances follow the reference notes' table (fan_avg = (fan_in + fan_out) / 2):

=============  ============================  ==============
strategy       use with                      variance
=============  ============================  ==============
Glorot/Xavier  sigmoid, tanh, softmax        1 / fan_avg
He/Kaiming     ReLU and its variants         2 / fan_in
LeCun          SELU                          1 / fan_in
=============  ============================  ==============

A ``*_normal`` initializer draws from N(0, variance); a ``*_uniform`` one from
U(-limit, limit) with limit = sqrt(3 * variance), which has the same variance.
Keras draws its normal variants from a *truncated* normal rescaled to that
variance; here the normal is plain, as in the reference table and PyTorch.

Random numbers come from ``backend.get_backend(device)``, so
``minigrad.manual_seed(s)`` makes every initializer reproducible. ``dtype``
defaults to float32 of the device's namespace; a name (``"float64"``) or a
dtype object is accepted.

Papers: Glorot & Bengio, "Understanding the difficulty of training deep
feedforward neural networks" (2010); He et al., "Delving Deep into Rectifiers"
(2015); LeCun et al., "Efficient BackProp" (1998).
"""
from __future__ import annotations

import math

from minigrad import backend

__all__ = [
    "compute_fans",
    "get_initializer",
    "glorot_normal",
    "glorot_uniform",
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "zeros",
    "ones",
    "constant",
    "normal",
    "uniform",
]


def compute_fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``.

    * dense kernel ``(in, out)`` (Keras layout): ``(in, out)``;
    * convolution kernel ``(out_channels, in_channels, *kernel_size)`` (PyTorch
      layout): the receptive field ``prod(kernel_size)`` multiplies both,
      ``(in_channels * rf, out_channels * rf)``;
    * a vector ``(n,)``: ``(n, n)``; a scalar: ``(1, 1)``.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _dtype(dtype, device):
    """``dtype`` (None, a name or a dtype object) as a dtype of ``device``'s namespace."""
    xp = backend.get_backend(device).xp
    if dtype is None:
        return backend.default_float_dtype(xp)
    name = dtype if isinstance(dtype, str) else getattr(dtype, "name", None)
    name = name or getattr(dtype, "__name__", None) or str(dtype).rsplit(".", 1)[-1]
    try:
        resolved = getattr(xp, name)
    except AttributeError:
        raise TypeError(f"initializer: unknown dtype {dtype!r}") from None
    if not backend.is_floating(resolved, xp):
        raise TypeError(f"initializer: weights must be floating point, got dtype {dtype!r}")
    return resolved


def _normal(shape, std, dtype, device, mean=0.0):
    device = backend.normalize_device(device)
    return backend.get_backend(device).normal(
        tuple(shape), mean, std, _dtype(dtype, device), device)


def _uniform(shape, low, high, dtype, device):
    device = backend.normalize_device(device)
    return backend.get_backend(device).uniform(
        tuple(shape), low, high, _dtype(dtype, device), device)


def _fan_avg(shape):
    fan_in, fan_out = compute_fans(shape)
    return (fan_in + fan_out) / 2


# -- variance-scaling initializers -------------------------------------------
def glorot_normal(shape, dtype=None, device="cpu"):
    """N(0, 1 / fan_avg). Paper: Glorot & Bengio (2010)."""
    return _normal(shape, math.sqrt(1.0 / _fan_avg(shape)), dtype, device)


def glorot_uniform(shape, dtype=None, device="cpu"):
    """U(-limit, limit), limit = sqrt(3 / fan_avg). Paper: Glorot & Bengio (2010)."""
    limit = math.sqrt(3.0 / _fan_avg(shape))
    return _uniform(shape, -limit, limit, dtype, device)


def he_normal(shape, dtype=None, device="cpu"):
    """N(0, 2 / fan_in). Paper: He et al. (2015)."""
    return _normal(shape, math.sqrt(2.0 / compute_fans(shape)[0]), dtype, device)


def he_uniform(shape, dtype=None, device="cpu"):
    """U(-limit, limit), limit = sqrt(6 / fan_in). Paper: He et al. (2015)."""
    limit = math.sqrt(6.0 / compute_fans(shape)[0])
    return _uniform(shape, -limit, limit, dtype, device)


def lecun_normal(shape, dtype=None, device="cpu"):
    """N(0, 1 / fan_in). Paper: LeCun et al. (1998)."""
    return _normal(shape, math.sqrt(1.0 / compute_fans(shape)[0]), dtype, device)


def lecun_uniform(shape, dtype=None, device="cpu"):
    """U(-limit, limit), limit = sqrt(3 / fan_in). Paper: LeCun et al. (1998)."""
    limit = math.sqrt(3.0 / compute_fans(shape)[0])
    return _uniform(shape, -limit, limit, dtype, device)


xavier_normal = glorot_normal
xavier_uniform = glorot_uniform
kaiming_normal = he_normal
kaiming_uniform = he_uniform


# -- constants and plain distributions ---------------------------------------
def zeros(shape, dtype=None, device="cpu"):
    """All zeros."""
    device = backend.normalize_device(device)
    return backend.get_backend(device).zeros(tuple(shape), _dtype(dtype, device), device)


def ones(shape, dtype=None, device="cpu"):
    """All ones."""
    z = zeros(shape, dtype, device)
    return backend.namespace(z).ones_like(z)


def constant(value):
    """An initializer filling with ``value``."""
    value = float(value)

    def init(shape, dtype=None, device="cpu"):
        return zeros(shape, dtype, device) + value

    init.__name__ = f"constant({value})"
    return init


def normal(std, mean=0.0):
    """An initializer drawing from N(mean, std^2), e.g. ``normal(1.0)``, the naive
    initialization that makes deep networks' gradients vanish or explode."""
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")

    def init(shape, dtype=None, device="cpu"):
        return _normal(shape, float(std), dtype, device, mean=float(mean))

    init.__name__ = f"normal(std={std}, mean={mean})"
    return init


def uniform(a, b):
    """An initializer drawing from U(a, b)."""
    if not a <= b:
        raise ValueError(f"uniform: need a <= b, got a={a}, b={b}")

    def init(shape, dtype=None, device="cpu"):
        return _uniform(shape, float(a), float(b), dtype, device)

    init.__name__ = f"uniform({a}, {b})"
    return init


_BY_NAME = {
    name: globals()[name]
    for name in ("glorot_normal", "glorot_uniform", "xavier_normal", "xavier_uniform",
                 "he_normal", "he_uniform", "kaiming_normal", "kaiming_uniform",
                 "lecun_normal", "lecun_uniform", "zeros", "ones")
}


def get_initializer(init):
    """The initializer named ``init`` (e.g. ``"he_normal"``), or ``init`` itself if
    it is callable as ``init(shape, dtype=None, device="cpu")``."""
    if callable(init):
        return init
    if isinstance(init, str) and init.lower() in _BY_NAME:
        return _BY_NAME[init.lower()]
    raise ValueError(
        f"unknown initializer {init!r}; valid names: {', '.join(sorted(_BY_NAME))} "
        f"(or a callable init(shape, dtype, device), e.g. nn.init.normal(0.01), "
        f"nn.init.uniform(-0.1, 0.1), nn.init.constant(0.5))"
    )
