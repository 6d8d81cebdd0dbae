"""Module: the base class of layers and models (PyTorch's ``nn.Module``, Keras' ``Layer``).

Parameters and submodules assigned as attributes register themselves, so a
model is written as plain Python::

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Dense(64, activation="relu")
            self.out = nn.Dense(10)

        def forward(self, x):
            return self.out(self.hidden(x))

Buffers (arrays that are state but not trained, such as batch norm's running
statistics) are registered with :meth:`Module.register_buffer`.
"""
from __future__ import annotations

import os
from typing import NamedTuple

from minigrad import backend, config
from minigrad.io.npz import load_npz, save_npz
from minigrad.io.tree import TREE_ENTRY
from minigrad.core import Parameter, Variable
from minigrad.nn.init import get_initializer
from minigrad.nn.constraints import get_constraint
from minigrad.nn.regularizers import get_regularizer

__all__ = ["Module", "Layer", "IncompatibleKeys"]

_REGISTRIES = ("_parameters", "_modules", "_buffers")


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` with ``strict=False`` did not load."""

    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer and model; subclasses implement ``forward``.

    ``training`` (True after construction) says whether layers such as
    Dropout and BatchNorm behave as in training; :meth:`train` and :meth:`eval`
    set it on every submodule. A layer trains only if its ``training`` flag is
    set *and* the global flag is (``minigrad.eval_mode()`` turns it off).
    """

    def __init__(self, name=None):
        d = self.__dict__
        for registry in _REGISTRIES:
            d.setdefault(registry, {})  # names, in registration order
        d["training"] = True
        d["_trainable"] = True
        d["_device"] = "cpu"
        d["name"] = name

    # -- registration ---------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran: call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )
        if isinstance(value, Parameter):
            kind = "_parameters"
        elif isinstance(value, Module):
            kind = "_modules"
        elif name in d["_buffers"]:
            kind = "_buffers"
            if value is not None and not backend.is_array(value):
                raise TypeError(
                    f"{type(self).__name__}: buffer {name!r} must be an array or None, "
                    f"got {type(value).__name__}"
                )
        else:
            kind = None
        for registry in _REGISTRIES:
            if registry != kind:
                d[registry].pop(name, None)
        if kind is not None:
            d[kind][name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in _REGISTRIES:
            self.__dict__[registry].pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name, array):
        """Keep ``array`` (or None) as state that is saved but not trained."""
        if array is not None and not backend.is_array(array):
            raise TypeError(
                f"register_buffer({name!r}): expected an array or None, got {type(array).__name__}"
            )
        self._buffers[name] = None
        object.__setattr__(self, name, array)

    def add_weight(self, name, shape, initializer, dtype=None, device=None,
                   regularizer=None, constraint=None):
        """Create, register and return a Parameter (Keras' ``add_weight``).

        ``initializer`` is a name or callable (see :mod:`minigrad.nn.init`).
        ``regularizer`` (param -> scalar penalty, or a name such as ``"l2"``) and
        ``constraint`` (array -> array, applied by the optimizer after each step,
        or a name such as ``"max_norm"``) are stored on the
        Parameter. It is frozen if this module is (``trainable`` False).

        If ``name`` holds an uninitialized Parameter (a lazy layer's, created
        at construction), that Parameter is filled in place, keeping its
        identity and its ``requires_grad``, so optimizers made before hold it.
        """
        device = backend.normalize_device(device or self._device)
        data = get_initializer(initializer)(tuple(shape), dtype=dtype, device=device)
        p = self.__dict__.get(name)
        if isinstance(p, Parameter) and not p.is_initialized:
            p.materialize(data)
        else:
            p = Parameter(data, name=name, requires_grad=self._trainable)
            setattr(self, name, p)
        p.regularizer = get_regularizer(regularizer)
        p.constraint = get_constraint(constraint)
        return p

    # -- training, Keras style (the loop lives in minigrad.training) -----------
    def compile(self, *args, **kwargs):
        """``model.compile(optimizer, loss, metrics)``: see :func:`minigrad.training.compile`."""
        from minigrad.training import compile

        return compile(self, *args, **kwargs)

    def fit(self, *args, **kwargs):
        """Train on arrays or a DataLoader; see :func:`minigrad.training.fit`."""
        from minigrad.training import fit

        return fit(self, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        """Loss and metrics on held-out data; see :func:`minigrad.training.evaluate`."""
        from minigrad.training import evaluate

        return evaluate(self, *args, **kwargs)

    def predict(self, *args, **kwargs):
        """Batched inference in eval mode without a graph; see :func:`minigrad.training.predict`."""
        from minigrad.training import predict

        return predict(self, *args, **kwargs)

    # -- traversal ------------------------------------------------------------
    def named_children(self):
        for name in self._modules:
            yield name, self.__dict__[name]

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix=""):
        """``(dotted path, module)`` for this module (path ``prefix``) and every
        submodule, each once even if shared."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            path, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield path, m
            kids = [(f"{path}.{n}" if path else n, c) for n, c in m.named_children()]
            stack.extend(reversed(kids))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def _own(self, registry):
        for name in self.__dict__[registry]:
            value = self.__dict__[name]
            if value is not None:
                yield name, value

    def named_parameters(self, recurse=True):
        """``(dotted name, Parameter)`` pairs, each Parameter once."""
        seen = set()
        for path, m in self.named_modules() if recurse else [("", self)]:
            for name, p in m._own("_parameters"):
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{path}.{name}" if path else name), p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse=True):
        for path, m in self.named_modules() if recurse else [("", self)]:
            for name, b in m._own("_buffers"):
                yield (f"{path}.{name}" if path else name), b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse):
            yield b

    def uninitialized_parameters(self):
        """Dotted names of the Parameters that lazy layers have not created yet."""
        return [name for name, p in self.named_parameters() if not p.is_initialized]

    def _check_built(self, op):
        names = self.uninitialized_parameters()
        if names:
            raise RuntimeError(
                f"{op}: {type(self).__name__} is not built yet: its lazy parameters {names} "
                f"get their shapes at the first call. Call the model once on a batch (or "
                f"summary(input_shape=...)), or give the lazy layers their input size "
                f"(in_features=, in_channels=, num_features=)"
            )

    def count_params(self, trainable_only=False):
        """Number of scalars in the parameters (Keras' ``count_params``); an
        error while lazy layers are not built."""
        self._check_built("count_params")
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # -- calling --------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def _is_training(self, training=None):
        """The mode a layer runs in: an explicit ``training`` argument wins,
        else this module's flag combined with the global ``train`` flag."""
        if training is not None:
            return bool(training)
        return self.training and config.is_training()

    # -- modes and gradients --------------------------------------------------
    def train(self, mode=True):
        """Training behaviour (dropout on, batch statistics) for every submodule."""
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self):
        """Inference behaviour for every submodule; same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, flag=True):
        """Freeze (``False``) or unfreeze every parameter, including ones a lazy
        layer creates later. Frozen parameters get no gradient and optimizers
        skip them."""
        for m in self.modules():
            m.__dict__["_trainable"] = bool(flag)
            for _, p in m._own("_parameters"):
                p.requires_grad = bool(flag)
        return self

    def freeze(self):
        return self.requires_grad_(False)

    def unfreeze(self):
        return self.requires_grad_(True)

    @property
    def trainable(self):
        """Keras' flag: ``layer.trainable = False`` freezes the layer and its submodules."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self.requires_grad_(value)

    def zero_grad(self):
        """Drop the gradient of every parameter."""
        for p in self.parameters():
            p.cleargrad()

    cleargrads = zero_grad

    def regularization_loss(self):
        """Sum of ``p.regularizer(p)`` over parameters that have a regularizer,
        as a 0-d Variable (0.0 when none does): add it to the loss."""
        total = None
        for p in self.parameters():
            reg = getattr(p, "regularizer", None)
            if reg is not None:
                penalty = reg(p)
                total = penalty if total is None else total + penalty
        if total is None:
            device = self.device
            xp = backend.get_backend(device).xp
            return Variable(backend.as_array(0.0, dtype=xp.float32, device=device),
                            requires_grad=False)
        return total

    # -- devices --------------------------------------------------------------
    @property
    def device(self) -> str:
        """Device of the first parameter or buffer (else the last ``to()`` target, "cpu")."""
        for p in self.parameters():
            if p.is_initialized:
                return p.device
        for b in self.buffers():
            return backend.device_of(b)
        return self._device

    def to(self, device):
        """Move every parameter (with its gradient) and buffer to ``device``, in
        place; layers built later are built there. Returns ``self``."""
        device = backend.normalize_device(device)
        for m in self.modules():
            m.__dict__["_device"] = device
            for _, p in m._own("_parameters"):
                if not p.is_initialized:
                    continue
                p.data = backend.to_device(p.data, device)
                if p.grad is not None:
                    p.grad = p.grad.to(device)
            for name, b in m._own("_buffers"):
                object.__setattr__(m, name, backend.to_device(b, device))
        return self

    # -- state ----------------------------------------------------------------
    def _state_slots(self):
        """``{key: (module, attribute, is_buffer)}`` for parameters and buffers."""
        slots = {}
        for path, m in self.named_modules():
            prefix = f"{path}." if path else ""
            for name, _ in m._own("_parameters"):
                slots.setdefault(prefix + name, (m, name, False))
            for name, _ in m._own("_buffers"):
                slots.setdefault(prefix + name, (m, name, True))
        return slots

    def state_dict(self):
        """``{dotted name: array}`` of every parameter and buffer (the arrays
        themselves, not copies); an error while lazy layers are not built."""
        self._check_built("state_dict")
        return {
            key: (getattr(m, attr) if is_buffer else getattr(m, attr).data)
            for key, (m, attr, is_buffer) in self._state_slots().items()
        }

    def _build_from_state(self, state, prefix, device):
        """Lazy layers create their parameters here from the shapes in ``state``."""

    def load_state_dict(self, state, strict=True):
        """Copy arrays from ``state`` (as made by :meth:`state_dict` or :meth:`load`)
        into this module's parameters and buffers, on their devices and dtypes.

        A ValueError names missing and unexpected keys (unless ``strict=False``)
        and every shape mismatch with both shapes. Unbuilt lazy layers are built
        from the shapes in ``state`` first. Returns ``IncompatibleKeys``.
        """
        device = self.device
        for path, m in self.named_modules():
            m._build_from_state(state, f"{path}." if path else "", device)
        slots = self._state_slots()
        missing = [k for k in slots if k not in state]
        unexpected = [k for k in state if k not in slots]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        for key, (m, attr, is_buffer) in slots.items():
            if key in state:
                have = getattr(m, attr)
                if not (is_buffer or have.is_initialized):
                    problems.append(f"{key!r} belongs to a lazy layer that is not built and "
                                    f"the state_dict lacks the entry that sizes it")
                    continue
                want = tuple(have.shape)
                got = tuple(_array_of(state[key]).shape)
                if want != got:
                    problems.append(f"shape mismatch for {key!r}: model has {want}, "
                                    f"state_dict has {got}")
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for key, (m, attr, is_buffer) in slots.items():
            if key in state:
                if is_buffer:
                    object.__setattr__(m, attr, _copy_like(state[key], getattr(m, attr)))
                else:
                    p = getattr(m, attr)
                    p.data = _copy_like(state[key], p.data)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path):
        """Write :meth:`state_dict` to the ``.npz`` file ``path``, atomically."""
        save_npz(path, self.state_dict())

    def load(self, path, strict=True):
        """Load the ``.npz`` file written by :meth:`save`; returns ``self``.

        A file that is empty, truncated, damaged or of another format raises
        :class:`~minigrad.io.npz.UnreadableFileError`; a training checkpoint, or
        arrays that do not fit this module, a ValueError. Both name ``path``.
        """
        path = os.fspath(path)
        state = load_npz(path)
        if TREE_ENTRY in state:
            raise ValueError(f"Module.load: {path!r} is a training checkpoint, not a file of "
                             f"Module.save; load it with minigrad.training.load_checkpoint"
                             f"(path, model)")
        try:
            self.load_state_dict(state, strict=strict)
        except ValueError as e:
            raise ValueError(f"Module.load({path!r}): {e}") from e
        return self

    def save_weights(self, path):
        """Keras' name for :meth:`save` (an ``.npz`` file, whatever the suffix)."""
        self.save(path)

    def load_weights(self, path, strict=True):
        """Keras' name for :meth:`load`; returns ``self``."""
        return self.load(path, strict=strict)

    # -- printing -------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown in ``repr``; layers override it."""
        return ""

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()}"
        kids = list(self.named_children())
        if not kids:
            return head + ")"
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in kids]
        return head + "\n" + "\n".join(lines) + "\n)"


Layer = Module


class KernelAliases:
    """Keras (``kernel``, ``bias``) and PyTorch (``weight``, ``bias``) names of a
    layer's Parameters ``W`` and ``b``; mixed into Dense and Conv2D."""

    @property
    def kernel(self):
        return self.W

    weight = kernel

    @property
    def bias(self):
        return self.b


def autocast(x, weight):
    """Integer or bool input ``x`` (a Variable or an array) as a constant of
    ``weight``'s float dtype, as Keras' layers autocast; other input as it is.

    Without it, numpy computes int64 input times float32 weights in float64,
    silently. Floating input is left as it is (the engine's promotion rules
    apply); input on another backend is left for the layer's function to report.
    """
    data = x.data if isinstance(x, Variable) else x
    if data.dtype is weight.data.dtype:  # the common case, decided by one comparison
        return x
    xp = backend.namespace(data)
    if backend.is_floating(data.dtype, xp) or xp is not backend.namespace(weight.data):
        return x
    return Variable(xp.astype(data, weight.dtype), requires_grad=False)


def _array_of(value):
    if isinstance(value, Variable):
        return value.data
    return value if backend.is_array(value) else backend.as_array(value)


def _copy_like(value, like):
    """``value`` as a fresh array with the device and dtype of ``like``."""
    value = _array_of(value)
    arr = backend.to_device(value, backend.device_of(like))
    xp = backend.namespace(arr)
    if arr.dtype != like.dtype:
        return xp.astype(arr, like.dtype)
    return xp.asarray(arr, copy=True) if arr is value else arr
