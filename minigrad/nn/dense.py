"""Dense (fully connected) layer: y = activation(x W + b)."""
from __future__ import annotations

from minigrad import backend
from minigrad import functions as F
from minigrad.core import Parameter, Variable
from minigrad.nn.activation import ReLU, get_activation
from minigrad.nn.module import KernelAliases, Module, autocast
from minigrad.nn.shape import keras_input_shape

__all__ = ["Dense", "Linear"]


def _device_of(x):
    return x.device if isinstance(x, Variable) else backend.device_of(x)


def _agreeing_size(op, name, given, from_shape, input_shape):
    """The input size ``name`` read from Keras' ``input_shape``; an error if it
    is unknown there or ``given`` says otherwise."""
    if from_shape is None:
        raise ValueError(f"{op}: input_shape {input_shape} leaves {name} unknown (None)")
    if given is not None and given != from_shape:
        raise ValueError(f"{op}: {name}={given} disagrees with input_shape {input_shape}")
    return from_shape


class Dense(KernelAliases, Module):
    """y = activation(x W + b), the kernel ``W`` of shape (in_features, units)
    (Keras' layout) and the bias ``b`` of shape (units,).

    ``Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
    bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
    kernel_constraint=None, bias_constraint=None, in_features=None, name=None,
    dtype="float32", device=None, *, input_shape=None, input_dim=None)``

    With ``in_features=None`` the layer is *lazy*: ``W`` and ``b`` exist from
    construction as uninitialized Parameters (so an optimizer made at once
    trains them) and are filled in place at the first call, from the last axis
    of the input and on the input's device (Keras and PyTorch's ``LazyLinear``
    do this). Integer and bool input is cast to the layer's dtype (Keras'
    autocast). ``activation`` is a name (``"relu"``) or a
    callable. Regularizers and constraints are stored on the Parameters
    (``W.regularizer``, ``W.constraint``) for the loss and the optimizer.
    Keras' keywords ``input_shape=`` (one sample's shape, e.g. ``(784,)``) and
    ``input_dim=`` build the layer at once (``in_features`` is the last entry)
    and, on the first layer of a Sequential, build the whole model.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None,
                 in_features=None, name=None, dtype="float32", device=None, *,
                 input_shape=None, input_dim=None):
        super().__init__(name)
        self.input_shape = keras_input_shape("Dense", input_shape, input_dim)
        if self.input_shape is not None:
            in_features = _agreeing_size("Dense", "in_features", in_features,
                                         self.input_shape[-1], self.input_shape)
        if int(units) < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units}")
        self.units = int(units)
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.dtype = dtype
        self.in_features = None
        self.W = Parameter(name="W")
        self.b = Parameter(name="b") if self.use_bias else None
        if device is not None:
            self.to(device)
        if in_features is not None:
            self.build(in_features)

    @property
    def built(self):
        return self.W.is_initialized

    def build(self, in_features, device=None):
        """Fill ``W`` (in_features, units) and ``b`` (units,) on ``device`` (and
        move a layer ``activation`` there)."""
        if int(in_features) < 1:
            raise ValueError(f"Dense: in_features must be a positive integer, got {in_features}")
        self.in_features = int(in_features)
        self.add_weight("W", (self.in_features, self.units), self.kernel_initializer,
                        self.dtype, device, self.kernel_regularizer, self.kernel_constraint)
        if self.use_bias:
            self.add_weight("b", (self.units,), self.bias_initializer,
                            self.dtype, device, self.bias_regularizer, self.bias_constraint)
        if device is not None and isinstance(self.activation, Module):
            self.activation.to(device)  # a PReLU's slope goes where the layer is built

    def _build_from_state(self, state, prefix, device):
        if not self.built and prefix + "W" in state:
            self.build(state[prefix + "W"].shape[0], device)

    def forward(self, x):
        if not self.built:
            if x.ndim < 1:
                raise ValueError(f"{self._label()}: input must have at least one axis, "
                                 f"got a scalar")
            self.build(x.shape[-1], _device_of(x))
        elif x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self._label()}: expected input with {self.in_features} features on the "
                f"last axis, got shape {tuple(x.shape)}"
            )
        x = autocast(x, self.W)
        if self._fused_relu:
            return F.linear_relu(x, self.W, self.b)
        y = F.dense(x, self.W, self.b)
        return y if self.activation is None else self.activation(y)

    @property
    def _fused_relu(self):
        """A plain ReLU activation runs fused with the product (F.linear_relu)."""
        return type(self.activation) is ReLU or self.activation is F.relu

    def _label(self):
        named = f" {self.name!r}" if self.name else ""
        return f"{type(self).__name__}{named} (in_features={self.in_features}, units={self.units})"

    def extra_repr(self):
        parts = [f"{self.in_features if self.built else '?'} -> {self.units}"]
        if not self.use_bias:
            parts.append("use_bias=False")
        if isinstance(self.activation, Module):
            parts.append(f"activation={self.activation!r}")
        elif self.activation is not None:
            parts.append(f"activation={getattr(self.activation, '__name__', self.activation)}")
        return ", ".join(parts)

    def __repr__(self):  # the activation is shown inline, not as a child
        return f"{type(self).__name__}({self.extra_repr()})"


class Linear(Dense):
    """PyTorch's signature for the same layer: ``Linear(in_features, out_features,
    bias=True, **dense_keywords)``; built at once. The kernel keeps the Dense
    layout (in_features, out_features), the transpose of PyTorch's ``weight``."""

    def __init__(self, in_features, out_features, bias=True, **kwargs):
        super().__init__(out_features, use_bias=bias, in_features=in_features, **kwargs)
