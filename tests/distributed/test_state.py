"""broadcast_parameters and sync_buffers in one process (two ranks: two_ranks/state.py)."""
import numpy as np
import pytest

from minigrad import nn
from minigrad import distributed as dist
from minigrad.distributed import Communicator
from tests.distributed.common import EchoComm, host, mlp


class OtherModel(EchoComm):
    """Rank 1 reports a layout other than this rank's."""

    def __init__(self, layout):
        super().__init__(size=2)
        self.layout = layout

    def allgather_obj(self, obj):
        return [obj, self.layout]


def test_one_process_keeps_its_weights():
    model = mlp(seed=0, batchnorm=nn.BatchNorm())
    before = host(model)
    dist.broadcast_parameters(model, comm=Communicator())
    dist.sync_buffers(model, comm=Communicator())
    for key, value in host(model).items():
        np.testing.assert_array_equal(value, before[key])


def test_broadcast_travels_in_one_message_per_dtype():
    model = mlp(seed=0, batchnorm=nn.BatchNorm())
    comm = EchoComm(size=2, rank=1)
    dist.broadcast_parameters(model, comm=comm)
    n = sum(v.size for v in host(model).values())
    assert comm.calls == [("bcast", (n,), "float32")]


def test_sync_buffers_averages_floats_and_takes_rank_zeros_counters():
    model = mlp(seed=0, batchnorm=nn.BatchNorm())
    model[1].register_buffer("steps", np.array([7], np.int64))
    before = host(model)
    comm = EchoComm(size=2)
    dist.sync_buffers(model, comm=comm)
    assert sorted(comm.calls) == [("allreduce", (16,), "float32"), ("bcast", (1,), "int64")]
    for key in ("1.running_mean", "1.running_var", "1.steps"):  # every rank held the same
        np.testing.assert_array_equal(host(model)[key], before[key])


@pytest.mark.parametrize("layout, message", [
    ([("0.W", (5, 8), "float32")], "it lacks '0.b'"),
    ([("0.W", (5, 9), "float32"), ("0.b", (8,), "float32"), ("1.W", (8, 3), "float32"),
      ("1.b", (3,), "float32")], r"'0.W' has shape \(5, 9\) and dtype float32, not \(5, 8\)"),
    ([("0.W", None, None)], r"on rank 1, \['0.W'\] have no values yet"),
])
def test_a_model_that_differs_on_another_rank_is_an_error(layout, message):
    with pytest.raises(ValueError, match=message):
        dist.broadcast_parameters(mlp(seed=0), comm=OtherModel(layout))
