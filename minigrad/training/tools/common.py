"""What the practitioner's tools share: a model from a model or a factory, the loss and
optimizer it trains with, batches from arrays, and a snapshot that puts everything back."""
from __future__ import annotations

import contextlib

from minigrad import backend
from minigrad.backend.random_state import rng_states, set_rng_states
from minigrad.functions.loss import get_loss
from minigrad.nn.module import Module
from minigrad.optim import OPTIMIZERS, Optimizer, get_optimizer
from minigrad.training.compiled import check_optimizer_params, fully_built
from minigrad.training.inputs import float_dtype, make_loader, split_batch
from minigrad.training.trainer import _inference


def make_model(op, model):
    """``model`` itself if it is a Module, else ``model()`` (a factory), checked."""
    if isinstance(model, Module):
        return model
    if not callable(model):
        raise TypeError(f"{op}: expected a Module or a function () -> Module, "
                        f"got {type(model).__name__}")
    made = model()
    if not isinstance(made, Module):
        raise TypeError(f"{op}: the model function returned {type(made).__name__}, "
                        f"expected a Module")
    return made


def resolve_loss(op, model, loss):
    """``loss`` (a name or function), else the loss the model was compiled with."""
    if loss is not None:
        return get_loss(loss)
    compiled = getattr(model, "compiled", None)
    if compiled is None:
        raise ValueError(f"{op}: give loss= (e.g. 'softmax_cross_entropy') or compile the "
                         f"model first")
    return compiled.loss


def make_optimizer(op, model, optimizer):
    """An Optimizer on ``model.parameters()`` from a name (Keras' optimizer, as in
    ``compile``), a class or function ``params -> Optimizer``, or an Optimizer already
    made on them; ``None`` takes the model's compile choice."""
    if optimizer is None:
        compiled = getattr(model, "compiled", None)
        if compiled is None:
            raise ValueError(f"{op}: give optimizer= (e.g. 'adam') or compile the model first")
        optimizer = getattr(model, "optimizer", None) or compiled.optimizer
    if isinstance(optimizer, Optimizer):
        if optimizer.param_groups:
            check_optimizer_params(op, model, optimizer)
        else:
            optimizer.add_param_group({"params": list(model.parameters())})
        return optimizer
    params = list(model.parameters())
    if isinstance(optimizer, str):
        if optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"{op}: unknown optimizer {optimizer!r}; valid names: "
                             f"{', '.join(OPTIMIZERS)}")
        return get_optimizer(optimizer, params, variant="keras")
    if not callable(optimizer):
        raise TypeError(f"{op}: optimizer must be a name, an Optimizer or a function "
                        f"params -> Optimizer, got {type(optimizer).__name__}")
    made = optimizer(params)
    if not isinstance(made, Optimizer):
        raise TypeError(f"{op}: the optimizer function returned {type(made).__name__}, "
                        f"expected an Optimizer")
    return made


def loader(op, model, x, y, batch_size, shuffle=True):
    return make_loader(op, x, y, batch_size, shuffle, model.device)


def batches(model, data_loader):
    """``(x, y)`` Variables on the model's device, round after round over the loader."""
    device, dtype = model.device, float_dtype(model)
    while True:
        count = 0
        for data in data_loader:
            count += 1
            yield split_batch(data, device, dtype)
        if not count:
            raise ValueError("the data give no batches")


def build(model, data_loader):
    """Create a lazy model's parameters from one batch, in evaluation mode (no dropout
    draw, no batch-norm update), so that its state can be saved before training."""
    if fully_built(model):
        return
    x, _ = next(batches(model, data_loader))
    with _inference():
        model(x)


@contextlib.contextmanager
def preserved(model, optimizer=None):
    """On exit, put back the model's parameters and buffers, its layers' training flags,
    their gradients, the optimizer's state and every backend's random generator: what
    runs inside leaves no trace."""
    weights = {k: backend.copy(v) for k, v in model.state_dict().items()}
    grads = [(p, p.grad) for p in model.parameters()]
    flags = [(m, m.training) for m in model.modules()]
    opt_state = optimizer.state_dict() if optimizer is not None else None
    rng = rng_states()
    try:
        yield
    finally:
        model.load_state_dict(weights)
        for m, flag in flags:
            m.training = flag
        if optimizer is not None:
            optimizer.load_state_dict(opt_state)
        set_rng_states(rng)
        for p, grad in grads:
            p.grad = grad
