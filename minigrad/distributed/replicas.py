"""What ``fit`` needs from the other ranks (see training/replicas.py), over a communicator."""
from __future__ import annotations

from minigrad import backend
from minigrad.distributed.state import broadcast_parameters, sync_buffers
from minigrad.training.replicas import Replicas

__all__ = ["CommReplicas"]


class CommReplicas(Replicas):
    """The ranks of ``comm``, each training a copy of the model on its shard of the data."""

    def __init__(self, comm):
        self.comm = comm

    @property
    def rank(self):
        return self.comm.rank

    @property
    def size(self):
        return self.comm.size

    def mean(self, values, count):
        keys = sorted(values)
        sums = _host([float(values[k]) * count for k in keys] + [float(count)])
        sums = backend.to_numpy(self.comm.allreduce(sums)).tolist()
        total = sums[-1]
        return {k: s / total for k, s in zip(keys, sums)}, int(total)

    def any(self, flag):
        return self.comm.allreduce_obj(int(bool(flag))) > 0

    def gather(self, obj):
        return self.comm.gather_obj(obj, root=0)

    def check_equal(self, what, value):
        values = self.comm.allgather_obj(value)
        if any(v != values[0] for v in values):
            found = ", ".join(f"rank {r}: {v}" for r, v in enumerate(values))
            raise ValueError(f"{what} differs between ranks ({found}); every rank must take "
                             f"the same number of steps, or some wait for ever: give each an "
                             f"equal shard (minigrad.distributed.shard pads to equal lengths)")

    def broadcast_model(self, model):
        broadcast_parameters(model, root=0, comm=self.comm)

    def average_buffers(self, model):
        sync_buffers(model, comm=self.comm)

    def barrier(self):
        self.comm.barrier()


def _host(numbers):
    cpu = backend.get_backend("cpu")
    return backend.as_array(numbers, dtype=cpu.xp.float64, device="cpu")
