"""Sequential: layers applied one after the other."""
from __future__ import annotations

from minigrad import backend, config
from minigrad.nn.dense import Dense
from minigrad.nn.module import Module
from minigrad.nn.shape import Input

__all__ = ["Sequential"]


class Sequential(Module):
    """``Sequential(layer, ...)`` or ``Sequential([layer, ...])``; ``add(layer)``
    appends. Supports ``len``, iteration, ``model[i]`` and slices.

    A layer built with ``name="..."`` is registered under that name (so its
    state_dict keys read ``"hidden1.W"``), any other under its position
    (``"0.W"``), as in PyTorch.

    As in Keras, the shape of one sample may be declared by an ``nn.Input(shape)``
    first item or by ``input_shape=`` on the first layer; every layer is then
    built as it is added (so ``summary()``, ``count_params()`` and an optimizer
    work before any data). ``layers`` lists the layers (Keras' ``model.layers``).
    """

    def __init__(self, *layers, name=None):
        super().__init__(name)
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self._input_shape = None
        self._output_shape = None  # one sample's shape after the last layer, while known
        for layer in layers:
            self.add(layer)

    @property
    def layers(self):
        """The layers in order, as a list (Keras' ``model.layers``)."""
        return list(self.children())

    def add(self, layer):
        """Append ``layer`` (a Module); returns ``self``."""
        if not isinstance(layer, Module):
            raise TypeError(
                f"Sequential.add: expected a Module (layer), got {type(layer).__name__}"
            )
        first = not self._modules and self._input_shape is None
        if isinstance(layer, Input):
            if not first:
                raise ValueError("Sequential.add: nn.Input declares the model's input and "
                                 "must come first, before every layer")
            self._input_shape = self._output_shape = layer.shape
            return self
        if first and getattr(layer, "input_shape", None) is not None:
            self._input_shape = self._output_shape = layer.input_shape
        key = layer.name or str(len(self))
        if "." in key or hasattr(self, key):
            raise ValueError(
                f"Sequential.add: cannot register a layer under the name {key!r} (it contains "
                f"a dot or is taken by another layer or attribute); give it another name"
            )
        setattr(self, key, layer)
        self._build_known(layer)
        return self

    def _build_known(self, layer):
        """Run ``layer`` on one zero sample of the shape the layers before it give,
        when that shape is known, so that a lazy layer is built (Keras builds a
        Sequential whose input shape is declared)."""
        shape = self._output_shape
        if shape is None or None in shape:
            self._output_shape = None
            return
        b = backend.get_backend(layer.device)
        with config.no_grad(), config.eval_mode():
            y = layer(b.zeros((1,) + shape, b.xp.float32, layer.device))
        self._output_shape = tuple(y.shape[1:])

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self.children()))

    def __getitem__(self, index):
        layers = list(self.children())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def forward(self, x):
        """The layers in order."""
        d = self.__dict__
        d["_input_shape"] = tuple(x.shape[1:])
        for name in d["_modules"]:
            x = d[name](x)
        return x

    def summary(self, input_shape=None, print_fn=print):
        """Print each layer, its output shape and parameter count, as Keras'
        ``model.summary()``.

        Output shapes come from a forward pass of one zero sample of
        ``input_shape`` (per sample, without the batch axis, e.g. ``(784,)``),
        run in evaluation mode under ``no_grad`` (so lazy layers get built and
        running statistics stay untouched). Without ``input_shape`` the shape
        declared by ``nn.Input`` or the first layer's ``input_shape``, else
        of the last batch this model saw, else the input size of a built first
        Dense is used. Parameter counts include buffers (non-trainable), as
        Keras counts BatchNorm's moving statistics.
        """
        shape = tuple(input_shape) if input_shape is not None else self._input_shape
        first = next(self.children(), None)
        if shape is None and isinstance(first, Dense) and first.built:
            shape = (first.in_features,)
        if shape is None or None in shape:
            varying = f" (the declared input shape {shape} has sizes that vary)" if shape else ""
            raise ValueError(
                f"Sequential.summary: the output shapes are unknown until the model sees "
                f"data{varying}; pass input_shape (one sample's shape, e.g. "
                f"summary(input_shape=(784,))) or declare it: nn.Input(shape) first, or "
                f"input_shape= on the first layer"
            )
        device = self.device
        b = backend.get_backend(device)
        x = b.zeros((1,) + shape, b.xp.float32, device)
        rows = []
        with config.no_grad(), config.eval_mode():
            for key, layer in self.named_children():
                x = layer(x)
                n_params = layer.count_params() + sum(buf.size for buf in layer.buffers())
                out = "(None, " + ", ".join(str(s) for s in x.shape[1:]) + ")"
                rows.append((f"{key} ({type(layer).__name__})", out, f"{n_params:,}"))
        self._input_shape = shape
        trainable = self.count_params(trainable_only=True)
        total = self.count_params() + sum(buf.size for buf in self.buffers())
        headers = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(r[i]) for r in rows + [headers]) + 3 for i in range(3)]
        rule = "=" * sum(widths)

        def line(cells):
            return "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

        text = [f'Model: "{self.name or type(self).__name__}"', "_" * sum(widths),
                line(headers), rule]
        text += [line(r) for r in rows]
        text += [rule, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                 f"Non-trainable params: {total - trainable:,}", "_" * sum(widths)]
        print_fn("\n".join(text))
