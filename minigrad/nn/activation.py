"""Activation layers, and ``get_activation`` for the ``activation=`` argument of layers.

Each layer calls the function of the same name in :mod:`minigrad.functions`
(documented with formulas and papers in docs/functions.md), so
``nn.ReLU()(x)`` equals ``F.relu(x)``.
"""
from __future__ import annotations

from minigrad import functions as F
from minigrad.functions.array import axis_or_dim
from minigrad.nn.init import constant
from minigrad.nn.module import Module, autocast

__all__ = [
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "RReLU",
    "ELU",
    "SELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "Lambda",
    "Activation",
    "get_activation",
]


class ReLU(Module):
    """max(0, x)."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x.

    ``LeakyReLU(negative_slope=0.01, name=None, *, alpha=None)``. The name is
    PyTorch's and Keras'; the default slope is PyTorch's 0.01 (Keras'
    ``LeakyReLU()`` uses 0.3: write ``LeakyReLU(0.3)``). The slope may be given
    positionally (both libraries), as ``negative_slope=`` (PyTorch, Keras 3) or
    as ``alpha=`` (Keras 2). The activation string ``"leaky_relu"`` is Keras'
    and has Keras' slope, 0.2.
    """

    def __init__(self, negative_slope=None, name=None, *, alpha=None):
        super().__init__(name)
        if negative_slope is not None and alpha is not None:
            raise TypeError(f"LeakyReLU: give the slope once, as negative_slope= or alpha=, "
                            f"got negative_slope={negative_slope!r} and alpha={alpha!r}")
        slope = next((s for s in (negative_slope, alpha) if s is not None), 0.01)
        self.negative_slope = slope

    @property
    def alpha(self):
        """Keras 2's name of ``negative_slope``."""
        return self.negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """x if x > 0 else a * x with a learnable slope ``a`` (He et al., 2015).

    ``num_parameters=1`` shares one slope; ``num_parameters=C`` learns one per
    channel of axis 1 (features of (N, C) input, channels of NCHW input).
    ``init`` is the initial slope (0.25 as in the paper and PyTorch).
    ``alpha`` is created at construction (its shape is known), on "cpu" unless
    moved; as a lazy layer's ``activation`` it moves to the device the layer is
    built on. Integer and bool input is cast to ``alpha``'s dtype.
    Paper: He et al., "Delving Deep into Rectifiers" (2015).
    """

    def __init__(self, num_parameters=1, init=0.25, name=None):
        super().__init__(name)
        if int(num_parameters) < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1, got {num_parameters}")
        self.num_parameters = int(num_parameters)
        self.add_weight("alpha", (self.num_parameters,), constant(init))

    def forward(self, x):
        if self.num_parameters > 1 and (x.ndim < 2 or x.shape[1] != self.num_parameters):
            raise ValueError(
                f"PReLU: {self.num_parameters} slopes need input of shape (N, "
                f"{self.num_parameters}, ...), got {tuple(x.shape)}"
            )
        return F.prelu(autocast(x, self.alpha), self.alpha)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU: in training each negative input gets a slope drawn
    from U(lower, upper); in evaluation the mean slope (lower + upper) / 2.
    Paper: Xu et al., "Empirical Evaluation of Rectified Activations" (2015)."""

    def __init__(self, lower=1 / 8, upper=1 / 3, name=None):
        super().__init__(name)
        if not 0 <= lower <= upper:
            raise ValueError(f"RReLU: need 0 <= lower <= upper, got lower={lower}, upper={upper}")
        self.lower, self.upper = lower, upper

    def forward(self, x, training=None):
        return F.rrelu(x, self.lower, self.upper, training=self._is_training(training))

    def extra_repr(self):
        return f"lower={self.lower:.4g}, upper={self.upper:.4g}"


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, name=None):
        super().__init__(name)
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """Scaled ELU with the self-normalizing constants of Klambauer et al. (2017);
    pair it with LeCun-normal initialization."""

    def forward(self, x):
        return F.selu(x)


class GELU(Module):
    """x * Phi(x); ``approximate="tanh"`` for the tanh approximation."""

    def __init__(self, approximate="none", name=None):
        super().__init__(name)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``axis`` (default the last; PyTorch's ``dim=`` too)."""

    def __init__(self, axis=-1, name=None, *, dim=None):
        super().__init__(name)
        self.axis = axis_or_dim(type(self).__name__, axis, dim, -1)

    def forward(self, x):
        return F.softmax(x, axis=self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``axis``, computed stably."""

    def forward(self, x):
        return F.log_softmax(x, axis=self.axis)


class Lambda(Module):
    """A layer that applies a function: ``Lambda(lambda x: x * 2)`` (Keras' ``Lambda``)."""

    def __init__(self, fn, name=None):
        super().__init__(name)
        if not callable(fn):
            raise TypeError(f"Lambda: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def forward(self, x):
        return self.fn(x)

    def extra_repr(self):
        return getattr(self.fn, "__name__", type(self.fn).__name__)


def _keras_leaky_relu():
    return LeakyReLU(0.2)  # keras.activations.leaky_relu's slope


_BY_NAME = {
    "relu": ReLU,
    "leaky_relu": _keras_leaky_relu,
    "prelu": PReLU,
    "rrelu": RReLU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
}


def get_activation(activation):
    """A callable for the ``activation=`` argument of layers.

    ``None`` or ``"linear"``: None (identity). A name (``"relu"``, see the
    error message for all): a new layer of that kind, so ``"prelu"`` brings
    its own learnable slope. A callable (an ``F`` function, a layer): itself.
    """
    if activation is None or activation == "linear":
        return None
    if callable(activation):
        return activation
    if isinstance(activation, str) and activation.lower() in _BY_NAME:
        return _BY_NAME[activation.lower()]()
    raise ValueError(
        f"unknown activation {activation!r}; valid names: linear, "
        f"{', '.join(sorted(_BY_NAME))} (or a callable such as F.relu or nn.ReLU())"
    )


def Activation(activation, name=None):
    """Keras' ``Activation`` layer: ``Activation("relu")`` is ``ReLU()``, and a
    plain function becomes a :class:`Lambda` layer."""
    fn = get_activation(activation)
    if fn is None:
        return Lambda(lambda x: x, name=name)
    if isinstance(fn, Module):
        if name is not None:
            fn.name = name
        return fn
    return Lambda(fn, name=name)
