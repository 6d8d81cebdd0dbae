"""The communicator in one process: init, the size-1 collectives, launcher checks."""
import sys

import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad import distributed as dist
from minigrad.distributed import Communicator, create_communicator, launched_size


@pytest.fixture
def no_launcher(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE",
                 "SLURM_STEP_NUM_TASKS"):
        monkeypatch.delenv(name, raising=False)


def test_init_gives_one_world_of_size_one(no_launcher):
    comm = dist.init()
    assert dist.init() is comm
    assert (comm.rank, comm.size, comm.local_rank, comm.local_size) == (0, 1, 0, 1)


def test_collectives_of_one_process_return_their_input(device, no_launcher):
    for comm in (Communicator(), dist.init()):
        x = minigrad.to_device(np.arange(4, dtype=np.float32), device)
        for out in (comm.allreduce(backend.copy(x)), comm.bcast(backend.copy(x))):
            assert backend.device_of(out) == device
            np.testing.assert_array_equal(backend.to_numpy(out), np.arange(4))
        assert comm.allreduce_obj(3) == 3
        assert comm.allgather_obj("a") == ["a"] and comm.gather_obj("a") == ["a"]
        assert comm.bcast_obj({"k": 1}) == {"k": 1}
        comm.barrier()
        with pytest.raises(ValueError, match=r"root must be a rank in \[0, 1\), got 1"):
            comm.bcast(x, root=1)


def test_launched_size_reads_the_launchers_variables(monkeypatch, no_launcher):
    assert launched_size() == (1, None)
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert launched_size() == (4, "OMPI_COMM_WORLD_SIZE")


def test_without_mpi4py_one_process_is_fine_but_a_launched_one_is_an_error(monkeypatch,
                                                                             no_launcher):
    monkeypatch.setitem(sys.modules, "mpi4py", None)   # import mpi4py now raises ImportError
    comm = create_communicator()
    assert type(comm) is Communicator and comm.size == 1
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(RuntimeError, match=r"one of 2 started by a launcher \(PMI_SIZE=2\), "
                                           r"but mpi4py cannot be imported .*"
                                           r"pip install 'minigrad\[distributed\]'"):
        create_communicator()


def test_an_mpi_that_sees_fewer_processes_than_the_launcher_started_is_an_error(monkeypatch,
                                                                                  no_launcher):
    pytest.importorskip("mpi4py")
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(RuntimeError, match="the launcher started 2 processes .* but MPI sees 1: "
                                           "mpi4py is built against another MPI library"):
        create_communicator()


def test_the_mpi_communicator_of_one_process(device, no_launcher):
    pytest.importorskip("mpi4py")
    from minigrad.distributed.mpi import MPICommunicator

    comm = MPICommunicator(nccl=False)
    assert (comm.rank, comm.size) == (0, 1)
    assert repr(comm) == "MPICommunicator(rank 0 of 1, local rank 0 of 1, nccl=False)"
    x = minigrad.to_device(np.arange(6, dtype=np.float64).reshape(2, 3), device)
    np.testing.assert_array_equal(backend.to_numpy(comm.allreduce(backend.copy(x))),
                                  backend.to_numpy(x))
    assert comm.uses_nccl(device) is False


def test_bad_nccl_setting():
    with pytest.raises(ValueError, match="nccl must be None .automatic., True or False, "
                                         "got 'yes'"):
        create_communicator(nccl="yes")
