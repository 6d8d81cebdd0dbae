"""Data-parallel training over processes and machines: MPI (mpi4py) for CPU arrays,
NCCL for CuPy arrays (docs/distributed.md).

::

    from minigrad import distributed as dist
    comm = dist.init()                      # .rank .size .local_rank; size 1 without MPI
    mg.manual_seed(1234 + comm.rank)        # each rank its own dropout stream
    dist.broadcast_parameters(model, comm=comm)
    opt = dist.DistributedOptimizer(optim.Adam(model.parameters(), lr=1e-3 * comm.size))
    model.compile(optimizer=opt, loss=..., metrics=[...])
    model.fit(dist.shard((x, y), comm=comm), epochs=5)   # rank 0 prints, logs, saves

Launch with ``mpiexec -n 4 python train.py`` (or ``srun``); the same script
runs unchanged as one process. mpi4py is imported only by :func:`init`.
"""
from minigrad.distributed.batchnorm import AllReduce, SyncBatchNorm, all_reduce, sync_batch_norm
from minigrad.distributed.buckets import average_gradients
from minigrad.distributed.communicator import (
    Communicator,
    create_communicator,
    init,
    launched_size,
)
from minigrad.distributed.optimizer import DistributedOptimizer
from minigrad.distributed.shard import Shard, shard
from minigrad.distributed.state import broadcast_parameters, sync_buffers

__all__ = [
    "AllReduce",
    "Communicator",
    "DistributedOptimizer",
    "Shard",
    "SyncBatchNorm",
    "all_reduce",
    "average_gradients",
    "broadcast_parameters",
    "create_communicator",
    "init",
    "launched_size",
    "shard",
    "sync_batch_norm",
    "sync_buffers",
]
