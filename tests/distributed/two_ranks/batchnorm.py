"""SyncBatchNorm on two ranks equals BatchNorm on the whole batch, forward and backward."""
import numpy as np
import pytest

import minigrad
from minigrad import Variable, backend, nn, optim
from minigrad import distributed as dist
from minigrad import functions as F
from tests.distributed.common import data, max_difference, mlp, train


def whole_and_half(comm, shape, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 + 5).astype(np.float32)
    w = rng.standard_normal(shape).astype(np.float32)   # weights of the loss sum(w * y)
    half = shape[0] // 2
    mine = slice(comm.rank * half, (comm.rank + 1) * half)
    return x, w, mine


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 2, 2)])
def test_forward_and_gradients_equal_batchnorm_on_the_whole_batch(comm, device, shape):
    x, w, mine = whole_and_half(comm, shape)
    minigrad.manual_seed(0)
    bn = nn.BatchNorm(3).to(device)
    bn.gamma.data = minigrad.to_device(np.array([1.5, -0.5, 2.0], np.float32), device)
    sync = dist.SyncBatchNorm(3, comm=comm).to(device)
    sync.load_state_dict(bn.state_dict())

    xa = Variable(minigrad.to_device(x, device))
    ya = bn(xa)
    F.sum(ya * Variable(minigrad.to_device(w, device))).backward()
    xs = Variable(minigrad.to_device(x[mine], device))
    ys = sync(xs)
    F.sum(ys * Variable(minigrad.to_device(w[mine], device))).backward()

    def close(got, want, what):
        np.testing.assert_allclose(backend.to_numpy(got), backend.to_numpy(want), rtol=1e-5,
                                   atol=1e-5, err_msg=what)

    close(ys.data, backend.to_numpy(ya.data)[mine], "output")
    close(xs.grad.data, backend.to_numpy(xa.grad.data)[mine], "input gradient")
    # gamma and beta: each rank its own part; their sum is the whole batch's gradient
    close(comm.allreduce(backend.copy(sync.gamma.grad.data)), bn.gamma.grad.data, "dgamma")
    close(comm.allreduce(backend.copy(sync.beta.grad.data)), bn.beta.grad.data, "dbeta")
    close(sync.running_mean, bn.running_mean, "running mean")
    close(sync.running_var, bn.running_var, "running variance")
    sync.eval()
    bn.eval()
    close(sync(xs).data, backend.to_numpy(bn(xa).data)[mine], "evaluation output")


def test_training_with_sync_batchnorm_equals_one_process_with_batchnorm(comm):
    x, y = data(n=160)
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 160, 16)]
    reference = mlp(seed=0, batchnorm=nn.BatchNorm())
    train(reference, optim.SGD(reference.parameters(), lr=0.1, momentum=0.9), batches)
    model = mlp(seed=0, batchnorm=dist.SyncBatchNorm(comm=comm))
    opt = dist.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1, momentum=0.9), comm=comm)
    lo = comm.rank * 8
    train(model, opt, [(xb[lo:lo + 8], yb[lo:lo + 8]) for xb, yb in batches])
    assert max_difference(model, reference) < 1e-5   # running statistics included


def test_the_ranks_batches_may_differ_in_size(comm):
    rows = 3 if comm.rank == 0 else 5
    x = np.arange(8 * 2, dtype=np.float32).reshape(8, 2) ** 1.5
    mine = slice(0, 3) if comm.rank == 0 else slice(3, 8)
    y = dist.sync_batch_norm(Variable(x[mine]), None, None, training=True, comm=comm)
    whole = F.batch_norm(Variable(x), None, None, training=True)
    assert y.shape == (rows, 2)
    np.testing.assert_allclose(y.data, whole.data[mine], rtol=1e-5, atol=1e-5)
