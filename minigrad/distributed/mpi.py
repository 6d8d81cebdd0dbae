"""The MPI communicator (mpi4py), with NCCL for CuPy arrays where every rank has a GPU of its own.

Arrays travel as host buffers: numpy arrays directly (in place), arrays of
other backends through a host copy and back to their device. CuPy arrays go
through NCCL instead, on the GPU, when NCCL is usable: the group is set up on
the first collective over arrays of a device (one ``get_unique_id`` on rank 0,
broadcast over MPI), after checking on every rank that CuPy has NCCL and that
no two ranks drive the same GPU (NCCL refuses that; such ranks fall back to
host buffers, so several ranks may share one GPU, slowly).
"""
from __future__ import annotations

import warnings

from minigrad import backend
from minigrad.distributed.communicator import Communicator

__all__ = ["MPICommunicator"]


class MPICommunicator(Communicator):
    """Collectives over the processes of an mpi4py communicator (``MPI.COMM_WORLD`` by default).

    ``nccl``: None (use NCCL for CuPy arrays when every rank has a GPU of its
    own), True (require it), False (host buffers over MPI only).
    ``local_rank``/``local_size`` come from the ranks sharing this machine's memory.
    """

    def __init__(self, mpi_comm=None, nccl=None):
        from mpi4py import MPI

        self._mpi = MPI
        self.mpi_comm = MPI.COMM_WORLD if mpi_comm is None else mpi_comm
        self.rank, self.size = self.mpi_comm.Get_rank(), self.mpi_comm.Get_size()
        node = self.mpi_comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = node.Get_rank(), node.Get_size()
        node.Free()
        self.nccl = nccl
        self._groups = {}  # device -> NcclComm, or None where NCCL is not used

    # -- arrays ---------------------------------------------------------------------------
    def allreduce(self, array):
        group = self._nccl_group(backend.device_of(array))
        if group is not None:
            return group.all_reduce_(array)
        host = _host_buffer(array)
        self.mpi_comm.Allreduce(self._mpi.IN_PLACE, host, op=self._mpi.SUM)
        return _from_host(host, array)

    def bcast(self, array, root=0):
        self._check_root(root)
        group = self._nccl_group(backend.device_of(array))
        if group is not None:
            return group.bcast_(array, root)
        host = _host_buffer(array)
        self.mpi_comm.Bcast(host, root=root)
        return _from_host(host, array)

    # -- Python objects -------------------------------------------------------------------
    def allreduce_obj(self, value):
        return self.mpi_comm.allreduce(value, op=self._mpi.SUM)

    def allgather_obj(self, obj):
        return self.mpi_comm.allgather(obj)

    def gather_obj(self, obj, root=0):
        self._check_root(root)
        return self.mpi_comm.gather(obj, root=root)

    def bcast_obj(self, obj, root=0):
        self._check_root(root)
        return self.mpi_comm.bcast(obj, root=root)

    def barrier(self):
        self.mpi_comm.Barrier()

    def abort(self, code=1):
        self.mpi_comm.Abort(code)

    # -- NCCL for CuPy arrays -------------------------------------------------------------
    def uses_nccl(self, device) -> bool:
        """Whether collectives on arrays of ``device`` go through NCCL (the first call for a
        GPU sets NCCL up, a collective: call it on every rank)."""
        return self._nccl_group(backend.normalize_device(device)) is not None

    def _nccl_group(self, device):
        if self.nccl is False or not device.startswith("cuda"):
            return None
        if device not in self._groups:
            self._groups[device] = self._make_nccl_group(device)
        return self._groups[device]

    def _make_nccl_group(self, device):
        try:
            from minigrad.backend import nccl
            reason = nccl.available()
        except ImportError as e:
            nccl, reason = None, f"cupy.cuda.nccl cannot be imported ({e})"
        here = (reason, self._mpi.Get_processor_name(), device)
        reports = self.mpi_comm.allgather(here)
        problems = [f"rank {r}: {why}" for r, (why, _, _) in enumerate(reports) if why]
        places = [(host, dev) for _, host, dev in reports]
        shared = sorted({f"{dev} on {host}" for host, dev in places
                         if places.count((host, dev)) > 1})
        if shared:
            problems.append(f"several ranks drive the same GPU ({', '.join(shared)}); give each "
                            f"rank its own, e.g. device f'cuda:{{comm.local_rank}}'")
        if problems:
            message = "NCCL is not used: " + "; ".join(problems)
            if self.nccl:
                raise RuntimeError(f"MPICommunicator(nccl=True): {message}")
            if self.rank == 0:
                warnings.warn(f"{message}. CuPy arrays go through host buffers over MPI instead",
                              RuntimeWarning, stacklevel=4)
            return None
        uid = self.mpi_comm.bcast(nccl.unique_id() if self.rank == 0 else None, root=0)
        return nccl.NcclComm(self.size, uid, self.rank, device)

    def __repr__(self):
        return (f"MPICommunicator(rank {self.rank} of {self.size}, local rank {self.local_rank} "
                f"of {self.local_size}, nccl={self.nccl})")


def _host_buffer(array):
    """A contiguous, writable host (numpy) array holding ``array``'s values: ``array``
    itself when it already is one."""
    host = backend.to_numpy(array)
    if not (host.flags.c_contiguous and host.flags.writeable):
        host = host.copy()
    return host


def _from_host(host, array):
    return backend.to_device(host, backend.device_of(array))

