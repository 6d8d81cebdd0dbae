"""Activation functions: softmax and log-softmax, the ReLU family, ELU/SELU, GELU, softplus.

Masks and slopes in the backward rules are constant arrays (their derivative is
zero wherever it exists), so second derivatives are right away from the kinks.
sigmoid and tanh live in :mod:`minigrad.functions.math`.
"""
from __future__ import annotations

import math

from minigrad import backend, config
from minigrad.core import Function, as_variable, constant, python_number, recording
from minigrad.functions.arithmetic import pow
from minigrad.functions.array import axis_or_dim, reshape
from minigrad.functions.math import exp, sigmoid, tanh
from minigrad.functions.reduction import sum


__all__ = [
    "Softmax",
    "LogSoftmax",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "SELU",
    "Erf",
    "GELU",
    "Softplus",
    "softmax",
    "log_softmax",
    "relu",
    "leaky_relu",
    "prelu",
    "rrelu",
    "elu",
    "selu",
    "erf",
    "gelu",
    "softplus",
]


class Softmax(Function):
    """y_i = exp(x_i - max x) / sum_j exp(x_j - max x);
    dx = y * (gy - sum(gy * y))."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = self.xp
        e = xp.exp(x - xp.max(x, axis=self.axis, keepdims=True))
        e /= xp.sum(e, axis=self.axis, keepdims=True)
        return e

    def backward(self, gy):
        y = self.output
        gx = y * gy
        return gx - y * sum(gx, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = x - logsumexp(x);  dx = gy - softmax(x) * sum(gy)."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = self.xp
        shifted = x - xp.max(x, axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))

    def backward(self, gy):
        return gy - exp(self.output) * sum(gy, axis=self.axis, keepdims=True)


# -- the ReLU family -----------------------------------------------------------

class ReLU(Function):
    """y = max(x, 0);  dx = gy where x > 0, else 0.

    Paper: Nair & Hinton, "Rectified Linear Units Improve Restricted Boltzmann Machines", 2010.
    """

    def forward(self, x):
        return self.xp.maximum(x, 0)

    def backward(self, gy):
        x = self.inputs[0].data
        if recording():
            return gy * constant(self.xp.astype(x > 0, gy.dtype))
        return constant(backend.backend_of(x).where_positive(gy.data, x))


class LeakyReLU(Function):
    """y = x if x > 0 else alpha x;  dx = gy * (1 if x > 0 else alpha).

    ``alpha`` is a number or a constant array broadcastable to x (rrelu passes
    one slope per element). Paper: Maas et al., "Rectifier Nonlinearities Improve
    Neural Network Acoustic Models", 2013.
    """

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        return self.xp.where(x > 0, x, x * self.alpha)

    def backward(self, gy):
        x = self.inputs[0].data
        xp = self.xp
        slope = xp.where(x > 0, xp.ones_like(x), xp.zeros_like(x) + self.alpha)
        return gy * constant(xp.astype(slope, gy.dtype))


class PReLU(Function):
    """y = x if x > 0 else alpha x with a learnable slope ``alpha`` (broadcast to x);
    dx = gy * (1 if x > 0 else alpha),  dalpha = gy * x where x <= 0 (summed over
    the broadcast axes by the engine).

    Paper: He et al., "Delving Deep into Rectifiers", 2015.
    """

    def forward(self, x, alpha):
        return self.xp.where(x > 0, x, x * alpha)

    def backward(self, gy):
        x, alpha = self.inputs
        pos = constant(self.xp.astype(x.data > 0, gy.dtype))
        neg_gy = gy * (1 - pos)
        gx = gy * pos + neg_gy * alpha if self.needs_input_grad[0] else None
        galpha = neg_gy * x if self.needs_input_grad[1] else None
        return gx, galpha


class ELU(Function):
    """y = scale * (x if x > 0 else alpha (e^x - 1));
    dx = gy * (scale if x > 0 else y + scale alpha).

    Paper: Clevert et al., "Fast and Accurate Deep Network Learning by Exponential
    Linear Units (ELUs)", 2016.
    """

    def __init__(self, alpha=1.0, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, x):
        xp = self.xp
        # expm1 of min(x, 0): no overflow for large positive x in the unused branch
        neg = xp.expm1(xp.minimum(x, 0)) * (self.alpha * self.scale)
        return xp.where(x > 0, x * self.scale, neg)

    def backward(self, gy):
        x = self.inputs[0].data
        pos = constant(self.xp.astype(x > 0, gy.dtype))
        # for x <= 0, dy/dx = scale alpha e^x = y + scale alpha: reuse the output
        slope = pos * self.scale + (1 - pos) * (self.output + self.scale * self.alpha)
        return gy * slope


class SELU(ELU):
    """y = scale * elu(x, alpha) with the self-normalizing constants
    alpha = 1.6732632423543772, scale = 1.0507009873554805.

    Paper: Klambauer et al., "Self-Normalizing Neural Networks", 2017.
    """

    ALPHA = 1.6732632423543772848170429916717
    SCALE = 1.0507009873554804934193349852946

    def __init__(self):
        super().__init__(self.ALPHA, self.SCALE)


# -- erf and GELU -------------------------------------------------------------

# W. J. Cody's rational Chebyshev approximations, coefficients from the paper
# (highest power first). Near 0: erf(x) = x P(x^2) / Q(x^2); between 0.46875 and 4:
# erfc(x) = exp(-x^2) P(x) / Q(x); above 4: erfc(x) = exp(-x^2) / x *
# (1/sqrt(pi) - z P(z) / Q(z)) with z = 1/x^2.
_ERF_SMALL = (
    (1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2,
     3.77485237685302021e2, 3.20937758913846947e3),
    (1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3,
     2.84423683343917062e3),
)
_ERFC_MID = (
    (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0,
     6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2,
     1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3),
    (1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
     1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3,
     3.43936767414372164e3, 1.23033935480374942e3),
)
_ERFC_BIG = (
    (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
     1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4),
    (1.0, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1,
     6.05183413124413191e-2, 2.33520497626869185e-3),
)
_ERF_SPLIT = 0.46875
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _rational(coeffs, z):
    num, den = coeffs
    p = z * num[0] + num[1]
    for c in num[2:]:
        p = p * z + c
    q = z * den[0] + den[1]
    for c in den[2:]:
        q = q * z + c
    return p / q


def _erf_array(x):
    """erf of a floating array in its own dtype (Cody's approximation): within a
    few units in the last place, about 1e-16 in float64 and 2e-7 in float32."""
    xp = backend.namespace(x)
    y = xp.abs(x)
    # each branch runs on its own clamped copy of |x|, so no branch over- or
    # underflows where xp.where discards it; erfc(6) < 1e-16 so 6 is the cap
    s = xp.minimum(y, _ERF_SPLIT)
    small = s * _rational(_ERF_SMALL, s * s)
    m = xp.clip(y, _ERF_SPLIT, 4.0)
    b = xp.clip(y, 4.0, 6.0)
    z = 1.0 / (b * b)
    big = (_INV_SQRT_PI - z * _rational(_ERFC_BIG, z)) / b
    t = xp.clip(y, _ERF_SPLIT, 6.0)
    # exp(-t^2) as exp(-r^2) exp(-(t - r)(t + r)) with r = t rounded down to 1/16:
    # r^2 is exact, so rounding t^2 does not cost relative accuracy
    r = xp.trunc(t * 16.0) / 16.0
    tail = xp.where(y <= 4.0, _rational(_ERFC_MID, m), big)
    erfc = xp.exp(-r * r) * xp.exp(-(t - r) * (t + r)) * tail
    return xp.sign(x) * xp.where(y <= _ERF_SPLIT, small, (0.5 - erfc) + 0.5)


class Erf(Function):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt;  dx = gy * 2/sqrt(pi) exp(-x^2).

    The array API has no erf: the forward uses W. J. Cody's rational Chebyshev
    approximations, accurate to a few units in the last place of the input's
    dtype (about 1e-16 in float64, 2e-7 in float32) and computed in that dtype.
    Source: W. J. Cody, "Rational Chebyshev Approximations for the Error
    Function", Math. Comp. 23, 1969.
    """

    def forward(self, x):
        return _erf_array(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * (2 * _INV_SQRT_PI) * exp(-(x * x))


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)
_TANH_C = 0.044715


class GELU(Function):
    """y = x Phi(x) with Phi the standard normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2;
    dx = gy (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi).

    ``approximate="tanh"``: y = x (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3);
    dx = gy ((1 + t) / 2 + x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2), t = tanh(u).

    Paper: Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016.
    """

    def __init__(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        xp = self.xp
        if self.approximate == "tanh":
            return x * (xp.tanh((x + x * x * x * _TANH_C) * _TANH_K) + 1.0) * 0.5
        return x * (_erf_array(x * _SQRT_HALF) + 1.0) * 0.5

    def backward(self, gy):
        x = self.inputs[0]
        if self.approximate == "tanh":
            t = tanh((x + pow(x, 3) * _TANH_C) * _TANH_K)
            du = (1 + x * x * (3 * _TANH_C)) * _TANH_K
            return gy * ((1 + t) * 0.5 + x * (1 - t * t) * du * 0.5)
        cdf = (erf(x * _SQRT_HALF) + 1) * 0.5
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return gy * (cdf + x * pdf)


class Softplus(Function):
    """y = log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so it never
    overflows;  dx = gy * sigmoid(x).

    Paper: Dugas et al., "Incorporating Second-Order Functional Knowledge for
    Better Option Pricing", 2001.
    """

    def forward(self, x):
        xp = self.xp
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(self.inputs[0])


# -- wrappers ---------------------------------------------------------------------

def softmax(x, axis=-1, *, dim=None):
    """exp(x) / sum(exp(x)) along ``axis`` (or PyTorch's ``dim``; default the last)."""
    return Softmax(axis_or_dim("softmax", axis, dim, -1))(x)


def log_softmax(x, axis=-1, *, dim=None):
    """log softmax(x) along ``axis`` (or PyTorch's ``dim``; default the last)."""
    return LogSoftmax(axis_or_dim("log_softmax", axis, dim, -1))(x)


def relu(x):
    return ReLU()(x)


def leaky_relu(x, alpha=0.01, *, negative_slope=None):
    """``x`` where positive, ``alpha * x`` elsewhere; default slope 0.01 (PyTorch's).
    ``negative_slope=`` is PyTorch's name of ``alpha``."""
    if negative_slope is not None:
        if alpha != 0.01:
            raise TypeError(f"leaky_relu: give the slope once, as alpha= or negative_slope=, "
                            f"got alpha={alpha!r} and negative_slope={negative_slope!r}")
        alpha = negative_slope
    return LeakyReLU(python_number(alpha))(x)


def prelu(x, alpha):
    """Leaky ReLU with the learnable slope Variable ``alpha``.

    A 1-D ``alpha`` of size ``x.shape[1]`` holds one slope per channel of axis 1
    (PyTorch's convention, so ``(C,)`` works for ``(N, C)`` and ``(N, C, H, W)``);
    any other shape broadcasts against ``x`` as in numpy (a scalar, or Keras'
    per-feature shape ``x.shape[1:]``).
    """
    x = as_variable(x)
    alpha = as_variable(alpha, like=x)
    if alpha.ndim == 1 and x.ndim > 2 and alpha.shape[0] == x.shape[1] != 1:
        alpha = reshape(alpha, alpha.shape + (1,) * (x.ndim - 2))
    return PReLU()(x, alpha)


def rrelu(x, lower=1 / 8, upper=1 / 3, training=False):
    """Randomized leaky ReLU: ``x`` where positive, ``a * x`` elsewhere.

    In training each element draws its own slope ``a ~ U(lower, upper)``; in
    evaluation ``a = (lower + upper) / 2``. ``training=False`` by default, as
    PyTorch's ``F.rrelu``; ``training=None`` follows
    :func:`minigrad.config.is_training` (as ``nn.RReLU`` does).
    Paper: Xu et al., "Empirical Evaluation of Rectified Activations in
    Convolutional Network", 2015.
    """
    lower, upper = python_number(lower), python_number(upper)
    if not lower <= upper:
        raise ValueError(f"rrelu: lower ({lower}) must not exceed upper ({upper})")
    if training is None:
        training = config.is_training()
    if not training:
        return LeakyReLU((lower + upper) / 2)(x)
    x = as_variable(x)
    slopes = backend.get_backend(x.device).uniform(x.shape, lower, upper, x.dtype, x.device)
    return LeakyReLU(slopes)(x)


def elu(x, alpha=1.0):
    return ELU(python_number(alpha))(x)


def selu(x):
    return SELU()(x)


def erf(x):
    """The error function, elementwise (see :class:`Erf` for its accuracy)."""
    return Erf()(x)


def gelu(x, approximate="none"):
    """Gaussian error linear unit: exact (``"none"``, via erf) or PyTorch's ``"tanh"`` form."""
    return GELU(approximate)(x)


def softplus(x):
    return Softplus()(x)
