"""2-D max and average pooling layers over NCHW input, in Keras' and PyTorch's spellings."""
from __future__ import annotations

from minigrad import functions as F
from minigrad.functions.conv import pair
from minigrad.nn.conv import check_4d, layer_errors, window_padding
from minigrad.nn.module import Module

__all__ = [
    "AveragePooling2D",
    "AvgPool2D",
    "AvgPool2d",
    "MaxPool2D",
    "MaxPool2d",
    "MaxPooling2D",
]


class _Pooling2D(Module):
    """The window of a pooling layer: ``kernel_size``, ``stride`` (None: the
    kernel size) and ``padding``, checked when the layer is made."""

    argument_names = ("pool_size", "strides")  # as the signature spells them

    def __init__(self, kernel_size, stride, padding, name):
        super().__init__(name)
        op = type(self).__name__
        size_name, stride_name = self.argument_names
        self.kernel_size = pair(op, size_name, kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(op, stride_name, stride, 1)
        self.padding = window_padding(op, padding)

    @property
    def pool_size(self):
        """Keras' name of ``kernel_size``."""
        return self.kernel_size

    def _label(self):
        return type(self).__name__ + (f" {self.name!r}" if self.name else "")

    def extra_repr(self):
        kh, kw = self.kernel_size
        parts = [f"{kh}x{kw}"]
        if self.stride != self.kernel_size:
            parts.append(f"stride={self.stride}")
        if self.padding not in ("valid", (0, 0)):
            parts.append(f"padding={self.padding!r}")
        return ", ".join(parts)


class MaxPooling2D(_Pooling2D):
    """y[n, c, p, q] = max of x[n, c] over the window at (p, q) (Keras' signature).

    ``MaxPooling2D(pool_size=2, strides=None, padding="valid", name=None)``:
    ``strides`` defaults to ``pool_size``; ``padding`` is ``"valid"``,
    ``"same"`` (output ceil(H / stride)) or an int or pair (padding with -inf,
    at most half the window). Ties send the gradient to the first maximum of the
    window in row-major order; see :func:`minigrad.functions.max_pool2d`.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None):
        super().__init__(pool_size, strides, padding, name)

    def forward(self, x):
        label = self._label()
        check_4d(label, x)
        with layer_errors(label):
            return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class MaxPool2d(MaxPooling2D):
    """PyTorch's signature for the same layer: ``MaxPool2d(kernel_size, stride=None,
    padding=0, name=None)``."""

    argument_names = ("kernel_size", "stride")

    def __init__(self, kernel_size, stride=None, padding=0, name=None):
        super().__init__(kernel_size, stride, padding, name)


class AveragePooling2D(_Pooling2D):
    """y[n, c, p, q] = mean of x[n, c] over the window at (p, q) (Keras' signature).

    ``AveragePooling2D(pool_size=2, strides=None, padding="valid", name=None)``:
    as Keras, a window that reaches into the padding is divided by the number
    of input elements it covers (``count_include_pad=False``).
    """

    count_include_pad = False

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None):
        super().__init__(pool_size, strides, padding, name)

    def forward(self, x):
        label = self._label()
        check_4d(label, x)
        with layer_errors(label):
            return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                                count_include_pad=self.count_include_pad)


class AvgPool2d(AveragePooling2D):
    """PyTorch's signature: ``AvgPool2d(kernel_size, stride=None, padding=0,
    count_include_pad=True, name=None)``; by default every window is divided by
    kh*kw, padding included, as PyTorch does."""

    argument_names = ("kernel_size", "stride")

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True, name=None):
        super().__init__(kernel_size, stride, padding, name)
        self.count_include_pad = bool(count_include_pad)

    def extra_repr(self):
        extra = "" if self.count_include_pad else ", count_include_pad=False"
        return super().extra_repr() + extra


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
