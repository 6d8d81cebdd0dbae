"""Shape functions: reshape, transpose, broadcasting, indexing, joining and splitting."""
from __future__ import annotations

import builtins

from minigrad import backend
from minigrad.core import Function, Variable, python_number


__all__ = [
    "Reshape",
    "Transpose",
    "BroadcastTo",
    "SumTo",
    "GetItem",
    "GetItemGrad",
    "Concatenate",
    "Split",
    "reshape",
    "transpose",
    "matrix_transpose",
    "expand_dims",
    "squeeze",
    "flatten",
    "broadcast_to",
    "sum_to",
    "getitem",
    "concatenate",
    "stack",
    "split",
]


def normalize_axes(axis, ndim) -> tuple:
    """``axis`` (None, int or sequence, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for an array of {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(out))


def axis_or_dim(op, axis, dim, default=None):
    """The axis given as numpy's and Keras' ``axis`` or as PyTorch's ``dim``.

    Giving both (``axis`` other than its ``default``) is a TypeError: the two
    names are one argument.
    """
    if dim is None:
        return axis
    if axis is not default and axis != default:
        raise TypeError(f"{op}: give the axis once, as axis= (numpy, Keras) or dim= (PyTorch), "
                        f"got axis={axis!r} and dim={dim!r}")
    return dim


def keepdims_or_keepdim(op, keepdims, keepdim):
    """numpy's ``keepdims`` or PyTorch's ``keepdim`` (one of them), as a bool."""
    if keepdim is None:
        return keepdims
    if keepdims:
        raise TypeError(f"{op}: give keepdims= (numpy, Keras) or keepdim= (PyTorch), not both")
    return keepdim


def keepdims_shape(shape, axis) -> tuple:
    """The shape a reduction over ``axis`` of ``shape`` has with ``keepdims=True``."""
    axes = normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Reshape(Function):
    """y = x viewed with another shape;  dx = gy reshaped back."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return self.xp.reshape(x, self.shape)

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)


class Transpose(Function):
    """y = x with axes permuted;  dx = gy with the inverse permutation."""

    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        axes = self.axes if self.axes is not None else tuple(range(x.ndim))[::-1]
        self.axes = tuple(a % x.ndim for a in axes) if x.ndim else ()
        return self.xp.permute_dims(x, self.axes)

    def backward(self, gy):
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return transpose(gy, inverse)


class BroadcastTo(Function):
    """y = x broadcast to ``shape``;  dx = gy summed back to x's shape."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


class SumTo(Function):
    """y = x summed over the axes that broadcasting to x's shape would add;
    dx = gy broadcast back. The engine uses it to un-broadcast gradients."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        if lead < 0:
            raise ValueError(f"cannot sum shape {tuple(x.shape)} to the longer shape {self.shape}")
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(self.shape) if s == 1 and x.shape[i + lead] != 1
        )
        y = self.xp.sum(x, axis=axes, keepdims=True) if axes else x
        return self.xp.reshape(y, self.shape) if lead else y

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


def _normalize_key(key, like):
    """Index keys as arrays on ``like``'s device (lists and host index arrays are
    moved there), with a trailing ``...`` where the
    array API needs one (it rejects keys that name fewer axes than the array has)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Variable):
            k = k.data
        k = python_number(k)  # a numpy integer is a basic index, as a Python int
        if isinstance(k, list):
            k = backend.as_array(k, device=backend.device_of(like))
            if k.size == 0:  # numpy reads an empty list as integer indices, not floats
                xp = backend.namespace(k)
                k = xp.astype(k, xp.int64)
        elif backend.is_array(k) and backend.device_of(k) != backend.device_of(like):
            k = backend.to_device(k, backend.device_of(like))  # host index arrays are moved
        out.append(k)
    basic = all(k is None or isinstance(k, (int, slice)) for k in out)
    if basic and Ellipsis not in out:
        out.append(Ellipsis)
    return tuple(out)


def _has_int_array(key):
    for k in key:
        if backend.is_array(k) and not backend.namespace(k).isdtype(k.dtype, "bool"):
            return True
    return False


def check_index_range(key, shape):
    """Raise IndexError, as numpy does, if an integer array in ``key`` (a tuple of
    ints, slices, None, Ellipsis and arrays) points outside ``shape``. CuPy would wrap
    such an index around without a word; this costs a reduction and a device sync."""
    def width(k):
        if k is None:
            return 0
        if backend.is_array(k) and backend.namespace(k).isdtype(k.dtype, "bool"):
            return k.ndim
        return 1

    spanned = len(shape) - sum(width(k) for k in key if k is not Ellipsis)
    axis = 0
    for k in key:
        if k is Ellipsis:
            axis += spanned
            continue
        if backend.is_array(k) and width(k) == 1 and k.size:
            xp, n = backend.namespace(k), shape[axis]
            low, high = int(xp.min(k)), int(xp.max(k))
            if low < -n or high >= n:
                raise IndexError(f"index {low if low < -n else high} is out of bounds for "
                                 f"axis {axis} with size {n}")
        axis += width(k)


class GetItem(Function):
    """y = x[key] (slices, integers, integer arrays, boolean masks);
    dx = zeros with gy scattered to ``key``, repeated indices accumulating."""

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        key = self.key
        if backend.backend_of(x).wraps_indices and _has_int_array(key):
            check_index_range(key, x.shape)
        if len(key) == 1 and _has_int_array(key):  # rows of x: take, which every backend has
            index, xp = key[0], self.xp
            if index.ndim == 1:
                return xp.take(x, index, axis=0)
            rows = xp.take(x, xp.reshape(index, (-1,)), axis=0)
            return xp.reshape(rows, tuple(index.shape) + tuple(x.shape[1:]))
        return x[key]

    def backward(self, gy):
        return GetItemGrad(self.key, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """y = zeros(shape) with gy added at ``key`` (the backward of GetItem);
    dgy = ggy[key]."""

    def __init__(self, key, shape):
        self.key = key
        self.shape = tuple(shape)

    def forward(self, gy):
        gx = backend.zeros(self.shape, gy.dtype, gy)
        if _has_int_array(self.key):
            backend.backend_of(gy).scatter_add(gx, self.key, gy)
        else:
            gx[self.key] = gy
        return gx

    def backward(self, ggx):
        return GetItem(self.key)(ggx)


class Concatenate(Function):
    """y = the inputs joined along ``axis``;  each dx is its slice of gy."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        return self.xp.concat(xs, axis=self.axis)

    def backward(self, gy):
        sizes = [x.shape[self.axis] for x in self.inputs]
        bounds = [builtins.sum(sizes[: i + 1]) for i in range(len(sizes) - 1)]
        parts = split(gy, bounds, self.axis)
        return tuple(parts) if isinstance(parts, list) else (parts,)


class Split(Function):
    """ys = x cut along ``axis`` at ``bounds``;  dx = the gys joined again."""

    def __init__(self, bounds, axis=0):
        self.bounds = list(bounds)
        self.axis = axis

    def forward(self, x):
        axis = self.axis % x.ndim
        edges = [0, *self.bounds, x.shape[axis]]
        head = (slice(None),) * axis
        return tuple(x[head + (slice(a, b), Ellipsis)] for a, b in zip(edges[:-1], edges[1:]))

    def backward(self, *gys):
        return concatenate(gys, self.axis)


def reshape(x, shape):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if isinstance(x, Variable) and x.shape == shape:
        return x
    return Reshape(shape)(x)


def transpose(x, axes=None):
    return Transpose(axes)(x)


def matrix_transpose(x):
    """Swap the last two axes (``x.mT`` in PyTorch)."""
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(x, axes)


def expand_dims(x, axis):
    shape = list(x.shape)
    axis = axis % (len(shape) + 1)
    shape.insert(axis, 1)
    return reshape(x, shape)


def squeeze(x, axis=None):
    """Remove the size-1 axes named by ``axis`` (all of them by default)."""
    axes = (
        tuple(i for i, s in enumerate(x.shape) if s == 1)
        if axis is None
        else normalize_axes(axis, x.ndim)
    )
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def flatten(x, start_axis=0):
    """Collapse the axes from ``start_axis`` on into one (all axes by default)."""
    return reshape(x, tuple(x.shape[:start_axis]) + (-1,))


def broadcast_to(x, shape):
    shape = tuple(shape)
    if isinstance(x, Variable) and x.shape == shape:
        return x
    return BroadcastTo(shape)(x)


def sum_to(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo(shape)(x)


def getitem(x, key):
    like = x.data if isinstance(x, Variable) else x
    return GetItem(_normalize_key(key, like))(x)


def concatenate(xs, axis=0, *, dim=None):
    """Join the inputs along an existing ``axis`` (PyTorch's ``torch.cat(xs, dim)``)."""
    axis = axis_or_dim("concatenate", axis, dim, 0)
    return Concatenate(axis)(*xs)


def stack(xs, axis=0, *, dim=None):
    """Join same-shaped inputs along a new ``axis`` (or PyTorch's ``dim``)."""
    axis = axis_or_dim("stack", axis, dim, 0)
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def split(x, indices_or_sections, axis=0):
    """Cut ``x`` along ``axis``, as ``numpy.split``: a number of equal sections
    or a list of cut points. Returns a list."""
    size = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if size % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {size} does not divide into "
                f"{indices_or_sections} equal sections"
            )
        step = size // indices_or_sections
        bounds = [step * i for i in range(1, indices_or_sections)]
    else:
        bounds = list(indices_or_sections)
    out = Split(bounds, axis)(x)
    return out if isinstance(out, list) else [out]
