"""Tensor factories with PyTorch's names: ``mg.tensor``, ``zeros``, ``ones``, ``rand``,
``randn``, ``arange``, ``from_numpy``, and ``cat`` / ``stack`` to join Variables.

Each returns a leaf Variable that does not require gradients unless asked
(``requires_grad=True``, or ``.requires_grad_()`` later), as in PyTorch.
Floating values default to float32, integers to int64; ``device`` is a
minigrad device string (``"cpu"``, ``"cuda"``, ``"strict"``). Random draws come
from minigrad's generator, so :func:`minigrad.manual_seed` fixes them.
"""
from __future__ import annotations

import numbers

from minigrad import backend
from minigrad.core import Variable
from minigrad.functions.array import concatenate, stack

__all__ = ["tensor", "zeros", "ones", "rand", "randn", "arange", "from_numpy",
           "cat", "concatenate", "stack"]

cat = concatenate  # torch.cat(tensors, dim=0); numpy's and Keras' concatenate(xs, axis=0)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf Variable holding a copy of ``data`` (numbers, nested lists, an
    array of any backend, or a Variable), as ``torch.tensor``.

    Python floats become float32, ints int64, bools bool; arrays keep their
    dtype unless ``dtype`` is given. The copy is never shared with ``data``
    (:func:`from_numpy` shares).
    """
    source = data.data if isinstance(data, Variable) else data
    array = backend.as_array(source, device=device)
    if backend.is_array(source):  # a move to another device may still share the memory
        array = backend.copy(array)
    if dtype is not None:
        xp = backend.namespace(array)
        array = xp.astype(array, backend.resolve_dtype(dtype, xp))
    return _leaf("tensor", array, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A Variable of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))`` (float32 by default)."""
    b, dtype = _backend_dtype(device, dtype)
    return _leaf("zeros", b.zeros(_shape("zeros", size), dtype, _device(device)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A Variable of ones: ``ones(2, 3)`` or ``ones((2, 3))`` (float32 by default)."""
    b, dtype = _backend_dtype(device, dtype)
    array = b.xp.ones_like(b.zeros(_shape("ones", size), dtype, _device(device)))
    return _leaf("ones", array, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform draws from [0, 1), from minigrad's seeded generator."""
    b, dtype = _backend_dtype(device, dtype, floating="rand")
    array = b.uniform(_shape("rand", size), 0.0, 1.0, dtype, _device(device))
    return _leaf("rand", array, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal draws (mean 0, standard deviation 1), from minigrad's seeded generator."""
    b, dtype = _backend_dtype(device, dtype, floating="randn")
    array = b.normal(_shape("randn", size), 0.0, 1.0, dtype, _device(device))
    return _leaf("randn", array, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """``start, start + step, ...`` up to ``end`` (excluded); ``arange(n)`` is 0 .. n - 1.

    int64 when ``start``, ``end`` and ``step`` are all ints, else float32, as
    ``torch.arange``.
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    b = backend.get_backend(device)
    if dtype is None:
        dtype = b.xp.int64 if integral else backend.default_float_dtype(b.xp)
    else:
        dtype = backend.resolve_dtype(dtype, b.xp)
    array = backend.to_device(b.xp.arange(start, end, step, dtype=dtype), _device(device))
    return _leaf("arange", array, requires_grad)


def from_numpy(array):
    """A Variable that shares ``array``'s memory (a numpy array): writing to one
    changes the other, as ``torch.from_numpy``. It does not require gradients."""
    if not backend.is_array(array) or backend.backend_of(array).name != "numpy":
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}; "
                        f"use minigrad.tensor(data) for other data")
    return Variable(array, requires_grad=False)


def _leaf(op, array, requires_grad):
    if requires_grad and not backend.is_floating(array.dtype, backend.namespace(array)):
        raise TypeError(f"{op}: {array.dtype} data cannot require gradients; "
                        f"only floating-point Variables have gradients")
    return Variable._wrap(array, bool(requires_grad))


def _shape(op, size):
    """``(2, 3)`` from ``size`` given as ``2, 3`` or ``(2, 3)``; checked."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0
               for s in size):
        raise TypeError(f"{op}: the size must be non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _device(device):
    return backend.normalize_device(device)


def _backend_dtype(device, dtype, floating=None):
    """The backend of ``device`` and ``dtype`` resolved there (default float32);
    ``floating`` names an operation that takes only floating dtypes."""
    b = backend.get_backend(device)
    dtype = backend.default_float_dtype(b.xp) if dtype is None else \
        backend.resolve_dtype(dtype, b.xp)
    if floating and not backend.is_floating(dtype, b.xp):
        raise TypeError(f"{floating}: draws floating-point numbers, got dtype {dtype}")
    return b, dtype
