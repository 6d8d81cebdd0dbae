"""The communicator on two ranks: array collectives on every backend, object collectives."""
import numpy as np
import pytest

import minigrad
from minigrad import backend


def test_ranks_and_local_ranks(comm):
    assert comm.size == 2 and comm.local_size == 2
    assert sorted(comm.allgather_obj(comm.rank)) == [0, 1]
    assert sorted(comm.allgather_obj(comm.local_rank)) == [0, 1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64"])
def test_allreduce_sums_on_the_arrays_device(comm, device, dtype):
    if device == "strict" and dtype == "float16":
        pytest.skip("array-api-strict has no float16")
    x = minigrad.to_device(np.arange(6).reshape(2, 3).astype(dtype) * (comm.rank + 1), device)
    total = comm.allreduce(backend.copy(x))
    assert backend.device_of(total) == device
    np.testing.assert_array_equal(backend.to_numpy(total),
                                  np.arange(6).reshape(2, 3).astype(dtype) * 3)


def test_bcast_gives_roots_array(comm, device):
    for root in (0, 1):
        x = minigrad.to_device(np.full(4, comm.rank, np.float32), device)
        got = comm.bcast(x, root=root)
        assert backend.device_of(got) == device
        np.testing.assert_array_equal(backend.to_numpy(got), np.full(4, root, np.float32))


def test_object_collectives(comm):
    assert comm.allreduce_obj(comm.rank + 1) == 3
    assert comm.allgather_obj({"r": comm.rank}) == [{"r": 0}, {"r": 1}]
    gathered = comm.gather_obj(comm.rank * 10, root=1)
    assert gathered == ([0, 10] if comm.rank == 1 else None)
    assert comm.bcast_obj("from 1" if comm.rank == 1 else None, root=1) == "from 1"
    comm.barrier()


def test_a_bad_root_is_an_error_on_every_rank(comm):
    with pytest.raises(ValueError, match=r"root must be a rank in \[0, 2\), got 2"):
        comm.bcast(np.zeros(1), root=2)
