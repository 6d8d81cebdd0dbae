"""Export a model to an ONNX file, for onnxruntime and the other ONNX runtimes.

``pip install "minigrad[onnx]"`` installs onnx (and onnxruntime to run the file).
minigrad's layouts are ONNX's (NCHW images, Conv kernels (out, in, kh, kw), Dense
kernels (in, out) as Gemm's B), so weights are written as they are. See docs/export.md.
"""
from __future__ import annotations

import contextlib
import math

from minigrad import backend, config, nn
from minigrad import functions as F
from minigrad.core import Variable, to_device
from minigrad.functions.conv import sliding_window
from minigrad.io import atomic_writer

__all__ = ["export"]

MIN_OPSET = 13  # Softmax over one axis, Reshape's shape as an input


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("minigrad.onnx.export needs onnx: pip install \"minigrad[onnx]\" "
                          "(or pip install onnx)") from None
    return onnx


def export(model, example_input, path, opset=17):
    """Write ``model`` in evaluation mode to the ONNX file ``path``; returns the
    ``onnx.ModelProto``.

    ``example_input``: one batch (array or Variable, samples on the first axis)
    fixing the dtype and every axis but the first, which stays dynamic
    (``"batch"``) in the graph's input ``"input"`` and output ``"output"``.
    ``opset``: the ONNX operator set, 13 or later (default 17).

    The model is a Sequential (nested ones too) or a single layer, made of Dense /
    Linear, Conv2D (any stride, padding, dilation), MaxPooling2D,
    AveragePooling2D, BatchNorm (running statistics), Flatten, Reshape, Dropout
    (left out: evaluation is the identity) and the activation layers ReLU,
    LeakyReLU, PReLU, RReLU (its mean slope), ELU, SELU, GELU, Sigmoid, Tanh,
    Softmax, LogSoftmax (or ``activation=`` of a Dense or Conv2D). Any other layer,
    a layer not built yet, or ``Dropout(mc=True)`` (active at inference) is a
    ValueError naming it. The file passes ``onnx.checker`` before it is written.
    """
    onnx = _onnx()
    if isinstance(opset, bool) or not isinstance(opset, int) \
            or not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"export: opset must be an integer from {MIN_OPSET} to "
                         f"{onnx.defs.onnx_opset_version()} (this onnx), got {opset!r}")
    layers = list(_layers(model))
    for key, layer in layers:
        _converter(key, layer)  # unsupported layers fail before anything runs
        if not getattr(layer, "built", True):
            raise ValueError(f"export: layer {_label(key, layer)} is not built yet (a lazy layer "
                             f"creates its weights at its first call): run the model on data, "
                             f"or train it, before exporting")
    x = _example(model, example_input)
    in_shape = tuple(x.shape)
    graph = _Graph(onnx, opset, backend.to_numpy(x.data).dtype)
    for name, p in model.named_parameters():
        graph.check_dtype(name, p.data)
    name = "input"
    with _evaluation(model):
        for key, layer in layers:
            name = _converter(key, layer)(graph, key, layer, name, tuple(x.shape))
            x = layer(x)
    graph.name_output(name)
    helper = onnx.helper
    proto = helper.make_model(
        helper.make_graph(graph.nodes, type(model).__name__,
                          [graph.value_info("input", in_shape)],
                          [graph.value_info("output", tuple(x.shape))], graph.initializers),
        opset_imports=[helper.make_opsetid("", opset)], producer_name="minigrad")
    # The oldest IR version that carries this opset, not the installed onnx's newest:
    # a runtime older than the onnx package (IR 14 files, runtimes reading up to 13)
    # then still loads the file.
    proto.ir_version = helper.find_min_ir_version_for(proto.opset_import)
    onnx.checker.check_model(proto)
    with atomic_writer(path) as f:  # readers never see a part-written model
        f.write(proto.SerializeToString())
    return proto


# -- the model as a list of layers ---------------------------------------------------------

def _layers(model, prefix=""):
    """``(key, layer)`` for the layers of ``model``, nested Sequentials flattened
    (keys are state_dict prefixes: ``"0"``, ``"block.1"``; ``""`` for a lone layer)."""
    if isinstance(model, nn.Sequential) and type(model).forward is nn.Sequential.forward:
        for key, child in model.named_children():
            yield from _layers(child, f"{prefix}{key}.")
    else:
        yield prefix[:-1], model


def _label(key, layer):
    return f"{key!r} ({type(layer).__name__})" if key else type(layer).__name__


def _example(model, example_input):
    if not isinstance(example_input, Variable):
        example_input = Variable(example_input, requires_grad=False)
    if example_input.ndim < 2:
        raise ValueError(f"export: example_input must be a batch (samples on the first axis), "
                         f"got shape {tuple(example_input.shape)}")
    x = to_device(example_input, model.device)
    if not backend.is_floating(x.dtype, x.xp):
        raise ValueError(f"export: example_input must be floating point, got {x.dtype}")
    return x


@contextlib.contextmanager
def _evaluation(model):
    """Evaluation mode without a graph; each module's own flag is restored afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with config.no_grad(), config.eval_mode():
            yield
    finally:
        for m, flag in flags:
            m.training = flag


# -- the ONNX graph being built -------------------------------------------------------------

class _Graph:
    """Nodes and initializers (weights by their state_dict names) in one dtype."""

    def __init__(self, onnx, opset, dtype):
        self.onnx, self.opset, self.dtype = onnx, opset, dtype
        self.elem_type = onnx.helper.np_dtype_to_tensor_dtype(dtype)
        self.nodes, self.initializers, self._names = [], [], set()

    def check_dtype(self, name, array):
        dtype = backend.to_numpy(array[:0, ...]).dtype  # the dtype, without copying the data
        if dtype != self.dtype:
            raise ValueError(f"export: parameter {name!r} is {dtype} but example_input is "
                             f"{self.dtype}; an ONNX graph has one dtype: cast the input (or "
                             f"the model) to match")

    def _unique(self, name):
        base, k = name, 1
        while name in self._names:
            name, k = f"{base}_{k}", k + 1
        self._names.add(name)
        return name

    def node(self, op, inputs, key, **attrs):
        """Add ``op`` applied to ``inputs``; returns its output's name (``key/op``)."""
        out = self._unique(f"{key}/{op}" if key else op)
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def weight(self, key, name, array, shape=None):
        """A parameter or buffer as an initializer named like its state_dict entry."""
        host = backend.to_numpy(array)
        if shape is not None:
            host = host.reshape(shape)
        full = self._unique(f"{key}.{name}" if key else name)
        self.initializers.append(self.onnx.numpy_helper.from_array(host, full))
        return full

    def constant(self, key, name, values, int64=False):
        """A small constant tensor: int64 shape vectors, or a scalar of the graph's dtype."""
        helper = self.onnx.helper
        full = self._unique(f"{key}/{name}" if key else name)
        if int64:
            tensor = helper.make_tensor(full, self.onnx.TensorProto.INT64, [len(values)], values)
        else:
            tensor = self.onnx.numpy_helper.from_array(
                backend.to_numpy(backend.as_array(values)).astype(self.dtype), full)
        self.initializers.append(tensor)
        return full

    def name_output(self, name):
        """Call the tensor ``name`` "output" (an Identity node when it is the input)."""
        if name == "input":
            name = self.node("Identity", [name], "")
        for node in self.nodes:
            if node.output[0] == name:
                node.output[0] = "output"

    def value_info(self, name, shape):
        return self.onnx.helper.make_tensor_value_info(name, self.elem_type,
                                                       ["batch", *shape[1:]])


# -- one converter per layer: (graph, key, layer, input name, input shape) -> output name ----

def _dense(g, key, layer, x, shape):
    W = g.weight(key, "W", layer.W.data)
    inputs = [x, W] + ([g.weight(key, "b", layer.b.data)] if layer.b is not None else [])
    if len(shape) == 2:
        y = g.node("Gemm", inputs, key)
    else:  # Gemm takes matrices only
        y = g.node("MatMul", inputs[:2], key)
        if len(inputs) == 3:
            y = g.node("Add", [y, inputs[2]], key)
    return _activation(g, key, layer, y, shape)


def _conv2d(g, key, layer, x, shape):
    window = sliding_window(type(layer).__name__, shape[2:], layer.kernel_size, layer.stride,
                            layer.padding, layer.dilation)
    inputs = [x, g.weight(key, "W", layer.W.data)]
    if layer.b is not None:
        inputs.append(g.weight(key, "b", layer.b.data))
    y = g.node("Conv", inputs, key, kernel_shape=list(layer.kernel_size),
               strides=list(layer.stride), dilations=list(layer.dilation), pads=_pads(window))
    return _activation(g, key, layer, y, shape)


def _pads(window):
    """ONNX's order: the starts of every axis, then their ends."""
    (top, bottom), (left, right) = window.pad
    return [top, left, bottom, right]


def _max_pool(g, key, layer, x, shape):
    window = sliding_window(type(layer).__name__, shape[2:], layer.kernel_size, layer.stride,
                            layer.padding)
    return g.node("MaxPool", [x], key, kernel_shape=list(layer.kernel_size),
                  strides=list(layer.stride), pads=_pads(window))


def _avg_pool(g, key, layer, x, shape):
    window = sliding_window(type(layer).__name__, shape[2:], layer.kernel_size, layer.stride,
                            layer.padding)
    return g.node("AveragePool", [x], key, kernel_shape=list(layer.kernel_size),
                  strides=list(layer.stride), pads=_pads(window),
                  count_include_pad=int(layer.count_include_pad))


def _batch_norm(g, key, layer, x, shape):
    if layer.axis not in (1, 1 - len(shape)):
        raise ValueError(f"export: layer {_label(key, layer)} normalizes axis {layer.axis}; "
                         f"ONNX's BatchNormalization normalizes axis 1 (channels) only")
    inputs = [x, g.weight(key, "gamma", layer.gamma.data), g.weight(key, "beta", layer.beta.data),
              g.weight(key, "running_mean", layer.running_mean),
              g.weight(key, "running_var", layer.running_var)]
    return g.node("BatchNormalization", inputs, key, epsilon=float(layer.eps))


def _dropout(g, key, layer, x, shape):
    if layer.mc:
        raise ValueError(f"export: layer {_label(key, layer)} is Monte-Carlo dropout, active "
                         f"at inference; the export would leave it out and change the outputs")
    return x


def _flatten(g, key, layer, x, shape):
    start = layer.start_axis % len(shape)
    if start == 0:
        raise ValueError(f"export: layer {_label(key, layer)} flattens the batch axis "
                         f"(start_axis={layer.start_axis}); the export keeps it dynamic")
    if start == 1:
        return g.node("Flatten", [x], key, axis=1)
    return g.node("Reshape", [x, g.constant(key, "shape", [0] * start + [-1], int64=True)], key)


def _reshape(g, key, layer, x, shape):
    if 0 in layer.target_shape:  # ONNX's Reshape reads 0 as "keep this axis"
        raise ValueError(f"export: layer {_label(key, layer)} has a 0 in target_shape "
                         f"{layer.target_shape}")
    target = g.constant(key, "shape", [0, *layer.target_shape], int64=True)
    return g.node("Reshape", [x, target], key)


def _elementwise(op, **attrs):
    def convert(g, key, layer, x, shape):
        return g.node(op, [x], key, **{k: f(layer) for k, f in attrs.items()})
    return convert


def _prelu(g, key, layer, x, shape):
    n = layer.num_parameters
    # one slope per channel of axis 1: (C, 1, ..., 1) broadcasts against (N, C, ...)
    slope_shape = (n,) + (1,) * (len(shape) - 2) if n > 1 else (1,)
    return g.node("PRelu", [x, g.weight(key, "alpha", layer.alpha.data, slope_shape)], key)


def _gelu(g, key, layer, x, shape):
    if g.opset >= 20:
        return g.node("Gelu", [x], key, approximate=layer.approximate)
    # opset < 20 has no Gelu: x * (1 + erf(x / sqrt 2)) / 2, or the tanh form
    # x * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2
    def const(name, value):
        return g.constant(key, name, value)

    if layer.approximate == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x], key), x], key)
        inner = g.node("Add", [x, g.node("Mul", [cube, const("c", 0.044715)], key)], key)
        t = g.node("Tanh", [g.node("Mul", [inner, const("k", math.sqrt(2 / math.pi))], key)],
                   key)
    else:
        t = g.node("Erf", [g.node("Mul", [x, const("inv_sqrt2", math.sqrt(0.5))], key)], key)
    one_plus = g.node("Add", [t, const("one", 1.0)], key)
    return g.node("Mul", [g.node("Mul", [x, one_plus], key), const("half", 0.5)], key)


_CONVERTERS = {
    nn.Dense: _dense,
    nn.Conv2D: _conv2d,
    nn.MaxPooling2D: _max_pool,
    nn.AveragePooling2D: _avg_pool,
    nn.BatchNorm: _batch_norm,
    nn.Dropout: _dropout,
    nn.Flatten: _flatten,
    nn.Reshape: _reshape,
    nn.ReLU: _elementwise("Relu"),
    nn.LeakyReLU: _elementwise("LeakyRelu", alpha=lambda m: float(m.alpha)),
    nn.RReLU: _elementwise("LeakyRelu", alpha=lambda m: (m.lower + m.upper) / 2),
    nn.PReLU: _prelu,
    nn.ELU: _elementwise("Elu", alpha=lambda m: float(m.alpha)),
    nn.SELU: _elementwise("Selu", alpha=lambda m: F.activation.SELU.ALPHA,
                          gamma=lambda m: F.activation.SELU.SCALE),
    nn.GELU: _gelu,
    nn.Sigmoid: _elementwise("Sigmoid"),
    nn.Tanh: _elementwise("Tanh"),
    nn.Softmax: _elementwise("Softmax", axis=lambda m: m.axis),
    nn.LogSoftmax: _elementwise("LogSoftmax", axis=lambda m: m.axis),
}

# ``activation=`` given as a function of minigrad.functions: its layer's converter
_FUNCTIONS = {
    F.relu: nn.ReLU(), F.leaky_relu: nn.LeakyReLU(), F.elu: nn.ELU(), F.selu: nn.SELU(),
    F.gelu: nn.GELU(), F.sigmoid: nn.Sigmoid(), F.tanh: nn.Tanh(), F.softmax: nn.Softmax(),
    F.log_softmax: nn.LogSoftmax(),
}


def _converter(key, layer):
    """The converter of ``layer``'s class or of the nearest base class whose
    ``forward`` it keeps (a subclass with its own forward computes something else)."""
    for cls in type(layer).__mro__:
        if cls in _CONVERTERS:
            if type(layer).forward is cls.forward:
                return _CONVERTERS[cls]
            break
    supported = ", ".join(sorted(cls.__name__ for cls in _CONVERTERS))
    raise ValueError(f"export: layer {_label(key, layer)} cannot be exported to ONNX; "
                     f"supported layers: Sequential of {supported}")


def _activation(g, key, layer, y, shape):
    fn = layer.activation
    if fn is None:
        return y
    module = fn if isinstance(fn, nn.Module) else _FUNCTIONS.get(fn)
    if module is None:
        raise ValueError(f"export: layer {_label(key, layer)} has the activation {fn!r}, "
                         f"which cannot be exported; use a layer or a function of "
                         f"minigrad.functions such as F.relu")
    sub = f"{key}.activation" if key else "activation"
    return _converter(sub, module)(g, sub, module, y, shape)
