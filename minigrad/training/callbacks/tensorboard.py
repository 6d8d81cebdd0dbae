"""TensorBoard logs: Keras' ``TensorBoard`` callback and a ``SummaryWriter`` for
explicit loops, both writing event files with tensorboardX.

``pip install "minigrad[tensorboard]"`` installs tensorboardX (the writer) and
TensorBoard (the viewer): ``tensorboard --logdir logs``.
"""
from __future__ import annotations

import os
import warnings

from minigrad import backend
from minigrad.core import Variable
from minigrad.training.callbacks.base import Callback

__all__ = ["SummaryWriter", "TensorBoard"]


def _tensorboardx(op):
    try:
        import tensorboardX
    except ImportError:
        raise ImportError(f"{op} needs tensorboardX: pip install \"minigrad[tensorboard]\" "
                          f"(or pip install tensorboardX)") from None
    return tensorboardX


def _host(values):
    """A Variable, a backend array (any device) or numbers as a host (numpy) array."""
    if isinstance(values, Variable):
        values = values.data
    if backend.is_array(values):
        return backend.to_numpy(values)
    return backend.to_numpy(backend.as_array(values))


class SummaryWriter:
    """Event files for TensorBoard from an explicit loop, as PyTorch's
    ``torch.utils.tensorboard.SummaryWriter``::

        with training.SummaryWriter("logs/run1") as writer:
            for step in range(100):
                ...
                writer.add_scalar("loss", loss.item(), step)
            writer.add_histogram("dense/W", model[0].W, step)

    ``SummaryWriter(log_dir="runs", flush_secs=120)``. Values may be Python
    numbers, Variables or arrays on any device (copied to the host).
    ``add_scalar`` stores a float32, as TensorBoard does.
    """

    def __init__(self, log_dir="runs", flush_secs=120):
        tensorboardx = _tensorboardx("SummaryWriter")
        self.log_dir = os.fspath(log_dir)
        self._writer = tensorboardx.SummaryWriter(self.log_dir, flush_secs=flush_secs)

    def add_scalar(self, tag, value, step=None):
        """Record ``value`` (a number or one-element Variable/array) under ``tag`` at ``step``."""
        if not isinstance(value, (int, float)):
            value = _host(value).item()
        self._writer.add_scalar(tag, float(value), step)

    def add_histogram(self, tag, values, step=None, bins="tensorflow"):
        """Record the distribution of ``values`` under ``tag`` at ``step``
        (``bins`` as tensorboardX: ``"tensorflow"``, ``"auto"``, a number...)."""
        self._writer.add_histogram(tag, _host(values), step, bins=bins)

    def add_text(self, tag, text, step=None):
        self._writer.add_text(tag, text, step)

    def _add_graph_def(self, graph_def):
        """Write a TensorBoard GraphDef (the Graphs tab); tensorboardX's public
        ``add_graph`` takes only PyTorch models."""
        from tensorboardX.proto.event_pb2 import Event

        self._writer._get_file_writer().add_event(Event(graph_def=graph_def.SerializeToString()))

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TensorBoard(Callback):
    """Log training to TensorBoard as Keras' ``TensorBoard`` callback does.

    ``TensorBoard(log_dir="logs", histogram_freq=0, write_graph=False,
    update_freq="epoch")``. Keras' layout, so dashboards look the same:

    * ``log_dir/train``: per epoch (step = epoch, from 0) ``epoch_loss``,
      ``epoch_<metric>`` and ``epoch_learning_rate`` (the logs' ``lr``);
    * ``log_dir/validation``: ``epoch_loss`` and ``epoch_<metric>`` from
      ``val_loss`` and ``val_<metric>``, when ``fit`` validates;
    * ``update_freq=N`` (or ``"batch"``, N = 1): also ``batch_loss`` and
      ``batch_<metric>`` in ``train`` every N optimizer steps, at step
      ``epoch * steps_per_epoch + batch + 1`` (N, 2N, ...; a resumed run
      continues the count);
    * ``histogram_freq=k``: every k epochs (epochs 0, k, 2k, ...) a histogram
      of each parameter, ``<layer>/<name>/histogram`` (``0/W/histogram``), and
      of its gradient in the epoch's last batch, ``<layer>/<name>/gradient``;
    * ``write_graph=True``: the layers of a Sequential model as a graph
      (TensorBoard's Graphs tab), one node per layer with its type; other
      models are skipped with a warning, as Keras draws only its
      Sequential and functional models.

    The values written equal ``History``'s (rounded to float32, as event files
    store them). Like ``CSVLogger``, it writes on rank 0 alone in data-parallel
    training (the logs it sees are already the means over the ranks).
    """

    rank_zero_only = True

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=False,
                 update_freq="epoch"):
        _tensorboardx("TensorBoard")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) \
                or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an integer >= 0, "
                             f"got {histogram_freq!r}")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool)
                                       or not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or an integer "
                             f">= 1, got {update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.update_freq = update_freq
        self._writers = {}
        self._epoch = 0

    def _writer(self, run):
        """The writer of ``log_dir/<run>``, made when first needed (no empty runs)."""
        if run not in self._writers:
            self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_begin(self, logs=None):
        if self.write_graph:
            self._write_graph()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch":
            return
        step = self._epoch * self.params["steps"] + batch + 1
        if step % self.update_freq:
            return
        writer = self._writer("train")
        for name, value in _scalars(logs):
            if name != "size":
                writer.add_scalar("batch_" + name, value, step)

    def on_epoch_end(self, epoch, logs=None):
        train = self._writer("train")
        for name, value in _scalars(logs):
            if name.startswith("val_"):
                self._writer("validation").add_scalar("epoch_" + name[4:], value, epoch)
            else:
                name = "learning_rate" if name == "lr" else name
                train.add_scalar("epoch_" + name, value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, p in self.model.named_parameters():
                tag = name.replace(".", "/")
                train.add_histogram(tag + "/histogram", p, epoch)
                if p.grad is not None:
                    train.add_histogram(tag + "/gradient", p.grad, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_graph(self):
        from minigrad.nn.containers import Sequential

        if not isinstance(self.model, Sequential):
            warnings.warn(f"TensorBoard(write_graph=True): only Sequential models are drawn; "
                          f"{type(self.model).__name__} is skipped (draw its computational "
                          f"graph with minigrad.utils.plot_dot_graph)", stacklevel=2)
            return
        self._writer("train")._add_graph_def(_layer_graph(self.model))


def _scalars(logs):
    """``(name, float)`` for each entry of ``logs`` that is a number."""
    for name, value in (logs or {}).items():
        try:
            yield name, float(value)
        except (TypeError, ValueError):
            continue


def _layer_graph(model):
    """A TensorBoard GraphDef: ``input``, then one node per layer of ``model``
    (op = the layer's type, input = the layer before), named by its key."""
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef

    nodes = [NodeDef(name="input", op="Input")]
    for key, layer in model.named_children():
        text = repr(layer).encode()
        nodes.append(NodeDef(name=key, op=type(layer).__name__, input=[nodes[-1].name],
                             attr={"layer": AttrValue(s=text)}))
    return GraphDef(node=nodes)
