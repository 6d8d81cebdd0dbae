"""The optimizer base: parameter groups, the update loop, per-parameter state, saving.

A subclass owns only its update formula (``_update``); the base owns the loop:

1. take the parameters that require a gradient and have one (frozen ones and
   ones without a gradient are skipped, and their step count does not move);
   a gradient whose shape is not its parameter's is an error, never broadcast;
2. clip the gradients (Keras' ``clipnorm`` / ``global_clipnorm`` / ``clipvalue``);
3. apply weight decay: L2 (``g + wd * p``, PyTorch's ``weight_decay``) or, for
   decoupled optimizers such as AdamW and every ``variant="keras"`` optimizer
   (Keras decays all weights directly), ``p <- p * (1 - lr * wd)``;
4. run the subclass's update on raw arrays, in place, outside the graph;
5. apply the parameter's ``constraint`` (``p.data = constraint(p.data)``);
6. every ``flush_subnormals`` steps of a parameter, set the entries of its state
   arrays whose magnitude is below the smallest normal float to zero.

State is created lazily on a parameter's first update.

Variants: an optimizer whose Keras formulation differs from PyTorch's takes
``variant="pytorch"`` (the default) or ``variant="keras"``; its class table
``variant_defaults`` gives each variant's defaults for the hyperparameters left
out (``None``), and ``group["variant"]`` tells ``_update`` which rule to run.

Why the flush: moment buffers of parameters whose gradient is mostly exactly
zero (dead ReLUs, pixels that are always black) decay geometrically into
subnormal numbers, and in float32 they stay there (0.9 times the smallest
subnormal rounds back to it). Many CPUs do arithmetic on subnormals many
times slower than on normal numbers. A value below ~1.2e-38 (float32) is
~1e30 times smaller than the eps that Adam and RMSProp add to their
denominators, so zeroing it changes no update that float32 can represent.
"""

from __future__ import annotations

import math
import numbers
from typing import ClassVar

from minigrad import backend
from minigrad.core import Variable
from minigrad.optim.clip import array_norm, global_norm

__all__ = ["Optimizer"]

_NONNEGATIVE = (
    "weight_decay",
    "eps",
    "momentum",
    "dampening",
    "lr_decay",
    "initial_accumulator_value",
    "momentum_decay",
)


class Optimizer:
    """Base class: ``step()``, ``zero_grad()``, ``param_groups``, ``state_dict()``.

    ``params``: an iterable of Parameters (Variables), or of dicts (parameter
    groups) with a ``"params"`` entry and hyperparameters that override
    ``defaults`` for that group, as in PyTorch::

        SGD([{"params": body}, {"params": head, "lr": 0.1}], lr=0.01)

    ``params`` may be left out (``Adam(lr=1e-3)``, as in Keras): the optimizer
    is then bound later with ``add_param_group({"params": ...})``, which
    ``model.compile``/``fit`` do for you.

    ``learning_rate`` (keyword-only) is Keras' name for ``lr``; giving both is a
    ``TypeError``. ``variant`` (keyword-only): ``"pytorch"``, or ``"keras"`` for
    the optimizers that have Keras' formulation (see ``variant_defaults``).

    Keyword-only clipping options (Keras' names), applied before the update;
    at most one may be set:

    * ``clipnorm``: each parameter's gradient ``g <- g * c / max(||g||, c)``;
    * ``global_clipnorm``: all gradients together ``g <- g * c / max(||all||, c)``;
    * ``clipvalue``: each entry clamped to ``[-c, c]``.

    ``flush_subnormals`` (keyword-only, default True): every 50 steps of a
    parameter (an int ``k``: every ``k`` steps), entries of its state arrays
    (moments, momentum buffers) below the smallest normal float in magnitude
    become 0; ``False`` turns this off. See the module docstring for why; it
    costs one pass over the state every ``k`` steps.
    """

    decoupled_weight_decay = False
    flush_every_default = 50
    #: per variant, the defaults of the hyperparameters a constructor was given as None
    variant_defaults: ClassVar[dict] = {"pytorch": {}}

    def __init__(self, params, defaults, *, learning_rate=None, variant="pytorch", clipnorm=None,
                 clipvalue=None, global_clipnorm=None, flush_subnormals=True):
        name = type(self).__name__
        defaults = _with_variant_defaults(name, defaults, learning_rate, variant,
                                          self.variant_defaults)
        self.flush_every = _flush_every(name, flush_subnormals)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = {k: v for k, v in clips.items() if v is not None}
        if len(given) > 1:
            raise ValueError(
                f"{name}: set only one of clipnorm, clipvalue, global_clipnorm; got {given}"
            )
        for key, value in given.items():
            if not _is_number(value) or not value > 0:
                raise ValueError(f"{name}: {key} must be a number > 0, got {value!r}")
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}
        if params is None:  # Keras style: bound later by add_param_group (compile/fit do it)
            return
        if isinstance(params, (Variable, dict)):
            raise TypeError(
                f"{name}: params must be an iterable of Parameters or of dicts, "
                f"got a single {type(params).__name__}; wrap it in a list"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # -- parameter groups ------------------------------------------------------
    def add_param_group(self, group):
        """Add a dict ``{"params": [...], hyperparameter: value, ...}``; missing
        hyperparameters take the optimizer's defaults."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry, got {group!r}"
            )
        params = group["params"]
        params = [params] if isinstance(params, Variable) else list(params)
        if not params:
            raise ValueError(f"{name}: parameter group {len(self.param_groups)} has no parameters")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Variable):
                raise TypeError(
                    f"{name}: parameters must be Variables/Parameters, "
                    f"got {type(p).__name__} at position {i}"
                )
            if p.creator is not None:
                raise ValueError(
                    f"{name}: can only optimize leaf Variables; parameter {_describe(p, i)} "
                    f"was computed by {type(p.creator).__name__}"
                )
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {_describe(p, i)} is given more than once")
            seen.add(id(p))
        group = {**self.defaults, **group, "params": params}
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group):
        """Reject bad hyperparameters with a ValueError naming the value."""
        name = type(self).__name__
        lr = group.get("lr")
        if not _is_number(lr) or not 0 < lr < math.inf:
            raise ValueError(f"{name}: lr must be a finite number > 0, got {lr!r}")
        for key in _NONNEGATIVE:
            if key in group and (not _is_number(group[key]) or not group[key] >= 0):
                raise ValueError(f"{name}: {key} must be a number >= 0, got {group[key]!r}")
        if "betas" in group:
            betas = group["betas"]
            if (
                not isinstance(betas, (tuple, list))
                or len(betas) != 2
                or not all(_is_number(b) and 0 <= b < 1 for b in betas)
            ):
                raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
            group["betas"] = tuple(float(b) for b in betas)
        if "rho" in group and (not _is_number(group["rho"]) or not 0 <= group["rho"] < 1):
            raise ValueError(f"{name}: rho must be a number in [0, 1), got {group['rho']!r}")
        if group["variant"] != self.defaults["variant"]:
            raise ValueError(f"{name}: a parameter group cannot change the variant "
                             f"({self.defaults['variant']!r}), got {group['variant']!r}")

    @property
    def lr(self):
        """The first group's learning rate; setting it sets every group's (and the default)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value):
        if not _is_number(value) or not 0 < value < math.inf:
            raise ValueError(f"{type(self).__name__}: lr must be a finite number > 0, "
                             f"got {value!r}")
        self.defaults["lr"] = value
        for group in self.param_groups:
            group["lr"] = value

    learning_rate = lr  # Keras' name

    # -- the update loop ---------------------------------------------------------
    def zero_grad(self):
        """Drop every parameter's gradient (``p.grad = None``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()`` if given."""
        if not self.param_groups:
            raise RuntimeError(
                f"{type(self).__name__}.step(): the optimizer has no parameters; pass them "
                f"when creating it or bind them with add_param_group({{'params': ...}})"
            )
        loss = closure() if closure is not None else None
        self._check_grad_shapes()
        work = [
            [(p, p.grad.data) for p in group["params"] if p.requires_grad and p.grad is not None]
            for group in self.param_groups
        ]
        work = self._clip(work)
        for group, pairs in zip(self.param_groups, work):
            wd = group.get("weight_decay", 0)
            decoupled = self.decoupled_weight_decay or group["variant"] == "keras"
            for p, g in pairs:
                if wd and decoupled:
                    p.data *= 1 - group["lr"] * wd
                elif wd:
                    g = g + wd * p.data
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = self._init_state(p.data, group)
                    state["step"] = 0
                state["step"] += 1
                self._update(p, g, state, group)
                constraint = getattr(p, "constraint", None)
                if constraint is not None:
                    p.data = constraint(p.data)
                if self.flush_every and state["step"] % self.flush_every == 0:
                    flush_subnormals(state)
        return loss

    def _check_grad_shapes(self):
        """A gradient must have its parameter's shape: the in-place update would
        broadcast a (3,) gradient onto a (2, 3) parameter, moving every row alike."""
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is not None and p.requires_grad and grad.shape != p.shape:
                    raise ValueError(
                        f"{type(self).__name__}.step(): parameter {_describe(p, index)} has a "
                        f"gradient of shape {tuple(grad.shape)}; it must have the "
                        f"parameter's shape {tuple(p.shape)}"
                    )
                index += 1

    def _clip(self, work):
        if self.clipnorm is not None:
            c = self.clipnorm
            return [[(p, g * (c / max(array_norm(g), c))) for p, g in pairs] for pairs in work]
        if self.global_clipnorm is not None:
            c = self.global_clipnorm
            scale = c / max(global_norm([g for pairs in work for _, g in pairs]), c)
            return [[(p, g * scale) for p, g in pairs] for pairs in work]
        if self.clipvalue is not None:
            c = self.clipvalue
            return [[(p, backend.namespace(g).clip(g, -c, c)) for p, g in pairs] for pairs in work]
        return work

    def _init_state(self, param, group) -> dict:
        """The per-parameter state (arrays like ``param``) before its first update."""
        return {}

    def _update(self, p, g, state, group):
        """Update ``p.data`` in place from gradient array ``g``; ``state["step"]`` is t."""
        raise NotImplementedError

    # -- saving and resuming -------------------------------------------------------
    def state_dict(self) -> dict:
        """Hyperparameters of each group, and copies of every parameter's state.

        Parameters are named by their position across the groups, as in PyTorch.
        """
        index, groups = 0, []
        state = {}
        for group in self.param_groups:
            entry = {k: _copy(v) for k, v in group.items() if k != "params"}
            entry["params"] = list(range(index, index + len(group["params"])))
            for p in group["params"]:
                if p in self.state:
                    state[index] = {k: _copy(v) for k, v in self.state[p].items()}
                index += 1
            groups.append(entry)
        return {"optimizer": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what ``state_dict()`` saved, onto parameters of the same layout."""
        name = type(self).__name__
        saved_name = state_dict.get("optimizer", name)
        if saved_name != name:
            raise ValueError(
                f"{name}.load_state_dict: the state belongs to a {saved_name} optimizer"
            )
        saved = state_dict["param_groups"]
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g["params"]) for g in saved]
        if sizes != saved_sizes:
            raise ValueError(
                f"{name}.load_state_dict: the optimizer has parameter groups of sizes "
                f"{sizes}, the saved state has {saved_sizes}"
            )
        # a state saved before variants existed was made by the PyTorch formulation
        variants = {g.get("variant", "pytorch") for g in saved}
        if variants - {self.defaults["variant"]}:
            raise ValueError(
                f"{name}.load_state_dict: the state was saved with variant="
                f"{' and '.join(map(repr, sorted(variants)))}; this optimizer has "
                f"variant={self.defaults['variant']!r}"
            )
        params = [p for g in self.param_groups for p in g["params"]]
        new_state = {}
        for key, entry in state_dict["state"].items():
            p = params[int(key)]
            new_state[p] = {k: _restore(v, p, k, name) for k, v in entry.items()}
        for group, entry in zip(self.param_groups, saved):
            group.update({k: _copy(v) for k, v in entry.items() if k != "params"})
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            hyper = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {hyper}")
        return "\n".join(lines + [")"])


def flush_subnormals(state) -> None:
    """Zero, in place, the entries of every floating array in the dict ``state``
    whose magnitude is below the smallest normal number of its dtype."""
    for value in state.values():
        if not backend.is_array(value):
            continue
        xp = backend.namespace(value)
        if backend.is_floating(value.dtype, xp):
            value[xp.abs(value) < xp.finfo(value.dtype).smallest_normal] = 0.0


def _with_variant_defaults(name, defaults, learning_rate, variant, table) -> dict:
    """``defaults`` with ``learning_rate`` as ``lr``, the ``variant``'s defaults in
    place of the None entries, and ``"variant"`` itself."""
    if variant not in table:
        raise ValueError(f"{name}: variant must be one of {', '.join(map(repr, table))}, "
                         f"got {variant!r}")
    defaults = dict(defaults)
    if learning_rate is not None:
        if defaults.get("lr") is not None:
            raise TypeError(f"{name}: got lr={defaults['lr']!r} and "
                            f"learning_rate={learning_rate!r}; they are the same argument "
                            f"(PyTorch's and Keras' name), give one")
        defaults["lr"] = learning_rate
    for key, value in table[variant].items():
        if defaults.get(key) is None:
            defaults[key] = value
    defaults["variant"] = variant
    return defaults


def _flush_every(name, flush) -> int:
    if flush is True:
        return Optimizer.flush_every_default
    if flush is False or flush is None:
        return 0
    if isinstance(flush, int) and flush >= 1:
        return flush
    raise ValueError(f"{name}: flush_subnormals must be True, False or a number of steps >= 1, "
                     f"got {flush!r}")


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)


def _describe(p, i) -> str:
    label = f"{p.name!r}" if getattr(p, "name", None) else f"at position {i}"
    if not getattr(p, "is_initialized", True):  # a lazy layer's, not built yet
        return f"{label} (uninitialized)"
    return f"{label} (shape {p.shape})"


def _copy(value):
    if backend.is_array(value):
        return backend.copy(value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _restore(value, p, key, name):
    """A saved state entry as a fresh array on ``p``'s device with ``p``'s float dtype."""
    if not backend.is_array(value):
        return value
    if tuple(value.shape) != tuple(p.shape):
        raise ValueError(
            f"{name}.load_state_dict: state {key!r} has shape {tuple(value.shape)}, "
            f"the parameter has shape {p.shape}"
        )
    value = backend.to_device(value, p.device)
    xp = backend.namespace(value)
    if value.dtype != p.dtype and backend.is_floating(value.dtype, xp):
        return xp.astype(value, p.dtype)
    return backend.copy(value)
