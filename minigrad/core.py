"""Variable, Function and the reverse-mode backward pass.

A ``Function`` computes its ``forward`` on raw backend arrays and its
``backward`` with minigrad functions on Variables, so the backward pass can be
recorded and differentiated again (``create_graph=True``). Calling a Function
links its outputs to it (``creator``) and gives them a ``generation`` one above
its newest input; ``Variable.backward`` then visits functions newest first from
a heap, so each is visited once, after every function that uses its outputs.
"""
from __future__ import annotations

import heapq
import itertools
import numbers
import weakref

from minigrad import backend, config

_enable_backprop = config._enable_backprop
_counter = itertools.count()


class Variable:
    """An array that remembers how it was computed.

    ``Variable(data, name=None, requires_grad=None, dtype=None, device=None)``:
    ``data`` is a backend array (kept as it is) or Python numbers (converted by
    :func:`minigrad.backend.as_array`: floats become float32). ``requires_grad``
    defaults to True for floating data and is an error for integer data.
    """

    # Class-level defaults make the fast constructor ``_wrap`` set one attribute.
    name = None
    grad = None
    creator = None
    generation = 0
    requires_grad = False
    _made_in_no_grad = False
    __array_ufunc__ = None  # numpy operators defer to Variable's reflected methods
    __array_priority__ = 200

    def __init__(self, data, name=None, requires_grad=None, dtype=None, device=None):
        if isinstance(data, Variable):
            raise TypeError("Variable(data): data is already a Variable; use .detach() or .data")
        data = backend.as_array(data, dtype=dtype, device=device)
        floating = backend.is_floating(data.dtype, backend.namespace(data))
        if requires_grad is None:
            requires_grad = floating
        elif requires_grad and not floating:
            raise TypeError(
                f"Variable: cannot require gradients of {data.dtype} data; "
                f"only floating-point Variables have gradients"
            )
        self.data = data
        self.name = name
        self.requires_grad = bool(requires_grad)

    @classmethod
    def _wrap(cls, data, requires_grad=False):
        """Fast constructor for arrays that are known to be valid."""
        v = _new(cls)
        v.data = data
        if requires_grad:
            v.requires_grad = True
        return v

    # -- array-like properties -----------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def xp(self):
        """The array namespace of this Variable's data."""
        return backend.namespace(self.data)

    @property
    def T(self):
        return F.transpose(self)

    def __len__(self):
        if not self.data.ndim:
            raise TypeError("len() of a 0-d Variable")
        return self.data.shape[0]

    def __repr__(self):
        body = str(self.data).replace("\n", "\n" + " " * 9)
        extras = f", name={self.name!r}" if self.name else ""
        if self.creator is not None:
            extras += f", creator={type(self.creator).__name__}"
        return f"{type(self).__name__}({body}, dtype={self.dtype}{extras})"

    __hash__ = object.__hash__

    # -- conversions ----------------------------------------------------------
    # Like tensors: float(v), int(v), bool(v), f"{v:.4f}" for one element; np.asarray(v)
    # for CPU data (a device array is copied to the host only by .numpy()).
    def item(self):
        """The value of a one-element Variable as a Python number."""
        return self._number("item()")

    def __float__(self):
        return float(self._number("float()"))

    def __int__(self):
        return int(self._number("int()"))

    def __bool__(self):
        return bool(self._number("bool()"))

    def _number(self, op):
        if self.data.size != 1:
            raise ValueError(
                f"{op}: only a one-element Variable converts to a Python number; "
                f"this one has shape {tuple(self.shape)}"
            )
        return backend.to_numpy(self.data).item()

    def __format__(self, spec):
        if not spec:
            return str(self)
        if self.data.size != 1:
            raise TypeError(
                f"format(): the spec {spec!r} formats one number, but this Variable has "
                f"shape {tuple(self.shape)}; format v.numpy() or one element"
            )
        return format(self._number("format()"), spec)

    def __array__(self, dtype=None, copy=None):
        return backend.host_array(self.data, dtype, copy)

    def numpy(self):
        """A host (numpy) copy of the data."""
        return backend.to_numpy(self.data)

    def astype(self, dtype):
        """This Variable cast to ``dtype``, in the graph (:func:`minigrad.functions.astype`)."""
        return F.astype(self, dtype)

    def tolist(self):
        """The data as nested Python lists of numbers (a number for a 0-d Variable)."""
        return self.numpy().tolist()

    # PyTorch's casts, in the graph: float() is float32, double() float64, long() int64.
    def float(self):
        return self.astype(self.xp.float32)

    def double(self):
        return self.astype(self.xp.float64)

    def long(self):
        return self.astype(self.xp.int64)

    def cpu(self):
        """This Variable on the CPU (itself when it is there already)."""
        return self.to("cpu")

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return ``self``, as in PyTorch: start
        (or stop) recording operations on a leaf such as ``mg.zeros(3)``."""
        if self.creator is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False): this Variable is computed by "
                               f"{type(self.creator).__name__}; only leaves can stop "
                               "requiring gradients (use .detach())")
        if requires_grad and not backend.is_floating(self.dtype, self.xp):
            raise TypeError(f"requires_grad_(): {self.dtype} data cannot require gradients; "
                            f"only floating-point Variables have gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def to(self, device):
        """This Variable's data on ``device``, as a new leaf Variable."""
        data = backend.to_device(self.data, device)
        return type(self)._wrap(data, self.requires_grad) if data is not self.data else self

    def detach(self):
        """The same data as a new Variable outside the graph."""
        return Variable._wrap(self.data, False)

    def cleargrad(self):
        self.grad = None

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    # -- methods that build the graph ----------------------------------------
    # numpy's names and PyTorch's: reductions take axis=/keepdims= or dim=/keepdim=.
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return F.reshape(self, shape)

    def view(self, *shape):
        """PyTorch's name for :meth:`reshape`."""
        return self.reshape(*shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Axes ``start_dim`` to ``end_dim`` (inclusive) merged into one, as PyTorch's
        ``Tensor.flatten``: ``x.flatten()`` is 1-D, ``x.flatten(1)`` keeps the batch axis."""
        if not self.ndim:
            return self.reshape(1)
        start, end = (normalize_axes(a, self.ndim)[0] for a in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for shape {tuple(self.shape)}")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def transpose(self, *axes):
        """Two ints swap those two axes, as PyTorch's ``transpose(dim0, dim1)``; a
        tuple (or one int per axis, when there are not exactly two) permutes the
        axes, as numpy's ``transpose(axes)``; no argument reverses them.

        On a matrix the two agree except for ``(0, 1)``: PyTorch's swap (done
        here) against numpy's identity permutation, which no one means to write.
        """
        if len(axes) == 2 and all(isinstance(a, numbers.Integral) for a in axes):
            return self.permute(_swapped(self.ndim, *axes, "transpose"))
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return F.transpose(self, axes or None)

    def permute(self, *dims):
        """The axes in the order ``dims`` (PyTorch's ``permute``; numpy's ``transpose(axes)``):
        ``x.permute(0, 2, 3, 1)`` turns NCHW into NHWC."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if len(dims) != self.ndim:
            raise ValueError(f"permute: {len(dims)} dims {dims} for a Variable of "
                             f"{self.ndim} axes (shape {tuple(self.shape)})")
        return F.transpose(self, dims)

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return F.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return F.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Values over ``axis`` (numpy); with ``dim=``, PyTorch's ``(values, indices)``."""
        return F.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Values over ``axis`` (numpy); with ``dim=``, PyTorch's ``(values, indices)``."""
        return F.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """int64 positions of the largest values along ``axis`` (the flat position
        when None), as a Variable without a gradient."""
        return self._arg("argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """int64 positions of the smallest values along ``axis`` (see :meth:`argmax`)."""
        return self._arg("argmin", axis, keepdims, dim, keepdim)

    def _arg(self, op, axis, keepdims, dim, keepdim):
        axis = axis_or_dim(op, axis, dim)
        keepdims = keepdims_or_keepdim(op, keepdims, keepdim)
        xp = self.xp
        if axis is None:
            data = xp.reshape(self.data, (-1,))
            found = getattr(xp, op)(data, axis=0)
            found = xp.reshape(found, (1,) * self.ndim) if keepdims else found
        else:
            found = getattr(xp, op)(self.data, axis=axis, keepdims=keepdims)
        return Variable._wrap(xp.astype(backend.ensure_array(found), xp.int64))

    def softmax(self, axis=-1, *, dim=None):
        return F.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        return F.log_softmax(self, axis, dim=dim)

    def exp(self):
        return F.exp(self)

    def log(self):
        return F.log(self)

    def relu(self):
        return F.relu(self)

    def __getitem__(self, key):
        return F.getitem(self, key)

    def __add__(self, other):
        return F.add(self, other)

    def __radd__(self, other):
        return F.add(other, self)

    def __sub__(self, other):
        return F.sub(self, other)

    def __rsub__(self, other):
        return F.sub(other, self)

    def __mul__(self, other):
        return F.mul(self, other)

    def __rmul__(self, other):
        return F.mul(other, self)

    def __truediv__(self, other):
        return F.div(self, other)

    def __rtruediv__(self, other):
        return F.div(other, self)

    def __pow__(self, other):
        return F.pow(self, other)

    def __rpow__(self, other):
        return F.pow(other, self)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __neg__(self):
        return F.neg(self)

    def __pos__(self):
        return self

    # Comparisons give plain boolean arrays: they have no gradient.
    def __eq__(self, other):
        return self.data == _raw(other)

    def __ne__(self, other):
        return self.data != _raw(other)

    def __lt__(self, other):
        return self.data < _raw(other)

    def __le__(self, other):
        return self.data <= _raw(other)

    def __gt__(self, other):
        return self.data > _raw(other)

    def __ge__(self, other):
        return self.data >= _raw(other)

    # -- backpropagation -------------------------------------------------------
    def backward(self, grad=None, retain_grad=False, create_graph=False, retain_graph=None):
        """Accumulate d(self)/d(leaf) into the ``grad`` of every leaf that requires it.

        ``grad`` is the upstream gradient (default ones, so a non-scalar output
        is treated as ``self.sum()``); it must be on this Variable's device and
        is cast to its dtype, as PyTorch does. Gradients of intermediate Variables are
        dropped unless ``retain_grad``. With ``create_graph`` the backward pass is
        itself recorded, so ``x.grad`` can be differentiated again.

        As in PyTorch, each node drops what it saved for its backward (its inputs,
        masks, softmax, ...) once its gradients are passed on, so the memory is
        free before the next forward pass; a second backward through the same
        graph then raises. ``retain_graph=True`` keeps the graph (the default is
        ``create_graph``).
        """
        if not self.requires_grad:
            if self._made_in_no_grad:
                raise RuntimeError(
                    "backward(): this Variable has no graph because it was computed "
                    "under no_grad(); compute it with gradients enabled"
                )
            raise RuntimeError(
                "backward(): this Variable does not require gradients (it is integer "
                "data, requires_grad=False, or computed only from such Variables)"
            )
        if retain_graph is None:
            retain_graph = create_graph
        with config.using_config("enable_backprop", create_graph):
            grad = _upstream_grad(self, grad, "backward()")
            _backpropagate(self, grad, retain_grad, release=not retain_graph)


def _swapped(ndim, d0, d1, op):
    """The permutation of ``ndim`` axes that swaps axes ``d0`` and ``d1``."""
    axes = list(range(ndim))
    for d in (d0, d1):
        if not -ndim <= d < max(ndim, 1):
            raise ValueError(f"{op}({d0}, {d1}): axis {d} is out of range for a Variable "
                             f"of {ndim} axes")
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return axes


def _backpropagate(root, grad, retain_grad, capture=None, release=False):
    """Run the backward pass from ``root``; with ``capture`` (a dict keyed by
    ``id`` of wanted Variables) gradients go there instead of into ``.grad``.
    With ``release``, each Function drops its saved state once it is done."""
    if capture is not None and id(root) in capture:
        capture[id(root)] = grad
        return
    if root.creator is None:
        if capture is None:
            _accumulate_leaf(root, grad)
        return
    # Without create_graph nothing is recorded: sum gradients as plain arrays.
    add = _add_variables if _enable_backprop.get() else _add_arrays
    # id -> (Variable, its gradient so far): holding the Variable keeps the id valid
    # (and the Variable alive) until its creator takes the gradient, even once
    # released consumers no longer hold it
    grads = {id(root): (root, grad)}
    heap = []
    seen = {root.creator}
    heappush, heappop = heapq.heappush, heapq.heappop
    heappush(heap, (-root.creator.generation, next(_counter), root.creator))
    while heap:
        func = heappop(heap)[2]
        if func.released:
            raise RuntimeError(
                f"backward(): the graph through {type(func).__name__} was already used by a "
                f"backward pass, which freed what it saved; call the first backward with "
                f"retain_graph=True to go through it again (or sum the losses first)"
            )
        gys = []
        for ref in func.outputs:
            out = ref()
            entry = grads.pop(id(out), None) if out is not None else None
            gy = entry[1] if entry is not None else None
            if retain_grad and gy is not None:
                out.grad = gy
            gys.append(gy)
        if len(gys) > 1:
            gys = func._fill_missing(gys)
        elif gys[0] is None:
            continue
        gxs = func.backward(*gys)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        for x, gx in zip(func.inputs, gxs):
            if gx is None or not x.requires_grad:
                continue
            data = x.data
            g = gx.data
            if g.shape != data.shape:
                gx = F.sum_to(gx, data.shape)
            # `is not` first: one pointer test on the hot path (numpy dtypes are singletons)
            if g.dtype is not data.dtype and g.dtype != data.dtype:
                gx = _cast(gx, data.dtype)
            key = id(x)
            if capture is not None and key in capture:
                prev = capture[key]
                capture[key] = gx if prev is None else add(prev, gx)
                continue
            creator = x.creator
            if creator is None:
                if capture is None:
                    x.grad = gx if x.grad is None else add(x.grad, gx)
                continue
            prev = grads.get(key)
            grads[key] = (x, gx if prev is None else add(prev[1], gx))
            if creator not in seen:
                seen.add(creator)
                heappush(heap, (-creator.generation, next(_counter), creator))
        if release:
            func.__dict__.clear()  # inputs, saved arrays: what kept the graph's memory
            func.released = True


def _upstream_grad(y, grad, op):
    """The gradient fed into output ``y``: ones by default, else ``grad`` checked
    against ``y``'s shape and device and cast to ``y``'s dtype."""
    if grad is None:
        return _wrap(y.xp.ones_like(y.data))
    if not isinstance(grad, Variable):
        device = y.device if not backend.is_array(grad) else None  # numbers and lists
        grad = _wrap(backend.as_array(grad, device=device))
    if grad.device != y.device:
        raise ValueError(
            f"{op}: the gradient is on device {grad.device!r} but the output is on "
            f"{y.device!r}; move it with .to({y.device!r})"
        )
    if grad.shape != y.shape:
        raise ValueError(f"{op}: grad has shape {grad.shape}, expected {y.shape}")
    if grad.dtype != y.dtype:
        grad = _cast(grad, y.dtype)
    return grad


def _cast(gx, dtype):
    """A gradient cast to its input's dtype: recorded under create_graph."""
    if _enable_backprop.get():
        return F.astype(gx, dtype)
    return _wrap(gx.xp.astype(gx.data, dtype))


def _add_variables(a, b):
    return a + b


def _add_arrays(a, b):
    # A new array: the previous gradient may be held elsewhere.
    return _wrap(backend.ensure_array(a.data + b.data))


def _accumulate_leaf(x, gx):
    # A new Variable each time: the previous gradient may be held elsewhere.
    x.grad = gx if x.grad is None else x.grad + gx


class Parameter(Variable):
    """A Variable that a layer owns and an optimizer updates.

    ``trainable`` is an alias of ``requires_grad``: a frozen Parameter gets no
    gradient and optimizers skip it.

    ``Parameter(None, name=...)`` is *uninitialized* (PyTorch's
    ``UninitializedParameter``): a lazy layer creates its Parameters this way
    at construction, so ``model.parameters()`` lists them and an optimizer
    made at once holds them, and fills them in place with :meth:`materialize`
    at its first call, when the input gives their shape. Until then a
    Parameter has no data, hence no shape, dtype or device: reading any of
    them raises a RuntimeError that says so. It gets no gradient, so
    optimizers skip it.
    """

    regularizer = None  # penalty and projection set by Module.add_weight
    constraint = None

    def __init__(self, data=None, name=None, requires_grad=None, dtype=None, device=None):
        if data is not None:
            super().__init__(data, name, requires_grad, dtype, device)
            return
        if dtype is not None or device is not None:
            raise TypeError(f"Parameter(None): an uninitialized Parameter takes its dtype and "
                            f"device from the array given to materialize(), got dtype={dtype!r}, "
                            f"device={device!r}")
        self.name = name
        self.requires_grad = requires_grad is None or bool(requires_grad)

    @property
    def is_initialized(self) -> bool:
        """False until :meth:`materialize` (a lazy layer's first call) gives it data."""
        return "data" in self.__dict__

    def materialize(self, data):
        """Give this uninitialized Parameter its array ``data``, in place (the
        object stays the same, so optimizers holding it train it); returns it."""
        if "data" in self.__dict__:
            raise RuntimeError(f"{self._label()}.materialize(): it already has data of shape "
                               f"{tuple(self.data.shape)}; assign .data to replace it")
        if not backend.is_array(data):
            raise TypeError(f"{self._label()}.materialize(): expected a backend array, "
                            f"got {type(data).__name__}")
        if self.requires_grad and not backend.is_floating(data.dtype, backend.namespace(data)):
            raise TypeError(f"{self._label()}.materialize(): {data.dtype} data cannot require "
                            f"gradients; give floating-point data")
        self.data = data
        return self

    def __getattr__(self, name):
        # Reached only when normal lookup fails, so initialized Parameters never
        # come here: ``data`` of an uninitialized one, and through it the
        # properties that read it (shape, dtype, device, ...).
        if name == "data":
            raise RuntimeError(
                f"{self._label()} is not initialized yet: a lazy layer fills it at its "
                f"first call, from the input's shape. Call the model once on a batch (or "
                f"summary(input_shape=...)), or give the layer its input size (in_features=, "
                f"in_channels=, num_features=)"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _label(self):
        return f"Parameter {self.name!r}" if self.name else "Parameter"

    def __repr__(self):
        if "data" in self.__dict__:
            return super().__repr__()
        extras = f", name={self.name!r}" if self.name else ""
        return f"{type(self).__name__}(<uninitialized>{extras})"

    @property
    def trainable(self):
        return self.requires_grad

    @trainable.setter
    def trainable(self, value):
        self.requires_grad = bool(value)


class Function:
    """A differentiable operation: ``forward`` on arrays, ``backward`` on Variables.

    Subclasses implement ``forward(*arrays) -> array or tuple`` and
    ``backward(*grad_outputs) -> Variable or tuple`` (``None`` for an input that
    gets no gradient; ``self.needs_input_grad[i]`` says whether input ``i``
    wants one). ``self.xp`` is the inputs' array namespace. Inside ``backward``,
    ``self.inputs`` are the input Variables and
    ``self.output`` / ``self.outputs`` the outputs. Gradients whose shape
    differs from their input's (broadcasting) are summed back by the engine.
    """

    generation = 0
    inputs = ()
    outputs = ()
    needs_input_grad = ()
    released = False  # True once a backward pass has dropped what this node saved

    def __call__(self, *inputs):
        xs = _as_variables(inputs)
        # One plain loop: comprehensions and generators are calls in Python 3.11.
        arrays = []
        needs = []
        generation = 0
        for x in xs:
            arrays.append(x.data)
            needs.append(x.requires_grad)
            if x.generation > generation:
                generation = x.generation
        kind = type(arrays[0])
        array_backend = _BACKEND_BY_TYPE.get(kind) or backend.backend_of(arrays[0])
        self.xp = array_backend.xp
        if len(arrays) > 1 and not _surely_one_device(array_backend, kind, arrays):
            backend.check_same_device(type(self).__name__, arrays)
        try:
            ys = self.forward(*arrays)
        except (TypeError, ValueError, IndexError) as e:
            raise _op_error(self, arrays, e) from e
        if type(ys) is tuple:
            outputs = [_wrap(y if type(y) is kind else backend.ensure_array(y)) for y in ys]
        else:  # one output: the common case, kept short
            out = _new(Variable)
            out.data = ys if type(ys) is kind else backend.ensure_array(ys)
            outputs = (out,)
        if True in needs:
            if _enable_backprop.get():
                self.generation = generation
                for out in outputs:
                    out.requires_grad = True
                    out.creator = self
                    out.generation = generation + 1
                self.inputs = xs
                self.needs_input_grad = tuple(needs)
                self.outputs = [weakref.ref(out) for out in outputs]
                if len(outputs) > 1:
                    self._output_meta = [(y.shape, y.dtype) for y in ys]
            else:
                for out in outputs:
                    out._made_in_no_grad = True
        else:
            for x in xs:
                if x._made_in_no_grad:
                    for out in outputs:
                        out._made_in_no_grad = True
                    break
        return outputs if len(outputs) > 1 else outputs[0]

    @property
    def output(self):
        return self.outputs[0]()

    def _fill_missing(self, gys):
        like = self.inputs[0].data
        return [
            gy if gy is not None else Variable._wrap(backend.zeros(shape, dtype, like))
            for gy, (shape, dtype) in zip(gys, self._output_meta)
        ]

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError


def _surely_one_device(array_backend, kind, arrays):
    """True when ``arrays`` need no device check: one type, on a one-device backend."""
    if not array_backend.single_device:
        return False
    for a in arrays:
        if type(a) is not kind:
            return False
    return True


def recording() -> bool:
    """Whether the backward pass now running is itself recorded (``create_graph``).

    When it is not, backward rules may compute on raw arrays and return
    ``constant(array)``: the same formula, without a graph node per operation.
    """
    return _enable_backprop.get()


def constant(array):
    """An array as a Variable outside the graph (numpy scalars become 0-d arrays)."""
    return _wrap(backend.ensure_array(array))


def _op_error(func, arrays, error):
    shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
    dtypes = ", ".join(str(a.dtype) for a in arrays)
    msg = f"{type(func).__name__}: {error} (input shapes {shapes}; dtypes {dtypes})"
    for kind in (TypeError, IndexError, ValueError):
        if isinstance(error, kind):
            return kind(msg)
    return ValueError(msg)


def _raw(obj):
    return obj.data if isinstance(obj, Variable) else python_number(obj)


def _as_variables(inputs):
    """``inputs`` as Variables; constants follow the weak-constant rule.

    A constant (a Python or numpy number, an array, a list) beside a floating
    Variable takes that Variable's dtype, so float32 stays float32 whatever the
    constants' dtypes: numbers are weak in PyTorch and JAX, and Keras converts
    constants to the layer's dtype. Beside integer Variables only, a floating
    constant makes them all the default float dtype. Variables are never cast:
    float32 and float64 Variables promote to float64, and the backward pass
    casts each gradient back to its input's dtype.
    """
    for obj in inputs:
        if not isinstance(obj, Variable):
            break
    else:
        return inputs
    ref, beside_variable = _reference(inputs)
    array_backend = backend.backend_of(ref)
    xp, device = array_backend.xp, array_backend.device_of(ref)
    items = [
        obj if isinstance(obj, Variable) or _is_number(obj) else _array_on(obj, device)
        for obj in inputs
    ]
    dtype = ref.dtype
    floating = backend.is_floating(dtype, xp)
    cast_variables = False
    if not floating and any(_is_float(item) for item in items if not isinstance(item, Variable)):
        dtype, floating = backend.default_float_dtype(xp), True
        cast_variables = beside_variable  # integer Variables: no gradient to lose
    out = []
    for item in items:
        if isinstance(item, Variable):
            if cast_variables:
                item = _wrap(xp.astype(item.data, dtype))
        elif _is_number(item):
            item = _wrap(array_backend.asarray(item, dtype=dtype, device=device))
        else:
            # another device's array is left as it is: the device check names it
            if beside_variable and floating and type(item) is type(ref) and item.dtype != dtype:
                item = xp.astype(item, dtype)
            item = _wrap(item)
        out.append(item)
    return out


def _reference(inputs):
    """The array whose dtype and device constants follow, and whether it is a
    Variable's: the first floating Variable, else the first Variable, else
    (no Variable at all) the first array."""
    first = None
    for obj in inputs:
        if isinstance(obj, Variable):
            if backend.is_floating(obj.data.dtype, obj.xp):
                return obj.data, True
            if first is None:
                first = obj.data
    if first is not None:
        return first, True
    for obj in inputs:
        if not _is_number(obj) and backend.is_array(obj):
            return backend.ensure_array(obj), False
    return backend.as_array(inputs[0]), False


def _is_number(obj):
    # numpy scalars are numbers.Real too: weak like Python numbers
    return type(obj) is float or type(obj) is int or isinstance(obj, numbers.Real)


def _is_float(constant):
    if _is_number(constant):
        return not isinstance(constant, numbers.Integral)
    return backend.is_floating(constant.dtype, backend.namespace(constant))


def python_number(value):
    """A numpy scalar as the Python number it holds; anything else unchanged.

    numpy promotes its own scalars like arrays (``float32 array * np.float64(2)``
    is float64) but Python numbers weakly, so a number that a Function keeps as
    an attribute (an exponent, a bound, a slope) is made a Python number.
    """
    if type(value) in (int, float, bool) or not isinstance(value, numbers.Real):
        return value
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _array_on(obj, device):
    """An array stays where it is; lists move to ``device``."""
    if backend.is_array(obj):
        return backend.ensure_array(obj)
    return backend.as_array(obj, device=device)


def to_device(obj, device):
    """A Variable (as a new leaf) or an array moved to ``device``."""
    if isinstance(obj, Variable):
        return obj.to(device)
    return backend.to_device(obj, device)


def as_variable(obj, like=None):
    """``obj`` as a Variable: Variables pass through, arrays become constants.

    With ``like`` (the Variable that ``obj`` will meet), a constant follows the
    weak-constant rule beside it: a floating ``like`` gives it its dtype, and
    lists move to its device.
    """
    if isinstance(obj, Variable):
        return obj
    if like is not None:
        return _as_variables((like, obj))[1]
    return Variable._wrap(backend.as_array(obj))


def grad(outputs, inputs, grad_outputs=None, create_graph=False):
    """d(sum of outputs)/d(inputs) as a tuple, like ``torch.autograd.grad``.

    No ``.grad`` attribute is touched. Each output may be weighted by its entry
    of ``grad_outputs`` (default ones); an input the outputs do not depend on
    gets zeros.
    """
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    grad_outputs = grad_outputs or [None] * len(outputs)
    capture = {id(x): None for x in inputs}
    with config.using_config("enable_backprop", create_graph):
        for y, gy in zip(outputs, grad_outputs):
            if not y.requires_grad:
                continue
            _backpropagate(y, _upstream_grad(y, gy, "grad()"), False, capture)
    return tuple(
        capture[id(x)] if capture[id(x)] is not None else Variable._wrap(x.xp.zeros_like(x.data))
        for x in inputs
    )


_new = object.__new__
_wrap = Variable._wrap
_BACKEND_BY_TYPE = backend.registry._BY_TYPE

from minigrad import functions as F  # noqa: E402  (functions build on the classes above)
from minigrad.functions.array import (  # noqa: E402
    axis_or_dim,
    keepdims_or_keepdim,
    normalize_axes,
)
