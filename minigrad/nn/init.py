"""Weight initializers: ``init(shape, dtype=None, device="cpu") -> array``.

Variances follow the reference notes' table (fan_avg = (fan_in + fan_out) / 2):

=============  ============================  ==============
strategy       use with                      variance
=============  ============================  ==============
Glorot/Xavier  sigmoid, tanh, softmax        1 / fan_avg
He/Kaiming     ReLU and its variants         2 / fan_in
LeCun          SELU                          1 / fan_in
=============  ============================  ==============

Each is Keras' :class:`VarianceScaling` ``(scale, mode, distribution)``: variance
``scale / fan`` with ``fan`` chosen by ``mode`` ("fan_in", "fan_out", "fan_avg");
``"uniform"`` draws U(-limit, limit) with limit = sqrt(3 * variance), which has that
variance. The Keras names ``glorot_normal``, ``he_normal``, ``lecun_normal`` draw
Keras' truncated normal (N(0, 1) redrawn outside [-2, 2], times
``sqrt(variance) / 0.8796``, so the variance is kept); PyTorch's names
``xavier_normal`` and ``kaiming_normal`` draw PyTorch's plain normal. Every preset
takes ``mode=`` (PyTorch's ``kaiming_normal_(mode="fan_out")``).

Random numbers come from ``backend.get_backend(device)``, so
``minigrad.manual_seed(s)`` makes every initializer reproducible. ``dtype``
defaults to float32 of the device's namespace; a name (``"float64"``) or a
dtype object is accepted.

Papers: Glorot & Bengio, "Understanding the difficulty of training deep
feedforward neural networks" (2010); He et al., "Delving Deep into Rectifiers"
(2015); LeCun et al., "Efficient BackProp" (1998). Source of the truncated form:
Keras 3, ``keras/src/initializers/random_initializers.py``.
"""
from __future__ import annotations

import math

from minigrad import backend

__all__ = [
    "VarianceScaling",
    "compute_fans",
    "constant",
    "get_initializer",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
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


TRUNCATED_STD = 0.87962566103423978  # standard deviation of N(0, 1) restricted to [-2, 2]


def _truncated_normal(shape, std, dtype, device):
    """N(0, std^2) with draws beyond 2 std redrawn (Keras' ``truncated_normal``)."""
    z = _normal(shape, 1.0, dtype, device)
    xp = backend.namespace(z)
    outside = xp.abs(z) > 2.0
    while bool(xp.any(outside)):  # about 4.6% of the draws each round
        count = int(xp.sum(xp.astype(outside, xp.int64)))
        z[outside] = _normal((count,), 1.0, dtype, device)
        outside = xp.abs(z) > 2.0
    return z * std


# -- variance-scaling initializers -------------------------------------------
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling:
    """Keras' ``VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal")``.

    Draws with variance ``scale / max(1, n)``, ``n`` the fan that ``mode`` names
    (``"fan_avg"``: (fan_in + fan_out) / 2; see :func:`compute_fans`):

    * ``"truncated_normal"`` (or ``"normal"``, as in Keras): N(0, 1) redrawn outside
      [-2, 2], times ``sqrt(variance) / 0.8796`` (the truncated unit normal's std);
    * ``"untruncated_normal"``: N(0, variance);
    * ``"uniform"``: U(-limit, limit), limit = sqrt(3 * variance).

    Called as any initializer, ``VarianceScaling(2.0, "fan_out")(shape, dtype, device)``;
    random numbers come from ``minigrad.manual_seed`` (Keras' ``seed=`` is not taken).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
        if not scale > 0:
            raise ValueError(f"VarianceScaling: scale must be > 0, got {scale!r}")
        if mode not in MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {', '.join(MODES)}, "
                             f"got {mode!r}")
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: distribution must be one of "
                             f"{', '.join(DISTRIBUTIONS)}, got {distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def variance(self, shape) -> float:
        """The variance of the draws for a weight of ``shape``."""
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
        return self.scale / max(1.0, fan[self.mode])

    def __call__(self, shape, dtype=None, device="cpu"):
        std = math.sqrt(self.variance(shape))
        if self.distribution == "truncated_normal":
            return _truncated_normal(shape, std / TRUNCATED_STD, dtype, device)
        if self.distribution == "untruncated_normal":
            return _normal(shape, std, dtype, device)
        limit = math.sqrt(3.0) * std
        return _uniform(shape, -limit, limit, dtype, device)

    def __repr__(self):
        return (f"VarianceScaling(scale={self.scale}, mode={self.mode!r}, "
                f"distribution={self.distribution!r})")


def glorot_normal(shape, dtype=None, device="cpu", *, mode="fan_avg"):
    """Keras' GlorotNormal: truncated normal, variance 1 / fan_avg.
    Paper: Glorot & Bengio (2010)."""
    return VarianceScaling(1.0, mode, "truncated_normal")(shape, dtype, device)


def glorot_uniform(shape, dtype=None, device="cpu", *, mode="fan_avg"):
    """U(-limit, limit), limit = sqrt(3 / fan_avg). Paper: Glorot & Bengio (2010)."""
    return VarianceScaling(1.0, mode, "uniform")(shape, dtype, device)


def xavier_normal(shape, dtype=None, device="cpu", *, mode="fan_avg"):
    """PyTorch's ``xavier_normal_``: N(0, 1 / fan_avg), untruncated."""
    return VarianceScaling(1.0, mode, "untruncated_normal")(shape, dtype, device)


def he_normal(shape, dtype=None, device="cpu", *, mode="fan_in"):
    """Keras' HeNormal: truncated normal, variance 2 / fan_in. Paper: He et al. (2015)."""
    return VarianceScaling(2.0, mode, "truncated_normal")(shape, dtype, device)


def he_uniform(shape, dtype=None, device="cpu", *, mode="fan_in"):
    """U(-limit, limit), limit = sqrt(6 / fan_in). Paper: He et al. (2015)."""
    return VarianceScaling(2.0, mode, "uniform")(shape, dtype, device)


def kaiming_normal(shape, dtype=None, device="cpu", *, mode="fan_in"):
    """PyTorch's ``kaiming_normal_`` for ReLU: N(0, 2 / fan_in), untruncated
    (``mode="fan_out"`` keeps the backward pass's variance instead)."""
    return VarianceScaling(2.0, mode, "untruncated_normal")(shape, dtype, device)


def lecun_normal(shape, dtype=None, device="cpu", *, mode="fan_in"):
    """Keras' LecunNormal: truncated normal, variance 1 / fan_in. Paper: LeCun et al. (1998)."""
    return VarianceScaling(1.0, mode, "truncated_normal")(shape, dtype, device)


def lecun_uniform(shape, dtype=None, device="cpu", *, mode="fan_in"):
    """U(-limit, limit), limit = sqrt(3 / fan_in). Paper: LeCun et al. (1998)."""
    return VarianceScaling(1.0, mode, "uniform")(shape, dtype, device)


xavier_uniform = glorot_uniform  # PyTorch's and Keras' uniform forms are the same
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


def normal(*args, mean=0.0, std=1.0):
    """An initializer drawing from N(mean, std^2), e.g. ``normal(std=1.0)``, the naive
    initialization that makes deep networks' gradients vanish or explode.

    Keyword-only: PyTorch's ``normal_(tensor, mean, std)`` puts the mean first and
    minigrad's ``normal`` once put std first, so a positional call is refused.
    """
    if args:
        raise TypeError(f"init.normal: give mean= and std= by keyword, got positional "
                        f"{', '.join(map(repr, args))} (PyTorch's normal_ takes mean first; "
                        f"minigrad's normal took std first)")
    if not std >= 0:
        raise ValueError(f"init.normal: std must be >= 0, got {std}")

    def init(shape, dtype=None, device="cpu"):
        return _normal(shape, float(std), dtype, device, mean=float(mean))

    init.__name__ = f"normal(mean={mean}, std={std})"
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
        f"(or a callable init(shape, dtype, device), e.g. nn.init.normal(std=0.01), "
        f"nn.init.uniform(-0.1, 0.1), nn.init.constant(0.5))"
    )
