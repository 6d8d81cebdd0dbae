"""DistributedOptimizer and average_gradients in one process (two-rank behaviour: two_ranks/)."""
import numpy as np
import pytest

import minigrad
from minigrad import Variable, nn, optim
from minigrad import functions as F
from minigrad.distributed import Communicator, DistributedOptimizer, average_gradients
from minigrad.optim.schedules import StepLR
from tests.distributed.common import EchoComm, data, host, mlp, train


def batches(n=4):
    x, y = data(n=16 * n)
    return [(x[i:i + 16], y[i:i + 16]) for i in range(0, 16 * n, 16)]


def test_one_process_steps_exactly_as_the_wrapped_optimizer(device):
    plain, wrapped = mlp(seed=0, device=device), mlp(seed=0, device=device)
    train(plain, optim.Adam(plain.parameters(), lr=0.01), batches(), device)
    opt = DistributedOptimizer(optim.Adam(wrapped.parameters(), lr=0.01), comm=Communicator())
    train(wrapped, opt, batches(), device)
    for key, value in host(plain).items():
        np.testing.assert_array_equal(host(wrapped)[key], value, err_msg=key)


def test_it_is_the_wrapped_optimizer_to_schedules_and_checkpoints():
    model = mlp(seed=0)
    inner = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt = DistributedOptimizer(inner, comm=Communicator())
    assert opt.param_groups is inner.param_groups and opt.state is inner.state
    assert opt.defaults is inner.defaults and opt.clipnorm is None
    opt.lr = 0.05
    assert inner.lr == 0.05 and opt.learning_rate == 0.05
    schedule = StepLR(opt, step_size=1, gamma=0.5)
    schedule.step()
    assert inner.param_groups[0]["lr"] == pytest.approx(0.025)
    train(model, opt, batches(1))
    saved = opt.state_dict()
    assert saved["optimizer"] == "SGD"                    # loads into a plain SGD and back
    fresh = optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    fresh.load_state_dict(saved)
    assert fresh.lr == pytest.approx(0.025) and len(fresh.state) == len(inner.state)
    assert "DistributedOptimizer(rank 0 of 1" in repr(opt) and "SGD (" in repr(opt)


def test_compile_binds_a_keras_style_wrapped_optimizer_and_fit_trains(tmp_path):
    x, y = data(n=32)
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Dense(8, activation="relu"), nn.Dense(3))   # lazy
    opt = DistributedOptimizer(optim.Adam(lr=0.01), comm=Communicator())
    model.compile(optimizer=opt, loss="softmax_cross_entropy")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert model.optimizer is opt
    assert [p for g in opt.param_groups for p in g["params"]] == list(model.parameters())
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_arguments():
    params = [minigrad.Parameter(np.zeros(2, np.float32))]
    with pytest.raises(TypeError, match="expected a minigrad Optimizer to wrap, got list"):
        DistributedOptimizer(params)
    once = DistributedOptimizer(optim.SGD(params, lr=0.1), comm=Communicator())
    with pytest.raises(ValueError, match="wrapping it twice would average twice"):
        DistributedOptimizer(once)
    with pytest.raises(ValueError, match="bucket_mb must be a number > 0, got 0"):
        DistributedOptimizer(optim.SGD(params, lr=0.1), bucket_mb=0)
    with pytest.raises(ValueError, match="compression must be None or 'fp16', got 'int8'"):
        DistributedOptimizer(optim.SGD(params, lr=0.1), compression="int8")


def grads_of(model, x, y):
    model.zero_grad()
    F.softmax_cross_entropy(model(Variable(x)), y).backward()
    return {name: p.grad.numpy().copy() for name, p in model.named_parameters()
            if p.grad is not None}


def test_buckets_hold_the_gradients_in_reverse_order_within_the_size_limit():
    model = mlp(seed=0)                       # 0.W (5, 8), 0.b (8,), 1.W (8, 3), 1.b (3,)
    x, y = data(n=8)
    expected = grads_of(model, x, y)
    comm = EchoComm(size=2)
    limit = (8 * 3 + 3) * 4 / 2**20          # 1.b and 1.W fill the first bucket exactly
    average_gradients(model.parameters(), comm, bucket_mb=limit)
    # [1.b, 1.W], [0.b], then 0.W alone although larger than the limit; each bucket ends
    # with one has-gradient flag per parameter
    assert comm.calls == [("allreduce", (3 + 24 + 2,), "float32"),
                          ("allreduce", (8 + 1,), "float32"),
                          ("allreduce", (40 + 1,), "float32")]
    for name, p in model.named_parameters():  # every rank had the same: the mean is it
        np.testing.assert_allclose(p.grad.numpy(), expected[name], rtol=1e-6, err_msg=name)


def test_fp16_compression_sends_half_precision():
    model = mlp(seed=0)
    x, y = data(n=8)
    expected = grads_of(model, x, y)
    comm = EchoComm(size=2)
    average_gradients(model.parameters(), comm, compression="fp16")
    assert comm.calls == [("allreduce", (3 + 24 + 8 + 40 + 4,), "float16")]
    for name, p in model.named_parameters():
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad.numpy(), expected[name], rtol=2e-3, atol=1e-6)


def test_missing_gradients_count_as_zero_and_frozen_parameters_stay_out():
    model = mlp(seed=0)
    first, second = model[0], model[1]
    second.b.requires_grad = False
    x, y = data(n=8)
    grads_of(model, x, y)
    first.b.grad = None                                  # as if this rank skipped it
    comm = EchoComm(size=2)
    average_gradients(model.parameters(), comm)
    assert comm.calls == [("allreduce", (24 + 8 + 40 + 3,), "float32")]
    assert first.b.grad is None   # every (echoed) rank lacked it: still None, not zeros
    assert second.b.grad is None and first.W.grad is not None


def test_a_gradient_of_the_wrong_shape_is_an_error():
    p = minigrad.Parameter(np.zeros((2, 3), np.float32), name="w")
    p.grad = Variable(np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match=r"gradient of parameter 'w' has shape \(3, 2\) .* the "
                                         r"parameter has \(2, 3\)"):
        average_gradients([p], EchoComm())


def test_synchronize_once_per_step():
    model = mlp(seed=0)
    comm = EchoComm(size=2)
    opt = DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1), comm=comm)
    x, y = data(n=8)
    grads_of(model, x, y)
    opt.synchronize()
    opt.step()                       # no second averaging
    assert len(comm.calls) == 1
    grads_of(model, x, y)
    opt.step()
    assert len(comm.calls) == 2
