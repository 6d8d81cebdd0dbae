"""2-D convolution layer: y = activation(conv2d(x, W) + b) on NCHW input."""
from __future__ import annotations

import contextlib

from minigrad import backend
from minigrad import functions as F
from minigrad.core import Parameter, Variable
from minigrad.functions.conv import pair
from minigrad.nn.activation import ReLU, get_activation
from minigrad.nn.module import KernelAliases, Module, autocast
from minigrad.nn.shape import keras_input_shape

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


IMAGE_CHANNELS = (1, 3, 4)  # grey, RGB, RGBA: the channel counts of channels-last images


def looks_channels_last(shape):
    """Whether a 4-D input ``shape`` (N, A, B, C) is surely channels-last image data
    (N, H, W, C) rather than channels-first (N, C, H, W): its last axis holds 1, 3
    or 4 entries (grey, RGB, RGBA) and both axes before it at least 8. As
    channels-first data that would be 8 or more channels of images at most 4
    pixels wide, as tall as 8 or more: rare, and a layer given ``in_channels``
    never applies this rule."""
    _, a, b, c = shape
    return c in IMAGE_CHANNELS and a >= 8 and b >= 8


def channels_last_error(label, shape, lazy):
    n, h, w, c = shape
    escape = (f". If it really is channels-first ({h} channels of {w}x{c} images), give "
              f"the layer in_channels={h}") if lazy else ""
    return ValueError(
        f"{label}: got input of shape {shape}, which looks channels-last (N, H, W, C) with "
        f"C={c}; minigrad's convolutions take channels-first input (N, C, H, W) = "
        f"{(n, c, h, w)}: pass x.transpose(0, 3, 1, 2) (numpy) or x.permute(0, 3, 1, 2) "
        f"(a Variable){escape}")


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
               name=None, dtype="float32", device=None, stride=None, *, input_shape=None)

    ``kernel_size``, ``strides`` (or PyTorch's ``stride``) and ``dilation``
    are an int or an (height, width) pair; ``padding`` is ``"valid"`` (none),
    ``"same"`` (output ceil(H / stride), as Keras) or an int or pair (PyTorch).
    With ``in_channels=None`` the layer is lazy: ``W`` and ``b`` exist from
    construction as uninitialized Parameters and are filled in place at the
    first call, from the input's channel axis, on the input's device. Integer
    and bool input is cast to the layer's dtype. Initializers
    see the kernel's fans with the receptive field: fan_in = in_channels*kh*kw,
    fan_out = filters*kh*kw. See docs/convolution.md.

    The layout is channels-first: Keras' ``input_shape=`` is one image's shape
    (C, H, W) and builds the layer at once. A lazy layer refuses input that is
    surely channels-last (:func:`looks_channels_last`: (N, H, W, C) with C in
    1, 3, 4 and H, W >= 8, such as (N, 28, 28, 1)) and shows the transpose; a
    built one says the same when the last axis holds its ``in_channels``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, in_channels=None, name=None,
                 dtype="float32", device=None, stride=None, *, input_shape=None):
        super().__init__(name)
        op = type(self).__name__
        self.input_shape = keras_input_shape(op, input_shape)
        if self.input_shape is not None:
            in_channels = self._channels_of(op, self.input_shape, in_channels)
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

    @staticmethod
    def _channels_of(op, input_shape, in_channels):
        """``in_channels`` read from Keras' ``input_shape``, which must be channels-first
        (C, H, W) here; a channels-last (H, W, C) shape is refused with the fix."""
        if len(input_shape) != 3 or input_shape[0] is None:
            raise ValueError(f"{op}: input_shape must be one image's shape (C, H, W), "
                             f"channels first, got {input_shape}")
        if in_channels is not None:
            if in_channels != input_shape[0]:
                raise ValueError(f"{op}: in_channels={in_channels} disagrees with input_shape "
                                 f"{input_shape} (channels first: (C, H, W))")
        elif None not in input_shape and looks_channels_last((1,) + input_shape):
            h, w, c = input_shape
            raise ValueError(
                f"{op}: input_shape {input_shape} looks channels-last (H, W, C); minigrad's "
                f"convolutions are channels-first: input_shape={(c, h, w)}, and the data "
                f"transposed to (N, C, H, W) with x.transpose(0, 3, 1, 2)")
        return input_shape[0]

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
            if looks_channels_last(shape):
                raise channels_last_error(label, shape, lazy=True)
            self.build(shape[1], _device_of(x))
        elif shape[1] != self.in_channels:
            if shape[3] == self.in_channels:
                raise channels_last_error(label, shape, lazy=False)
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
