"""The world communicator: which process this is, and collectives over all of them.

``init()`` gives the communicator of every process the launcher started
(``mpiexec -n 4 python train.py``, ``srun python train.py``): an
:class:`~minigrad.distributed.mpi.MPICommunicator` when mpi4py is installed,
else a :class:`Communicator` of size 1, whose collectives return their input,
so the same script runs unchanged as one plain process.

The collectives follow ChainerMN's communicator: ``allreduce`` (elementwise
sum) and ``bcast`` on arrays of any backend, ``*_obj`` variants on picklable
Python objects. Every rank must call the same collectives in the same order.
"""
from __future__ import annotations

import os

__all__ = ["Communicator", "create_communicator", "init", "launched_size"]

# Set by the launchers for each process they start: MPICH / Intel MPI / srun --mpi=pmi2,
# Open MPI, MVAPICH2, and Slurm's srun in any case.
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE",
                   "SLURM_STEP_NUM_TASKS")


class Communicator:
    """One process alone (size 1): the base class, and what ``init()`` gives without mpi4py.

    ``rank``: this process among ``size``; ``local_rank`` among the
    ``local_size`` processes on its machine (pick the GPU with it).
    """

    rank = 0
    size = 1
    local_rank = 0
    local_size = 1

    def allreduce(self, array):
        """The elementwise sum of ``array`` over all ranks (``array`` may be overwritten)."""
        return array

    def bcast(self, array, root=0):
        """``root``'s ``array`` on every rank (same shape and dtype everywhere)."""
        self._check_root(root)
        return array

    def allreduce_obj(self, value):
        """The sum of a number (or anything with ``+``) over all ranks."""
        return value

    def allgather_obj(self, obj) -> list:
        """``[obj of rank 0, obj of rank 1, ...]`` on every rank."""
        return [obj]

    def gather_obj(self, obj, root=0):
        """``[obj of rank 0, ...]`` on ``root``, None on the other ranks."""
        self._check_root(root)
        return [obj]

    def bcast_obj(self, obj, root=0):
        """``root``'s ``obj`` on every rank."""
        self._check_root(root)
        return obj

    def barrier(self):
        """Wait until every rank has called ``barrier``."""

    def abort(self, code=1):
        """End every process of the job now (MPI Abort): the way out when one rank fails
        and the others would wait for it for ever."""
        os._exit(code)

    def _check_root(self, root):
        if isinstance(root, bool) or not isinstance(root, int) or not 0 <= root < self.size:
            raise ValueError(f"{type(self).__name__}: root must be a rank in [0, {self.size}), "
                             f"got {root!r}")

    def __repr__(self):
        return (f"{type(self).__name__}(rank {self.rank} of {self.size}, "
                f"local rank {self.local_rank} of {self.local_size})")


def launched_size():
    """``(size, variable)``: how many processes a launcher says it started, from the
    environment it sets (``PMI_SIZE``, ``OMPI_COMM_WORLD_SIZE``, ...); ``(1, None)``
    when no launcher started this process."""
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 1:
            return int(value), name
    return 1, None


def create_communicator(nccl=None) -> Communicator:
    """A new world communicator (``init()`` makes one and keeps it).

    With mpi4py: MPI's ``COMM_WORLD``. CuPy arrays go through NCCL when every
    rank drives a GPU of its own (``nccl=None``, the default), never
    (``nccl=False``: through host buffers over MPI), or always (``nccl=True``:
    an error where NCCL cannot be used). Without mpi4py: size 1, unless a
    launcher started several processes, which is an error (each would
    otherwise train alone, silently). Likewise when MPI sees one process
    where the launcher started several: mpi4py is then built against another
    MPI library than the launcher's.
    """
    if nccl not in (None, True, False):
        raise ValueError(f"create_communicator: nccl must be None (automatic), True or False, "
                         f"got {nccl!r}")
    size, variable = launched_size()
    try:
        from mpi4py import MPI
    except ImportError as e:
        if size > 1:
            raise RuntimeError(
                f"minigrad.distributed: this process is one of {size} started by a launcher "
                f"({variable}={size}), but mpi4py cannot be imported ({e}); install it with "
                f"pip install 'minigrad[distributed]' (mpi4py and MPICH), or run one process"
            ) from e
        return Communicator()
    from minigrad.distributed.mpi import MPICommunicator

    world = MPICommunicator(MPI.COMM_WORLD, nccl=nccl)
    if size > 1 and world.size != size:
        raise RuntimeError(
            f"minigrad.distributed: the launcher started {size} processes ({variable}={size}) "
            f"but MPI sees {world.size}: mpi4py is built against another MPI library "
            f"({MPI.Get_library_version().splitlines()[0].strip()}) than the launcher's; "
            f"use the mpiexec of that library (pip install mpich puts one beside python)"
        )
    return world


_WORLD: list = []


def init(nccl=None) -> Communicator:
    """The world communicator (created on the first call, the same object afterwards).

    ``comm.rank``, ``comm.size``, ``comm.local_rank``; size 1 without MPI. With
    more than one process, an exception that nobody catches on one rank
    aborts the whole job (MPI Abort) instead of leaving the others waiting for
    it in a collective. ``nccl``: see :func:`create_communicator`.
    """
    if not _WORLD:
        world = create_communicator(nccl)
        if world.size > 1:
            _abort_on_uncaught_exception(world)
        _WORLD.append(world)
    elif nccl is not None and getattr(_WORLD[0], "nccl", nccl) != nccl:
        raise ValueError(f"init: the world communicator exists already with "
                         f"nccl={_WORLD[0].nccl!r}; cannot change it to {nccl!r}")
    return _WORLD[0]


def _abort_on_uncaught_exception(world):
    """Chain a ``sys.excepthook`` that prints the traceback, then aborts every rank
    (what ``python -m mpi4py`` and ChainerMN's global except hook do)."""
    import sys
    import time

    previous = sys.excepthook

    def hook(kind, value, traceback):
        try:
            previous(kind, value, traceback)
            sys.stderr.write(f"minigrad.distributed: uncaught {kind.__name__} on rank "
                             f"{world.rank} of {world.size}; aborting the job (MPI Abort) so "
                             f"that the other ranks do not wait for it\n")
            sys.stderr.flush()
            sys.stdout.flush()
            # The launcher relays the ranks' output through pipes and stops relaying when
            # the job is aborted: without a pause it lost the traceback about 1 run in 3
            # here (MPICH's hydra), leaving a failed job that says nothing about why.
            time.sleep(0.5)
        finally:
            world.abort(1)

    sys.excepthook = hook
