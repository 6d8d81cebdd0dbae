"""Gradient averaging in fused flat buckets (Horovod's tensor fusion, DDP's gradient buckets).

One collective per bucket instead of one per parameter: a few large messages
cost far less latency than many small ones. Buckets are filled in reverse
parameter order, the order in which backpropagation produces the gradients
(DDP and Horovod do the same; it is what lets them start reducing the last
layers while the first are still in backward).
"""
from __future__ import annotations

import math

from minigrad import backend
from minigrad.core import Variable

__all__ = ["COMPRESSIONS", "average_gradients", "flatten", "unflatten"]

COMPRESSIONS = (None, "fp16")


def flatten(arrays):
    """One 1-D array holding ``arrays`` (same dtype and device) one after the other."""
    xp = backend.namespace(arrays[0])
    return xp.concat([xp.reshape(a, (-1,)) for a in arrays])


def unflatten(flat, shapes):
    """Views of ``flat`` with the given ``shapes``, in order (the inverse of :func:`flatten`)."""
    xp = backend.namespace(flat)
    out, start = [], 0
    for shape in shapes:
        n = math.prod(shape)
        out.append(xp.reshape(flat[start:start + n], shape))
        start += n
    return out


def average_gradients(params, comm=None, bucket_mb=25, compression=None):
    """Replace each parameter's gradient by its mean over the ranks of ``comm``.

    ``g <- (g_0 + ... + g_{size-1}) / size``, for the parameters of ``params``
    that require a gradient, in buckets of at most ``bucket_mb`` megabytes
    (one parameter may exceed it alone), in reverse order. A rank that has no
    gradient for a parameter contributes zeros; a parameter that no rank has a
    gradient for keeps ``grad = None`` (each bucket carries a has-gradient flag
    per parameter). ``compression="fp16"`` sends floating gradients as
    float16, scaled by ``1/size`` first so that the sum cannot overflow where
    the mean would not: half the bytes, about three significant digits.

    Every rank must pass the same parameters (shapes, dtypes, order); this is
    a collective.
    """
    from minigrad.distributed.communicator import init

    comm = init() if comm is None else comm
    check_bucket_options("average_gradients", bucket_mb, compression)
    params = [p for p in params if p.requires_grad]
    for bucket in _buckets(params[::-1], bucket_mb * 2**20):
        _average_bucket(bucket, comm, compression)


def check_bucket_options(op, bucket_mb, compression):
    if isinstance(bucket_mb, bool) or not isinstance(bucket_mb, (int, float)) \
            or not bucket_mb > 0:
        raise ValueError(f"{op}: bucket_mb must be a number > 0, got {bucket_mb!r}")
    if compression not in COMPRESSIONS:
        raise ValueError(f"{op}: compression must be None or 'fp16', got {compression!r}")


def _buckets(params, limit):
    """Consecutive runs of parameters with one dtype and device, each up to ``limit`` bytes."""
    bucket, used, key = [], 0, None
    for p in params:
        if p.data is None:
            raise ValueError(f"average_gradients: parameter {_label(p)} has no data yet (a lazy "
                             f"layer not built); call the model on a batch first")
        size = p.size * _itemsize(p)
        here = (p.dtype, p.device)
        if bucket and (here != key or used + size > limit):
            yield bucket
            bucket, used = [], 0
        bucket.append(p)
        used += size
        key = here
    if bucket:
        yield bucket


def _itemsize(p):
    xp = p.xp
    info = xp.finfo(p.dtype) if backend.is_floating(p.dtype, xp) else xp.iinfo(p.dtype)
    return info.bits // 8


def _average_bucket(bucket, comm, compression):
    first = bucket[0]
    xp, dtype = first.xp, first.dtype
    pieces, flags = [], []
    for p in bucket:
        g = p.grad
        if g is None:
            pieces.append(backend.zeros((p.size,), dtype, first.data))
        elif tuple(g.shape) != tuple(p.shape) or g.dtype != dtype:
            raise ValueError(f"average_gradients: the gradient of parameter {_label(p)} has "
                             f"shape {tuple(g.shape)} and dtype {g.dtype}; the parameter has "
                             f"{tuple(p.shape)} and {dtype}")
        else:
            pieces.append(xp.reshape(g.data, (-1,)))
        flags.append(0.0 if g is None else 1.0)
    pieces.append(backend.as_array(flags, dtype=dtype, device=first.device))
    flat = xp.concat(pieces)
    scale = 1.0 / comm.size
    half = getattr(xp, "float16", None)
    if compression == "fp16" and half is None:
        raise ValueError(f"average_gradients: compression='fp16' needs float16 arrays, which "
                         f"{xp.__name__} lacks; use compression=None on this device")
    if compression == "fp16" and dtype != half:
        flat *= scale
        flat = xp.astype(comm.allreduce(xp.astype(flat, half)), dtype)
    else:
        flat = comm.allreduce(flat)
        flat *= scale
    counts = backend.to_numpy(flat[flat.shape[0] - len(bucket):]).tolist()
    grads = unflatten(flat, [p.shape for p in bucket])
    for p, g, count in zip(bucket, grads, counts):
        p.grad = Variable(g, requires_grad=False) if count > 0 else None


def _label(p):
    return repr(p.name) if p.name else "(unnamed)"
