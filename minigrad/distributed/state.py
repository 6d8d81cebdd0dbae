"""Making the ranks' models equal: broadcast the state from one rank, average the buffers."""
from __future__ import annotations

from minigrad import backend
from minigrad.distributed.buckets import flatten, unflatten

__all__ = ["broadcast_parameters", "sync_buffers"]


def broadcast_parameters(model, root=0, comm=None):
    """Give every rank the parameters and buffers of rank ``root`` (Horovod's name).

    Call it once after building the model (a lazy model after its first call)
    and before training, so that every rank starts from the same weights; the
    ranks' own initial weights differ when each seeds its own generator, as it
    should for dropout. The arrays travel in one message per dtype. Every rank's
    model must have the same parameters and buffers (names, shapes, dtypes):
    otherwise a ValueError on every rank says which differ.
    """
    comm = _world(comm)
    state = _state(model)
    _check_same_layout("broadcast_parameters", state, comm, root)
    if comm.size == 1:
        return
    received = {}
    for keys in _groups(state):
        flat = comm.bcast(flatten([state[k] for k in keys]), root=root)
        received.update(zip(keys, unflatten(flat, [tuple(state[k].shape) for k in keys])))
    if comm.rank != root:
        model.load_state_dict(received, strict=False)


def sync_buffers(model, comm=None):
    """Average the model's floating buffers over the ranks (BatchNorm's running mean and
    variance); other buffers (counters) become rank 0's.

    With plain BatchNorm each rank's running statistics follow its own batches;
    averaging them before evaluating or saving makes every rank's model the
    same (``fit`` with a DistributedOptimizer does it after each epoch). The
    mean of the ranks' running variances is not the variance of all samples
    together: :class:`~minigrad.distributed.SyncBatchNorm` normalizes with the
    statistics of the whole global batch instead.
    """
    comm = _world(comm)
    buffers = dict(model.named_buffers())
    _check_same_layout("sync_buffers", buffers, comm, 0)
    if comm.size == 1 or not buffers:
        return
    received = {}
    for keys in _groups(buffers):
        first = buffers[keys[0]]
        flat = flatten([buffers[k] for k in keys])
        if backend.is_floating(first.dtype, backend.namespace(first)):
            flat = comm.allreduce(flat)
            flat *= 1.0 / comm.size
        else:
            flat = comm.bcast(flat, root=0)
        received.update(zip(keys, unflatten(flat, [tuple(buffers[k].shape) for k in keys])))
    model.load_state_dict(received, strict=False)


def _world(comm):
    from minigrad.distributed.communicator import init

    return init() if comm is None else comm


def _state(model):
    """``model.state_dict()``, or, while lazy layers are unbuilt (which ``state_dict``
    refuses), the names with None for what has no values yet: every rank must reach
    the layout check, which then raises on all of them together."""
    unbuilt = set(model.uninitialized_parameters())
    if not unbuilt:
        return model.state_dict()
    state = {name: None if name in unbuilt else p.data for name, p in model.named_parameters()}
    state.update(model.named_buffers())
    return state


def _groups(state):
    """Lists of keys whose arrays share a dtype and device, in the state's order."""
    groups = {}
    for key, array in state.items():
        groups.setdefault((str(array.dtype), backend.device_of(array)), []).append(key)
    return list(groups.values())


def _check_same_layout(op, state, comm, root):
    """Raise the same ValueError on every rank unless all ranks hold arrays of the same
    names, shapes and dtypes (checked together, so that no rank raises alone and leaves
    the others waiting)."""
    layout = [(k, None, None) if a is None else (k, tuple(a.shape), str(a.dtype))
              for k, a in state.items()]
    layouts = comm.allgather_obj(layout)
    for rank, other in enumerate(layouts):
        unbuilt = [k for k, shape, _ in other if shape is None]
        if unbuilt:
            raise ValueError(f"{op}: on rank {rank}, {unbuilt} have no values yet (lazy "
                             f"layers); call the model on a batch first")
    reference = layouts[root]
    for rank, other in enumerate(layouts):
        if other != reference:
            raise ValueError(f"{op}: the model of rank {rank} differs from rank {root}'s: "
                             f"{_first_difference(reference, other)} (every rank must build "
                             f"the same model; call a lazy model on a batch before this)")


def _first_difference(reference, other):
    ref, oth = {k: v for k, *v in reference}, {k: v for k, *v in other}
    for key in ref:
        if key not in oth:
            return f"it lacks {key!r}"
        if ref[key] != oth[key]:
            return (f"{key!r} has shape {oth[key][0]} and dtype {oth[key][1]}, not "
                    f"{ref[key][0]} and {ref[key][1]}")
    extra = [k for k in oth if k not in ref]
    return f"it has {extra[0]!r} in addition" if extra else "the order of its entries differs"
