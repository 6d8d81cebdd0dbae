"""Keras-style training of any Module: ``fit``, ``evaluate``, ``predict``.

``fit`` runs the same loop you would write by hand (docs/training.md)::

    for x, y in loader:
        model.zero_grad()
        loss = loss_fn(model(x), y) + model.regularization_loss()
        loss.backward()
        optimizer.step()          # clipping before, constraints after the update

with batches in training mode, validation in evaluation mode without a graph,
and callbacks around it. Each function takes the model first; ``Module``
offers them as methods (``model.fit(...)``).
"""
from __future__ import annotations

import contextlib

from minigrad import backend, config
from minigrad.core import Variable
from minigrad.data.dataset import Dataset
from minigrad.data.loader import DataLoader
from minigrad.training.callbacks.base import CallbackList, print_message
from minigrad.training.callbacks.progress import ProgressBar, format_logs
from minigrad.training.checkpoint import read_checkpoint, restore_checkpoint
from minigrad.training.compiled import compiled_config, fully_built, make_optimizer
from minigrad.training.history import History
from minigrad.training.inputs import fit_loaders, float_dtype, make_loader, split_batch
from minigrad.training.replicas import SINGLE, replicas_of

__all__ = ["evaluate", "fit", "predict", "train_step"]


@contextlib.contextmanager
def _inference():
    """Evaluation mode without a graph, through the context flags alone: the
    modules' own ``training`` flags are never touched, so a forward pass of the
    same model in another thread keeps its mode."""
    with config.no_grad(), config.eval_mode():
        yield


def _build(model, loader):
    """Run the first samples through the model once, so lazy layers create their
    parameters (in evaluation mode: no dropout draw, no batch-norm update)."""
    dataset = loader.dataset
    n = min(len(dataset), loader.batch_size or len(dataset))
    if n == 0:
        raise ValueError("fit: the training data has no samples")
    batch = dataset.get_batch(slice(0, n))
    x, _ = split_batch(batch, model.device, float_dtype(model))
    with _inference():
        model(x)


# -- one step and one pass ------------------------------------------------------------------

def _value(v) -> float:
    if isinstance(v, Variable):
        return float(v.item())
    if backend.is_array(v):
        return float(backend.to_numpy(v))
    return float(v)


def _scalar_loss(op, loss):
    if not isinstance(loss, Variable) or loss.ndim != 0:
        shape = loss.shape if isinstance(loss, Variable) else type(loss).__name__
        raise ValueError(f"{op}: the loss must be a scalar Variable (reduction='mean'), "
                         f"got {shape}")
    return loss


def train_step(model, optimizer, loss_fn, x, y, metrics=()):
    """One optimizer step on the batch ``(x, y)``; returns ``{"loss": ..., metric: ...}``.

    The body of the explicit loop: ``model.zero_grad()``; ``loss = loss_fn(model(x), y)
    + model.regularization_loss()``; ``loss.backward()``; ``optimizer.step()``.
    ``metrics`` are ``(name, fn)`` pairs evaluated on this step's predictions.
    The reported loss includes the regularization penalties, as Keras reports it.
    """
    model.zero_grad()
    y_pred = model(x)
    loss = _scalar_loss("fit", loss_fn(y_pred, y))
    penalty = model.regularization_loss()
    if penalty.requires_grad:  # no node at all when no layer has a regularizer
        loss = loss + penalty
    loss.backward()
    optimizer.step()
    logs = {"loss": float(loss.item())}
    with config.no_grad():
        for name, fn in metrics:
            logs[name] = _value(fn(y_pred, y))
    return logs


class _Means:
    """Sample-weighted means of per-batch values."""

    def __init__(self):
        self.sums, self.count = {}, 0

    def add(self, values, n):
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value * n
        self.count += n

    def result(self):
        return {key: total / self.count for key, total in self.sums.items()}


def _train_epoch(model, loader, callbacks, device, dtype, replicas):
    """One pass over ``loader``; the epoch's mean logs, or None if a callback
    stopped training part-way. Every step trains: the layers' flags are set at
    the start of the epoch (a callback may have changed them) and the context
    flag around each step, even inside ``minigrad.eval_mode()``. Each batch's
    logs are averaged over the replicas (``size`` becomes the global batch), so
    every rank's callbacks see the same numbers and stop together."""
    compiled = model.compiled
    model.train()
    means = _Means()
    for batch, data in enumerate(loader):
        x, y = split_batch(data, device, dtype)
        n = x.shape[0]
        callbacks.on_train_batch_begin(batch, {"size": n})
        with config.using_config("train", True):
            logs = train_step(model, model.optimizer, compiled.loss, x, y, compiled.metrics)
        logs, n = replicas.mean(logs, n)
        means.add(logs, n)
        callbacks.on_train_batch_end(batch, {**logs, "size": n})
        if replicas.any(model.stop_training):
            model.stop_training = True
            return None
    if not means.count:
        raise ValueError("fit: the training data gave no batches")
    return means.result()


def _evaluate(model, loader, op, replicas=SINGLE):
    compiled = model.compiled
    device, dtype = model.device, float_dtype(model)
    means = _Means()
    with _inference():
        for data in loader:
            x, y = split_batch(data, device, dtype)
            if y is None:
                raise ValueError(f"{op}: the data give no targets")
            y_pred = model(x)
            values = {"loss": float(_scalar_loss(op, compiled.loss(y_pred, y)).item())}
            for name, fn in compiled.metrics:
                values[name] = _value(fn(y_pred, y))
            means.add(values, x.shape[0])
        if not means.count:
            raise ValueError(f"{op}: the data have no samples")
        logs, _ = replicas.mean(means.result(), means.count)
        logs["loss"] += float(model.regularization_loss().item())
    return logs


def _set_epoch(loader, epoch):
    """Tell a dataset that deals its samples per epoch (a distributed ``Shard``, like
    PyTorch's ``DistributedSampler``) which epoch begins."""
    set_epoch = getattr(loader.dataset, "set_epoch", None)
    if callable(set_epoch):
        set_epoch(epoch)


# -- the public functions ----------------------------------------------------------------

def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=None,
        resume_from=None):
    """Train ``model`` for ``epochs`` epochs; returns a :class:`History`.

    ``x``, ``y``: arrays (numpy or any backend) or Variables with samples on the
    first axis, moved batch by batch to the model's device; or ``x`` a
    ``Dataset`` (then ``batch_size``, ``shuffle`` apply) or a ``DataLoader``
    (used as it is). ``batch_size`` defaults to 32; ``len(x)`` gives batch
    gradient descent. ``shuffle`` draws a new order every epoch from minigrad's
    generator (reproducible under ``minigrad.manual_seed``).

    Validation, in evaluation mode and without a graph, after each epoch:
    ``validation_split`` in (0, 1) holds out the *last* fraction of ``x`` and
    ``y``, taken before shuffling, as Keras does (shuffle the arrays first if
    they are sorted); or ``validation_data=(x_val, y_val)`` (or a Dataset or
    DataLoader). Its results are logged as ``val_loss``, ``val_<metric>``.

    Modes: every epoch's batches run in training mode (``model.train()``);
    validation runs under ``minigrad.eval_mode()``, leaving the layers' flags
    alone. When ``fit`` returns, or raises during training, the model is in
    evaluation mode (``model.eval()``), so ``model(x)`` gives inference
    results, as in Keras; call ``model.train()`` before an explicit loop.

    ``callbacks``: a list of :class:`~minigrad.training.callbacks.Callback`.
    ``verbose``: 0 silent, 1 a progress bar (one line per epoch when stdout is
    not a terminal or tqdm is missing), 2 one line per epoch.

    Resuming: ``resume_from`` is a checkpoint written by ``ModelCheckpoint`` or
    :func:`save_checkpoint` (with the callbacks): the model, the optimizer,
    the callbacks' states, the history so far and the random state are
    restored, and training continues at the checkpoint's epoch; the final
    weights equal those of an uninterrupted run. A checkpoint saved after a
    callback stopped training (EarlyStopping, TerminateOnNaN) resumes to no
    further step. ``initial_epoch`` (default 0,
    or the checkpoint's epoch) numbers the first epoch; ``epochs`` is the
    index at which training ends, as in Keras.

    Data-parallel, with a :class:`minigrad.distributed.DistributedOptimizer`
    (every rank calls ``fit`` on its shard): rank 0's weights and buffers are
    given to every rank first; the batch, epoch and validation logs are means
    over the ranks, so callbacks decide alike everywhere, and a stop on one
    rank stops all; floating buffers are averaged after each epoch; the
    progress bar and CSVLogger run on rank 0 only, and ModelCheckpoint writes
    from rank 0 with every rank's random state (docs/distributed.md).
    """
    compiled = compiled_config(model, "fit")
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch or 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"fit: {name} must be an integer >= 0, got {value!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
    checkpoint = read_checkpoint(resume_from) if resume_from is not None else None
    if checkpoint is not None:
        saved = checkpoint["epoch"]
        if initial_epoch is not None and initial_epoch != saved:
            raise ValueError(f"fit: initial_epoch={initial_epoch} but the checkpoint "
                             f"{str(resume_from)!r} was saved after {saved} epochs; resume "
                             f"with initial_epoch={saved} or leave it out")
        initial_epoch = saved
    initial_epoch = initial_epoch or 0
    train, val = fit_loaders(model, x, y, batch_size, validation_split, validation_data, shuffle)
    if getattr(model, "optimizer", None) is None:
        if not fully_built(model):
            _build(model, train)
        model.optimizer = make_optimizer(model)
    device, dtype = model.device, float_dtype(model)
    replicas = replicas_of(model)
    replicas.check_equal("fit: the number of training batches per epoch", len(train))
    replicas.broadcast_model(model)
    history = History()
    given = list(callbacks or [])
    if verbose and not any(isinstance(cb, ProgressBar) for cb in given):
        given.append(ProgressBar(verbose))
    params = {"epochs": epochs, "steps": len(train), "verbose": verbose,
              "metrics": compiled.metrics_names}
    callback_list = CallbackList([*given, history], model, params, rank=replicas.rank)
    model.history = history
    model.stop_training = False
    logs = {}
    try:
        callback_list.on_train_begin()
        if checkpoint is not None:
            restore_checkpoint(checkpoint, resume_from, model, model.optimizer,
                               callbacks=callback_list, rank=replicas.rank, size=replicas.size)
            if model.stop_training and verbose and replicas.rank == 0:
                print_message(f"fit: {str(resume_from)!r} was saved after a callback stopped "
                              f"training; no further epoch to run")
        for epoch in range(initial_epoch, epochs):
            if model.stop_training:  # restored from a checkpoint saved after the stop
                break
            _set_epoch(train, epoch)
            callback_list.on_epoch_begin(epoch)
            logs = _train_epoch(model, train, callback_list, device, dtype, replicas)
            if logs is None:
                break
            replicas.average_buffers(model)
            if val is not None:
                val_logs = _evaluate(model, val, "fit", replicas)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            logs["lr"] = model.optimizer.lr
            callback_list.on_epoch_end(epoch, logs)
            if replicas.any(model.stop_training):
                model.stop_training = True
                break
    finally:
        model.eval()  # fit returns, or raises, with a model ready for inference
    callback_list.on_train_end(logs)
    return history


def evaluate(model, x=None, y=None, batch_size=None, verbose=0, return_dict=True):
    """The loss and metrics of ``model`` on ``(x, y)``, batch by batch in evaluation
    mode without a graph.

    Returns ``{"loss": ..., "<metric>": ...}`` (sample-weighted means; the loss
    includes the regularization penalties, as in ``fit``), or with
    ``return_dict=False`` the list ``[loss, metric, ...]`` in ``compile``'s
    order, Keras' default (``score[1]`` is the accuracy). ``x`` may also be a
    Dataset or DataLoader; ``batch_size`` defaults to 32. ``verbose=1``
    prints one line.
    """
    compiled = compiled_config(model, "evaluate")
    if y is None and not isinstance(x, (Dataset, DataLoader)):
        raise ValueError("evaluate: y (the targets) is required with array inputs")
    loader = make_loader("evaluate", x, y, batch_size, False, model.device)
    logs = _evaluate(model, loader, "evaluate")
    if verbose:
        print(format_logs(logs), flush=True)
    return logs if return_dict else [logs[name] for name in compiled.metrics_names]


def predict(model, x, batch_size=None):
    """The model's outputs for ``x``, batch by batch in evaluation mode without a
    graph, as one host (numpy) array, as Keras' ``predict`` returns.

    Evaluation mode comes from ``minigrad.eval_mode()`` alone (as in
    ``evaluate``): the layers' ``training`` flags are not changed, so a
    training forward pass in another thread keeps its dropout.

    ``x``: an array or Variable (samples on the first axis), or a Dataset or
    DataLoader (the first element of each batch is the input). Dropout is off
    unless a layer asks for Monte-Carlo dropout (``Dropout(mc=True)``).
    ``batch_size`` defaults to 32. No ``compile`` needed.
    """
    loader = make_loader("predict", x, None, batch_size, False, model.device)
    device, dtype = model.device, float_dtype(model)
    outputs = []
    with _inference():
        for data in loader:
            x_batch, _ = split_batch(data, device, dtype)
            out = model(x_batch)
            outputs.append(out.data if isinstance(out, Variable) else out)
    if not outputs:
        raise ValueError("predict: x has no samples")
    return backend.to_numpy(backend.namespace(outputs[0]).concat(outputs, axis=0))
