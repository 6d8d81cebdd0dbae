"""2-D convolution layer: y = activation(conv2d(x, W) + b) on NCHW input."""
from __future__ import annotations

import contextlib

from minigrad import backend
from minigrad import functions as F
from minigrad.core import Parameter, Variable
from minigrad.functions.conv import pair
from minigrad.nn.activation import ReLU, get_activation
from minigrad.nn.module import KernelAliases, Module, autocast

__all__ = ["Conv2D", "Conv2d"]


def _device_of(x):
    return x.device if isinstance(x, Variable) else backend.device_of(x)


def window_padding(op, padding):
    """``padding`` checked at construction: ``"same"``/``"valid"`` (any case), or
    an int or a pair of ints >= 0 (returned as a pair)."""
    if isinstance(padding, str):
        if padding.lower() not in ("same", "valid"):
            raise ValueError(
                f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
            )
        return padding.lower()
    return pair(op, "padding", padding, 0)


def check_4d(label, x):
    """The shape of ``x``; a non-4-D input is an error naming the layer."""
    shape = tuple(x.shape)
    if len(shape) != 4:
        raise ValueError(f"{label}: expected a 4-D input (N, C, H, W), got shape {shape}")
    return shape


@contextlib.contextmanager
def layer_errors(label):
    """Re-raise a ValueError of the function called inside with the layer's label in
    front (the function checks what depends on the input, such as the window fitting it)."""
    try:
        yield
    except ValueError as e:
        raise ValueError(f"{label}: {e}") from None


class Conv2D(KernelAliases, Module):
    """y = activation(conv2d(x, W, b)), a 2-D convolution of NCHW input.

    y[n, o, p, q] = b[o] + sum_{c,i,j} W[o, c, i, j] x_pad[n, c, p*sh + i*dh, q*sw + j*dw]

    The kernel ``W`` has PyTorch's layout (filters, in_channels, kh, kw), the
    bias ``b`` the shape (filters,). Keras' signature::

        Conv2D(filters, kernel_size, strides=1, padding="valid", dilation=1,
               activation=None, use_bias=True, kernel_initializer="glorot_uniform",
               bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
               kernel_constraint=None, bias_constraint=None, in_channels=None,
               name=None, dtype="float32", device=None, stride=None)

    ``kernel_size``, ``strides`` (or PyTorch's ``stride``) and ``dilation``
    are an int or an (height, width) pair; ``padding`` is ``"valid"`` (none),
    ``"same"`` (output ceil(H / stride), as Keras) or an int or pair (PyTorch).
    With ``in_channels=None`` the layer is lazy: ``W`` and ``b`` exist from
    construction as uninitialized Parameters and are filled in place at the
    first call, from the input's channel axis, on the input's device. Integer
    and bool input is cast to the layer's dtype. Initializers
    see the kernel's fans with the receptive field: fan_in = in_channels*kh*kw,
    fan_out = filters*kh*kw. See docs/convolution.md.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, in_channels=None, name=None,
                 dtype="float32", device=None, stride=None):
        super().__init__(name)
        op = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{op}: filters must be a positive integer, got {filters!r}")
        if stride is not None and strides != 1:
            raise TypeError(f"{op}: give the stride once, as strides= (Keras) or stride= "
                            f"(PyTorch), got strides={strides!r} and stride={stride!r}")
        self.filters = filters
        self.kernel_size = pair(op, "kernel_size", kernel_size, 1)
        self.stride = pair(op, "stride", strides if stride is None else stride, 1)
        self.dilation = pair(op, "dilation", dilation, 1)
        self.padding = window_padding(op, padding)
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.dtype = dtype
        self.in_channels = None
        self.W = Parameter(name="W")
        self.b = Parameter(name="b") if self.use_bias else None
        if device is not None:
            self.to(device)
        if in_channels is not None:
            self.build(in_channels)

    @property
    def built(self):
        return self.W.is_initialized

    @property
    def strides(self):
        return self.stride

    def build(self, in_channels, device=None):
        """Fill ``W`` (filters, in_channels, kh, kw) and ``b`` (filters,) on ``device``
        (and move a layer ``activation`` there)."""
        if isinstance(in_channels, bool) or int(in_channels) < 1:
            raise ValueError(f"{type(self).__name__}: in_channels must be a positive integer, "
                             f"got {in_channels!r}")
        self.in_channels = int(in_channels)
        self.add_weight("W", (self.filters, self.in_channels, *self.kernel_size),
                        self.kernel_initializer, self.dtype, device,
                        self.kernel_regularizer, self.kernel_constraint)
        if self.use_bias:
            self.add_weight("b", (self.filters,), self.bias_initializer, self.dtype, device,
                            self.bias_regularizer, self.bias_constraint)
        if device is not None and isinstance(self.activation, Module):
            self.activation.to(device)  # a PReLU's slope goes where the layer is built

    def _build_from_state(self, state, prefix, device):
        if not self.built and prefix + "W" in state:
            self.build(state[prefix + "W"].shape[1], device)

    def forward(self, x):
        label = self._label()
        shape = check_4d(label, x)
        if not self.built:
            self.build(shape[1], _device_of(x))
        elif shape[1] != self.in_channels:
            raise ValueError(f"{label}: expected input with {self.in_channels} channels on "
                             f"axis 1, got {shape[1]} (input shape {shape})")
        x = autocast(x, self.W)
        relu = type(self.activation) is ReLU or self.activation is F.relu
        with layer_errors(label):  # a plain ReLU runs in the convolution's node
            y = (F.conv2d_relu if relu else F.conv2d)(x, self.W, self.b, self.stride,
                                                      self.padding, self.dilation)
        return y if relu or self.activation is None else self.activation(y)

    def _label(self):
        named = f" {self.name!r}" if self.name else ""
        return (f"{type(self).__name__}{named} (in_channels={self.in_channels}, "
                f"filters={self.filters})")

    def extra_repr(self):
        kh, kw = self.kernel_size
        parts = [f"{self.in_channels if self.built else '?'} -> {self.filters}",
                 f"kernel_size={kh}x{kw}"]
        if self.stride != (1, 1):
            parts.append(f"stride={self.stride}")
        if self.padding not in ("valid", (0, 0)):
            parts.append(f"padding={self.padding!r}")
        if self.dilation != (1, 1):
            parts.append(f"dilation={self.dilation}")
        if not self.use_bias:
            parts.append("use_bias=False")
        if isinstance(self.activation, Module):
            parts.append(f"activation={self.activation!r}")
        elif self.activation is not None:
            parts.append(f"activation={getattr(self.activation, '__name__', self.activation)}")
        return ", ".join(parts)

    def __repr__(self):  # the activation is shown inline, not as a child
        return f"{type(self).__name__}({self.extra_repr()})"


class Conv2d(Conv2D):
    """PyTorch's signature for the same layer: ``Conv2d(in_channels, out_channels,
    kernel_size, stride=1, padding=0, dilation=1, bias=True, **conv2d_keywords)``;
    built at once. The kernel has PyTorch's layout (out_channels, in_channels, kh, kw);
    the default initializer stays Glorot uniform (PyTorch draws from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))); pass ``kernel_initializer`` to change it."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, **kwargs):
        super().__init__(out_channels, kernel_size, padding=padding, dilation=dilation,
                         use_bias=bias, in_channels=in_channels, stride=stride, **kwargs)

    @property
    def out_channels(self):
        return self.filters
