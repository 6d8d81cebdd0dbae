"""NCCL collectives on CuPy arrays, for :mod:`minigrad.distributed` (``cupy.cuda.nccl``).

One :class:`NcclComm` per process and GPU: ``NcclComm(size, unique_id, rank,
device)`` joins the group that every rank creates with the same
``unique_id`` (made once by :func:`unique_id` on one rank and sent to the
others over MPI). Collectives run in place on the current CUDA stream, so the
CuPy work queued after them on that stream sees their result.
"""
from __future__ import annotations

import cupy
from cupy.cuda import nccl

_DTYPES = {
    "float16": "NCCL_FLOAT16",
    "float32": "NCCL_FLOAT32",
    "float64": "NCCL_FLOAT64",
    "int32": "NCCL_INT32",
    "int64": "NCCL_INT64",
    "uint8": "NCCL_UINT8",
    "int8": "NCCL_INT8",
}


def available() -> str | None:
    """None when NCCL can be used from CuPy here, else the reason it cannot."""
    if not getattr(nccl, "available", False):
        return "this CuPy was built without NCCL (cupy.cuda.nccl.available is False)"
    return None


def unique_id():
    """A new NCCL group id, to send to every rank: bytes in CuPy 14 (a tuple of
    128 small ints in older CuPy), handed to ``NcclCommunicator`` as it came."""
    return nccl.get_unique_id()


class NcclComm:
    """``rank`` of ``size`` processes, each driving one GPU (``device``, ``"cuda:N"``)."""

    def __init__(self, size, uid, rank, device):
        self.device = int(device.split(":")[1])
        with cupy.cuda.Device(self.device):
            uid = bytes(uid) if isinstance(uid, (bytes, bytearray)) else tuple(uid)
            self._comm = nccl.NcclCommunicator(size, uid, rank)

    def _dtype(self, array):
        name = _DTYPES.get(array.dtype.name)
        if name is None:
            raise TypeError(f"NCCL: cannot reduce arrays of dtype {array.dtype}; "
                            f"supported: {', '.join(_DTYPES)}")
        return getattr(nccl, name)

    def all_reduce_(self, array):
        """The elementwise sum over ranks, written into ``array`` (made contiguous first)."""
        with cupy.cuda.Device(self.device):
            array = cupy.ascontiguousarray(array)
            stream = cupy.cuda.get_current_stream().ptr
            self._comm.allReduce(array.data.ptr, array.data.ptr, array.size, self._dtype(array),
                                 nccl.NCCL_SUM, stream)
        return array

    def bcast_(self, array, root):
        """``root``'s ``array`` on every rank, written into ``array`` (made contiguous first)."""
        with cupy.cuda.Device(self.device):
            array = cupy.ascontiguousarray(array)
            stream = cupy.cuda.get_current_stream().ptr
            self._comm.bcast(array.data.ptr, array.size, self._dtype(array), root, stream)
        return array

    def abort(self):
        self._comm.abort()
