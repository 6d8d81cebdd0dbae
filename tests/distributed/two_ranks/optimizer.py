"""DistributedOptimizer on two ranks: local batches of B/2 take one process's steps with batch B."""
import numpy as np
import pytest

import minigrad
from minigrad import Variable, backend, nn, optim
from minigrad import distributed as dist
from minigrad import functions as F
from tests.distributed.common import data, max_difference, mlp, train

B, STEPS = 16, 10
OPTIMIZERS = {
    "sgd-momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: optim.Adam(params, lr=0.01),
    "adam-global-clipnorm": lambda params: optim.Adam(params, lr=0.01, global_clipnorm=0.5),
}


def global_batches():
    x, y = data(n=B * STEPS)
    return [(x[i:i + B], y[i:i + B]) for i in range(0, B * STEPS, B)]


def local_batches(comm):
    half = B // comm.size
    lo = comm.rank * half
    return [(x[lo:lo + half], y[lo:lo + half]) for x, y in global_batches()]


def reference(kind, device="cpu"):
    model = mlp(seed=0, device=device)
    train(model, OPTIMIZERS[kind](model.parameters()), global_batches(), device)
    return model


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_two_ranks_with_half_batches_equal_one_process_with_the_whole(comm, kind, device):
    model = mlp(seed=0, device=device)
    opt = dist.DistributedOptimizer(OPTIMIZERS[kind](model.parameters()), comm=comm)
    train(model, opt, local_batches(comm), device)
    assert max_difference(model, reference(kind, device)) < 1e-5
    gathered = comm.allgather_obj(max_difference(model, model))
    assert gathered == [0.0, 0.0]


@pytest.mark.parametrize("bucket_mb", [1e-4, 25])
def test_bucket_size_does_not_change_the_result(comm, bucket_mb):
    model = mlp(seed=0)
    opt = dist.DistributedOptimizer(optim.Adam(model.parameters(), lr=0.01), comm=comm,
                                    bucket_mb=bucket_mb)
    train(model, opt, local_batches(comm))
    assert max_difference(model, reference("adam")) < 1e-5


def test_fp16_compression_stays_close(comm):
    model = mlp(seed=0)
    opt = dist.DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                                    comm=comm, compression="fp16")
    train(model, opt, local_batches(comm))
    assert 0 < max_difference(model, reference("sgd-momentum")) < 1e-2


def test_ranks_end_with_identical_weights(comm):
    model = mlp(seed=0)
    opt = dist.DistributedOptimizer(optim.Adam(model.parameters(), lr=0.01), comm=comm)
    train(model, opt, local_batches(comm))
    weights = comm.allgather_obj({k: v.tobytes() for k, v in
                                  ((k, backend.to_numpy(v)) for k, v in
                                   model.state_dict().items())})
    assert weights[0] == weights[1]


class TwoBranches(nn.Module):
    """y = a(x) on rank 0's inputs, b(x) where the batch asks for it; c is never used."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Dense(2), nn.Dense(2), nn.Dense(2)

    def forward(self, x, use_b):
        return self.b(x) if use_b else self.a(x)


def test_a_gradient_missing_on_one_rank_counts_as_zero(comm):
    minigrad.manual_seed(0)
    model = TwoBranches()
    for layer in (model.a, model.b, model.c):
        layer(Variable(np.zeros((1, 3), np.float32)))
    opt = dist.DistributedOptimizer(optim.SGD(model.parameters(), lr=1.0), comm=comm)
    x = Variable(np.full((1, 3), comm.rank + 1.0, np.float32))
    model.zero_grad()
    F.sum(model(x, use_b=comm.rank == 1)).backward()
    opt.synchronize()
    # a: only rank 0 computed x = 1 -> dW = 1 there, 0 on rank 1: mean 0.5
    np.testing.assert_allclose(model.a.W.grad.numpy(), np.full((3, 2), 0.5))
    # b: only rank 1 (x = 2): mean 1.0
    np.testing.assert_allclose(model.b.W.grad.numpy(), np.full((3, 2), 1.0))
    assert model.c.W.grad is None and model.c.b.grad is None  # no rank: stays None
    before = model.c.W.numpy().copy()
    opt.step()  # synchronize() ran: step does not average a second time
    np.testing.assert_allclose(model.a.W.grad.numpy(), np.full((3, 2), 0.5))
    np.testing.assert_array_equal(model.c.W.numpy(), before)
