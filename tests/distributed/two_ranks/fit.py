"""fit with a DistributedOptimizer on two ranks: the same steps as one process, the same
decisions on every rank, output and files from rank 0, exact resumption."""
import os

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim
from minigrad import distributed as dist
from minigrad.training import (
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from minigrad.training.checkpoint import read_checkpoint
from tests.distributed.common import data, host, max_difference


def lazy_mlp(dropout=0.0):
    layers = [nn.Dense(8, activation="relu")]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Dense(3))


def distributed_model(comm, seed, dropout=0.0, lr=0.01):
    """A lazy model whose initial weights differ between ranks (``seed + rank``)."""
    minigrad.manual_seed(seed + comm.rank)
    model = lazy_mlp(dropout)
    opt = dist.DistributedOptimizer(optim.Adam(lr=lr), comm=comm)
    model.compile(optimizer=opt, loss="softmax_cross_entropy", metrics=["accuracy"])
    return model


def same_on_every_rank(comm, value):
    values = comm.allgather_obj(value)
    return all(v == values[0] for v in values)


def test_fit_on_two_shards_equals_one_process_with_the_global_batch(comm):
    x, y = data(n=64)
    minigrad.manual_seed(7)
    reference = lazy_mlp()
    reference.compile(optimizer=optim.Adam(lr=0.01), loss="softmax_cross_entropy",
                      metrics=["accuracy"])
    expected = reference.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    model = distributed_model(comm, seed=7 - comm.rank)   # rank 0 has the reference's seed
    history = model.fit(dist.shard((x, y), comm=comm, shuffle=False), batch_size=8, epochs=3,
                        shuffle=False, verbose=0)
    assert max_difference(model, reference) < 1e-5
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(history.history[key], expected.history[key], rtol=1e-5)
    assert same_on_every_rank(comm, host(model)["0.W"].tobytes())


def test_callbacks_decide_alike_on_every_rank(comm):
    x, y = data(n=96, seed=comm.rank)          # each rank its own data and validation data
    model = distributed_model(comm, seed=0, lr=0.05)
    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=0.02)
    plateau = ReduceLROnPlateau(monitor="val_loss", patience=1, factor=0.5, min_delta=0.05)
    history = model.fit(x[:64], y[:64], batch_size=16, epochs=30, verbose=0,
                        validation_data=(x[64:], y[64:]), callbacks=[stop, plateau])
    assert len(history.history["loss"]) < 30                  # it did stop early
    assert same_on_every_rank(comm, history.history)           # same logs, lrs, epochs
    assert same_on_every_rank(comm, host(model)["1.W"].tobytes())


def test_a_nan_on_one_rank_stops_both_at_the_same_batch(comm):
    x, y = data(n=64)
    if comm.rank == 1:
        x[40] = np.nan                                          # batch 2 of rank 1
    model = distributed_model(comm, seed=0)
    nan = TerminateOnNaN()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False, callbacks=[nan])
    assert comm.allgather_obj((nan.stopped_epoch, nan.stopped_batch)) == [(0, 2), (0, 2)]


def test_uneven_batch_counts_are_an_error_on_every_rank(comm):
    x, y = data(n=32 + 16 * comm.rank)
    model = distributed_model(comm, seed=0)
    with pytest.raises(ValueError, match=r"number of training batches per epoch differs "
                                         r"between ranks \(rank 0: 2, rank 1: 3\)"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)


def test_progress_and_csv_log_come_from_rank_zero_only(comm, shared_dir, capsys):
    x, y = data(n=32)
    model = distributed_model(comm, seed=0)
    log = os.path.join(shared_dir, f"log-rank{comm.rank}.csv")
    model.fit(dist.shard((x, y), comm=comm), batch_size=8, epochs=2, verbose=2,
              callbacks=[CSVLogger(log)])
    printed = capsys.readouterr().out
    comm.barrier()
    if comm.rank == 0:
        assert "Epoch 2/2" in printed and os.path.exists(log)
    else:
        assert printed == "" and not os.path.exists(log)


def fit_with_checkpoints(comm, path, epochs, resume_from=None):
    x, y = data(n=64)
    model = distributed_model(comm, seed=0, dropout=0.3)
    model.fit(dist.shard((x, y), comm=comm, seed=1), batch_size=8, epochs=epochs, verbose=0,
              callbacks=[ModelCheckpoint(path, monitor="loss")], resume_from=resume_from)
    return model


def test_resuming_restores_every_rank_exactly(comm, shared_dir):
    path = os.path.join(shared_dir, "ckpt-{epoch}.npz")
    straight = fit_with_checkpoints(comm, path, epochs=4)
    resumed = fit_with_checkpoints(comm, path.replace("ckpt-", "again-"), epochs=4,
                                   resume_from=path.format(epoch=2))
    assert max_difference(resumed, straight) == 0.0
    assert same_on_every_rank(comm, host(resumed)["2.W"].tobytes())
    states = read_checkpoint(path.format(epoch=2))["rng"]
    assert isinstance(states, list) and len(states) == 2 and states[0] != states[1]


@pytest.mark.parametrize("weights_only", [False, True])
def test_only_rank_zero_writes_checkpoints(comm, shared_dir, monkeypatch, weights_only):
    from minigrad.training.callbacks import checkpoint as module

    calls = []
    monkeypatch.setattr(module, "save_checkpoint",
                        lambda path, *args, **kwargs: calls.append(("checkpoint", path)))
    x, y = data(n=32)
    model = distributed_model(comm, seed=0)
    model.save = lambda path: calls.append(("weights", path))
    path = os.path.join(shared_dir, "ckpt.npz")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0,
              callbacks=[ModelCheckpoint(path, monitor="loss", save_weights_only=weights_only)])
    kind = "weights" if weights_only else "checkpoint"
    assert calls == ([(kind, path)] * 2 if comm.rank == 0 else [])
