"""broadcast_parameters and sync_buffers on two ranks."""
import numpy as np
import pytest

from minigrad import nn
from minigrad import distributed as dist
from tests.distributed.common import host, mlp


def test_broadcast_makes_different_initial_weights_identical(comm, device):
    model = mlp(seed=comm.rank, batchnorm=nn.BatchNorm(), device=device)
    model[1].running_mean[...] = comm.rank + 1.0  # a buffer that differs too
    before = comm.allgather_obj(host(model))
    assert any(not np.array_equal(before[0][k], before[1][k]) for k in before[0])
    dist.broadcast_parameters(model, root=1, comm=comm)
    after = comm.allgather_obj(host(model))
    for key in after[0]:
        np.testing.assert_array_equal(after[0][key], before[1][key], err_msg=key)
        np.testing.assert_array_equal(after[1][key], before[1][key], err_msg=key)
    assert all(p.device == device for p in model.parameters())


def test_broadcast_refuses_models_that_differ(comm):
    model = nn.Sequential(nn.Dense(4 + comm.rank, in_features=3))
    with pytest.raises(ValueError, match=r"the model of rank 1 differs from rank 0's: "
                                         r"'0.W' has shape \(3, 5\)"):
        dist.broadcast_parameters(model, comm=comm)


def test_broadcast_refuses_an_unbuilt_lazy_layer_on_any_rank(comm):
    model = nn.Sequential(nn.Dense(4))
    if comm.rank == 0:
        model(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="on rank 1|differs"):
        dist.broadcast_parameters(model, comm=comm)


def test_sync_buffers_averages_running_statistics(comm, device):
    model = mlp(seed=0, batchnorm=nn.BatchNorm(), device=device)
    bn = model[1]
    bn.running_mean[...] = float(comm.rank)          # 0 and 1: mean 0.5
    bn.running_var[...] = 2.0 + 2 * comm.rank        # 2 and 4: mean 3
    weights = host(model)
    dist.sync_buffers(model, comm=comm)
    np.testing.assert_array_equal(host(model)["1.running_mean"], np.full(8, 0.5, np.float32))
    np.testing.assert_array_equal(host(model)["1.running_var"], np.full(8, 3.0, np.float32))
    for key in ("0.W", "0.b", "2.W"):  # parameters untouched
        np.testing.assert_array_equal(host(model)[key], weights[key])
