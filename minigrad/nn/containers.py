"""Sequential: layers applied one after the other."""
from __future__ import annotations

from minigrad import backend, config
from minigrad.nn.module import Module

__all__ = ["Sequential"]


class Sequential(Module):
    """``Sequential(layer, ...)`` or ``Sequential([layer, ...])``; ``add(layer)``
    appends. Supports ``len``, iteration, ``model[i]`` and slices.

    A layer built with ``name="..."`` is registered under that name (so its
    state_dict keys read ``"hidden1.W"``), any other under its position
    (``"0.W"``), as in PyTorch.
    """

    def __init__(self, *layers, name=None):
        super().__init__(name)
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self._input_shape = None
        for layer in layers:
            self.add(layer)

    def add(self, layer):
        """Append ``layer`` (a Module); returns ``self``."""
        if not isinstance(layer, Module):
            raise TypeError(
                f"Sequential.add: expected a Module (layer), got {type(layer).__name__}"
            )
        key = layer.name or str(len(self))
        if "." in key or hasattr(self, key):
            raise ValueError(
                f"Sequential.add: cannot register a layer under the name {key!r} (it contains "
                f"a dot or is taken by another layer or attribute); give it another name"
            )
        setattr(self, key, layer)
        return self

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
        of the last batch this model saw is used. Parameter counts include
        buffers (non-trainable), as Keras counts BatchNorm's moving statistics.
        """
        shape = tuple(input_shape) if input_shape is not None else self._input_shape
        if shape is None:
            raise ValueError(
                "Sequential.summary: the output shapes are unknown until the model sees data; "
                "pass input_shape (one sample's shape, e.g. summary(input_shape=(784,)))"
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
