"""``compile``: the optimizer, loss and metrics a model trains with (Keras' ``model.compile``)."""
from __future__ import annotations

from minigrad.functions.loss import accuracy, binary_accuracy, binary_threshold, get_loss
from minigrad.optim import OPTIMIZERS, Optimizer, get_optimizer

__all__ = ["CompileConfig", "compile"]


class CompileConfig:
    """What :func:`compile` stores on ``model.compiled``: the optimizer as given
    (``optimizer``: name, factory or instance), the loss function, and the
    metrics as ``(log name, function)`` pairs."""

    def __init__(self, optimizer, loss, metrics):
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics

    @property
    def metrics_names(self):
        return ["loss"] + [name for name, _ in self.metrics]

    def __repr__(self):
        loss = getattr(self.loss, "__name__", self.loss)
        return (f"CompileConfig(optimizer={self.optimizer!r}, loss={loss}, "
                f"metrics={self.metrics_names[1:]})")


def compile(model, optimizer="rmsprop", loss=None, metrics=None):
    """Choose how ``model`` trains: ``model.compile(optimizer="adam", loss="softmax_cross_entropy",
    metrics=["accuracy"])``.

    ``optimizer``: an Optimizer made on ``model.parameters()`` (or on some of
    them: the others are not trained), or made without parameters
    (``optim.Adam(lr=1e-3)``, bound to the model by ``fit``); a name
    (``"adam"``, ``"sgd"``, ``"rmsprop"``, ...), which, as ``compile`` is Keras'
    API, gives Keras' optimizer: ``variant="keras"`` with Keras' defaults
    (``"rmsprop"``: lr 0.001, rho 0.9, eps 1e-7); or a function
    ``params -> Optimizer`` such as an optimizer class or
    ``functools.partial(optim.Adam, lr=1e-3)``. Names and functions are turned
    into the optimizer once the model has all its parameters (lazy layers are
    built by the first batch of ``fit``); it is then ``model.optimizer``. An
    Optimizer that holds parameters of another model is an error (Keras
    refuses it too): fit would leave this model untrained.

    ``loss``: a name (``"softmax_cross_entropy"`` for logits,
    ``"categorical_crossentropy"`` for softmax outputs, ``"mse"``, ... see
    :func:`minigrad.functions.get_loss`) or a function called as
    ``loss(y_pred, y_true)`` (minigrad's and PyTorch's order; Keras' custom
    losses take ``(y_true, y_pred)``) returning a scalar Variable. minigrad's
    Keras-named functions (``F.categorical_crossentropy``, ``F.mse``, ...) take
    Keras' order and are averaged over the batch, as in Keras.

    ``metrics``: names or functions ``(y_pred, y_true) -> number``, logged
    under their name (a function's ``__name__``). ``"accuracy"`` (or
    ``"acc"``) is the argmax accuracy, or, with a binary cross-entropy loss,
    :func:`~minigrad.functions.binary_accuracy` (threshold 0.5, or 0 for the
    loss on logits). A loss name (``"mae"``) is also a metric.

    Stores a :class:`CompileConfig` as ``model.compiled``; returns ``model``.
    Compiling again starts with a new optimizer.
    """
    if loss is None:
        raise ValueError("compile: give a loss, e.g. loss='softmax_cross_entropy' (logits) "
                         "or 'mse'")
    if isinstance(loss, str) or callable(loss):
        loss = get_loss(loss)
    else:
        raise TypeError(f"compile: loss must be a name or a function (y_pred, y_true) -> loss, "
                        f"got {type(loss).__name__}")
    if isinstance(optimizer, str):
        if optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"compile: unknown optimizer {optimizer!r}; valid names: "
                             f"{', '.join(OPTIMIZERS)}")
    elif not isinstance(optimizer, Optimizer) and not callable(optimizer):
        raise TypeError(f"compile: optimizer must be an Optimizer, a name or a function "
                        f"params -> Optimizer, got {type(optimizer).__name__}")
    if metrics is None:
        metrics = []
    elif isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    resolved = [_metric(m, loss) for m in metrics]
    names = [name for name, _ in resolved]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"compile: metric names must be distinct and not 'loss', got {names}")
    model.compiled = CompileConfig(optimizer, loss, resolved)
    bound = isinstance(optimizer, Optimizer) and optimizer.param_groups
    if bound:
        check_optimizer_params("compile", model, optimizer)
    model.optimizer = optimizer if bound else None
    if model.optimizer is None and fully_built(model) and any(True for _ in model.parameters()):
        model.optimizer = make_optimizer(model)
    return model


def _metric(metric, loss):
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), get_loss(metric)
    if not isinstance(metric, str):
        raise TypeError(f"compile: a metric must be a name or a function (y_pred, y_true) -> "
                        f"number, got {type(metric).__name__}")
    key = metric.lower()
    threshold = binary_threshold(loss)
    if key in ("accuracy", "acc") and threshold is not None or key == "binary_accuracy":
        threshold = 0.5 if threshold is None else threshold

        def binary_acc(y_pred, y_true):
            return binary_accuracy(y_true, y_pred, threshold).mean()
        return metric, binary_acc
    if key in ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy"):
        return metric, accuracy
    try:
        return metric, get_loss(key)
    except ValueError:
        raise ValueError(f"compile: unknown metric {metric!r}; use 'accuracy', "
                         f"'binary_accuracy', a loss name such as 'mae', or a function "
                         f"(y_pred, y_true) -> number") from None


def check_optimizer_params(op, model, optimizer):
    """Refuse an Optimizer holding parameters that are not ``model``'s (compared
    by identity): made on another model, it would never train this one."""
    own = {id(p) for p in model.parameters()}
    held = [p for group in optimizer.param_groups for p in group["params"]]
    foreign = sum(id(p) not in own for p in held)
    if foreign:
        name = type(optimizer).__name__
        raise ValueError(
            f"{op}: {foreign} of the {len(held)} parameters of the {name} given are not "
            f"parameters of this {type(model).__name__} (the optimizer was made on another "
            f"model's parameters), so training would not update this model. Make the "
            f"optimizer on this model's parameters ({name}(model.parameters(), ...)), "
            f"give it without parameters ({name}(lr=...)), or pass a name such as 'adam'"
        )


def fully_built(model) -> bool:
    """False while a lazy layer still waits for its first input."""
    return all(getattr(m, "built", True) for m in model.modules())


def make_optimizer(model):
    spec = model.compiled.optimizer
    params = list(model.parameters())
    if not params:
        raise ValueError(f"fit: {type(model).__name__} has no parameters to train")
    if isinstance(spec, str):
        return get_optimizer(spec, params, variant="keras")
    if isinstance(spec, Optimizer):  # Keras style, made without parameters: bind it now
        spec.add_param_group({"params": params})
        return spec
    optimizer = spec(params)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"compile: the optimizer function returned {type(optimizer).__name__}, "
                        f"expected an Optimizer")
    return optimizer


def compiled_config(model, op):
    compiled = getattr(model, "compiled", None)
    if compiled is None:
        raise RuntimeError(f"{op}: compile the model first, e.g. model.compile(optimizer='adam', "
                           f"loss='softmax_cross_entropy', metrics=['accuracy'])")
    return compiled
