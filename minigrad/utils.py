"""Graph drawings in Graphviz's DOT language: the computational graph behind a Variable
(DeZero's ``get_dot_graph`` / ``plot_dot_graph``) and the layers of a model (Keras'
``plot_model``).

The DOT text needs nothing to produce; rendering it to PNG, SVG or PDF needs Graphviz's
``dot`` program (``apt-get install graphviz``, ``brew install graphviz``). Without it,
the ``plot_*`` functions write the ``.dot`` file and say how to render it. See
docs/autodiff.md.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings

from minigrad import backend, config
from minigrad.core import Variable

__all__ = ["get_dot_graph", "get_model_dot", "plot_dot_graph", "plot_model"]


def get_dot_graph(output, verbose=False) -> str:
    """The graph that computed ``output``, as DOT text (``digraph g {...}``).

    Variables are ellipses labelled with their ``name`` (``verbose=True`` adds
    shape and dtype: ``x: (2, 3) float32``); Functions are boxes labelled with
    their class (``Add``, ``MatMul``). Edges follow the data: input -> Function
    -> output, and Functions come oldest first. Draw the graph before
    ``backward()``, which frees it (unless ``retain_graph=True``): a freed graph
    is a RuntimeError, as is a Variable computed under ``no_grad()``.
    """
    if not isinstance(output, Variable):
        raise TypeError(f"get_dot_graph: expected a Variable, got {type(output).__name__}")
    if output.creator is None and output._made_in_no_grad:
        raise RuntimeError("get_dot_graph: this Variable was computed under no_grad(), which "
                           "records no graph; compute it with gradients enabled")
    nodes = _Nodes(verbose)
    for func in _functions(output):
        inputs = [nodes.variable(x) for x in func.inputs]
        name = nodes.function(func)
        for x in inputs:
            nodes.edge(x, name)
        for ref in func.outputs:
            y = ref()
            if y is not None:  # an output nobody holds any more is gone from the graph
                nodes.edge(name, nodes.variable(y))
    nodes.variable(output)
    return "digraph g {\n" + "".join(nodes.lines) + "}\n"


def _functions(output):
    """Every Function behind ``output``, each once, in the order they ran (by generation)."""
    found, stack, seen = [], [output.creator], set()
    while stack:
        func = stack.pop()
        if func is None or func in seen:
            continue
        if func.released:
            raise RuntimeError(
                f"get_dot_graph: the graph through {type(func).__name__} was freed by "
                f"backward(); draw it before backward(), or call backward(retain_graph=True)")
        seen.add(func)
        found.append(func)
        stack.extend(x.creator for x in func.inputs)
    order = {func: k for k, func in enumerate(found)}
    return sorted(found, key=lambda f: (f.generation, -order[f]))


class _Nodes:
    """DOT lines with stable node names (v0, v1, ... and f0, f1, ...)."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.lines = []
        self._names = {}  # id -> (object, node name); holding the object keeps the id unique
        self._counts = {"v": 0, "f": 0}

    def _name(self, obj, prefix):
        entry = self._names.get(id(obj))
        if entry is not None:
            return entry[1], False
        name = f"{prefix}{self._counts[prefix]}"
        self._counts[prefix] += 1
        self._names[id(obj)] = (obj, name)
        return name, True

    def variable(self, v):
        name, new = self._name(v, "v")
        if new:
            label = v.name or ""
            if self.verbose:
                dtype = str(v.dtype).rsplit(".", 1)[-1]
                label += f"{': ' if label else ''}{tuple(v.shape)} {dtype}"
            self.lines.append(f'{name} [label="{_quote(label)}", color=orange, style=filled]\n')
        return name

    def function(self, func):
        name, _ = self._name(func, "f")
        self.lines.append(f'{name} [label="{_quote(type(func).__name__)}", color=lightblue, '
                          f'style=filled, shape=box]\n')
        return name

    def edge(self, a, b):
        self.lines.append(f"{a} -> {b}\n")


def _quote(text):
    """``text`` inside a DOT string: a backslash shown as itself, quotes escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def plot_dot_graph(output, verbose=False, to_file="graph.png"):
    """Draw :func:`get_dot_graph` of ``output`` to ``to_file`` (format from the
    extension: ``.png``, ``.svg``, ``.pdf``, ... or ``.dot`` for the text) with
    Graphviz's ``dot``. Without ``dot`` on PATH, writes the ``.dot`` file beside
    and warns how to render it. Returns the path written."""
    return _render("plot_dot_graph", get_dot_graph(output, verbose), to_file)


def get_model_dot(model, show_shapes=True, input_shape=None) -> str:
    """The layers of a Sequential model as DOT text, one box per layer
    (``key: Class``) from input to output, as Keras' ``plot_model`` draws them.

    ``show_shapes`` adds each layer's input and output shape, ``(None, 784)``
    with None the batch axis, from a forward pass of one zero sample of
    ``input_shape`` (one sample's shape, e.g. ``(784,)``; default: the shape the
    model last saw) in evaluation mode without a graph, as ``summary`` does.
    """
    from minigrad.nn.containers import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(f"plot_model draws Sequential models (layers one after another); for "
                        f"{type(model).__name__}, draw the computational graph: "
                        f"plot_dot_graph(model(x))")
    layers = list(model.named_children())
    shapes = _shapes(model, layers, input_shape) if show_shapes else None
    lines = []
    for k, (key, layer) in enumerate(layers):
        title = f"{key}: {type(layer).__name__}"
        if shapes is None:
            lines.append(f'layer{k} [label="{_quote(title)}", shape=box]\n')
        else:
            cells = f"{_record(title)}|{{input:|output:}}|{{{{{_record(shapes[k])}}}|" \
                    f"{{{_record(shapes[k + 1])}}}}}"
            lines.append(f'layer{k} [label="{cells}", shape=record]\n')
        if k:
            lines.append(f"layer{k - 1} -> layer{k}\n")
    return "digraph model {\n" + "".join(lines) + "}\n"


def _shapes(model, layers, input_shape):
    """``(None, ...)`` strings of the input and of each layer's output."""
    shape = tuple(input_shape) if input_shape is not None else model._input_shape
    if shape is None:
        raise ValueError("plot_model: the shapes are unknown until the model sees data; pass "
                         "input_shape (one sample's shape, e.g. input_shape=(784,)) or "
                         "show_shapes=False")
    dtype = next((p.dtype for p in model.parameters() if p.is_initialized), None)
    b = backend.get_backend(model.device)
    x = b.zeros((1,) + shape, dtype or b.xp.float32, model.device)
    shapes = [x.shape]
    with config.no_grad(), config.eval_mode():
        for _, layer in layers:
            x = layer(x)
            shapes.append(x.shape)
    return ["(None, " + ", ".join(str(s) for s in shape[1:]) + ")" for shape in shapes]


def _record(text):
    """``text`` as one field of a Graphviz record label (its special characters escaped)."""
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text.replace('"', '\\"')


def plot_model(model, to_file="model.png", show_shapes=True, input_shape=None):
    """Draw :func:`get_model_dot` of ``model`` to ``to_file`` as
    :func:`plot_dot_graph` does (Keras' ``plot_model``). Returns the path written."""
    return _render("plot_model", get_model_dot(model, show_shapes, input_shape), to_file)


def _render(op, text, to_file):
    to_file = os.fspath(to_file)
    os.makedirs(os.path.dirname(os.path.abspath(to_file)), exist_ok=True)
    stem, ext = os.path.splitext(to_file)
    ext = ext.lstrip(".").lower() or "png"
    if ext in ("dot", "gv"):
        return _write(to_file, text)
    dot = shutil.which("dot")
    if dot is None:
        path = _write(stem + ".dot", text)
        warnings.warn(f"{op}: Graphviz's dot program is not on PATH, so the graph was written "
                      f"as DOT text to {path}; render it with: dot -T{ext} {path} -o {to_file} "
                      f"(install Graphviz: apt-get install graphviz)", stacklevel=3)
        return path
    with tempfile.TemporaryDirectory() as tmp:
        source = _write(os.path.join(tmp, "graph.dot"), text)
        done = subprocess.run([dot, f"-T{ext}", source, "-o", to_file], capture_output=True,
                              text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{op}: dot -T{ext} failed (exit {done.returncode}): "
                           f"{done.stderr.strip()}")
    return to_file


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path
