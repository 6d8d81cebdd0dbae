"""fit's side of data-parallel training, driven by a stand-in for the other ranks: what
fit asks of an optimizer's ``replicas``, rank-0-only callbacks, per-rank random states
in checkpoints. (The real thing on two processes: tests/distributed/two_ranks/.)"""
import os
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.training.checkpoint import read_checkpoint, restore_checkpoint
from minigrad.backend import rng_states
from minigrad.training import (
    Callback,
    CallbackList,
    CSVLogger,
    ModelCheckpoint,
    ProgressBar,
    load_checkpoint,
    save_checkpoint,
)
from minigrad.training.replicas import SINGLE, Replicas, replicas_of
from tests.training.helpers import blobs, mlp


class Recorded(Replicas):
    """Rank ``rank`` of 2 whose partner holds exactly what this rank holds, except that
    its losses are ``partner_loss``: means of the two are returned."""

    def __init__(self, rank=1, partner_loss=None):
        self.rank, self.size = rank, 2
        self.partner_loss = partner_loss
        self.calls = []

    def mean(self, values, count):
        self.calls.append("mean")
        values = dict(values)
        if self.partner_loss is not None:
            values["loss"] = (values["loss"] + self.partner_loss) / 2
        return values, 2 * count

    def any(self, flag):
        self.calls.append("any")
        return bool(flag)

    def gather(self, obj):
        self.calls.append("gather")
        return [obj, obj] if self.rank == 0 else None

    def check_equal(self, what, value):
        self.calls.append(("check_equal", what, value))

    def broadcast_model(self, model):
        self.calls.append("broadcast_model")

    def average_buffers(self, model):
        self.calls.append("average_buffers")

    def barrier(self):
        self.calls.append("barrier")


def model_with(replicas):
    minigrad.manual_seed(0)
    model = mlp()
    optimizer = optim.SGD(lr=0.1)
    optimizer.replicas = replicas
    model.compile(optimizer=optimizer, loss="softmax_cross_entropy", metrics=["accuracy"])
    return model


class Sizes(Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.size = logs["size"]


def test_a_plain_optimizer_trains_alone():
    model = model_with(None)
    assert replicas_of(model) is SINGLE
    assert replicas_of(object()) is SINGLE


def test_fit_asks_the_replicas_at_each_point():
    x, y = blobs(n=32)
    replicas = Recorded(rank=0, partner_loss=10.0)
    model = model_with(replicas)
    sizes = Sizes()
    history = model.fit(x[:24], y[:24], batch_size=8, epochs=2, verbose=0,
                        validation_data=(x[24:], y[24:]), callbacks=[sizes])
    epoch = ["mean", "any"] * 3 + ["average_buffers", "mean", "any"]
    assert replicas.calls == [("check_equal", "fit: the number of training batches per epoch", 3),
                              "broadcast_model", *epoch, *epoch]
    assert sizes.size == 16                                  # the global batch
    assert min(history.history["loss"]) > 5                  # the mean with the partner's 10


def test_rank_zero_only_callbacks_are_silent_elsewhere(tmp_path, capsys):
    x, y = blobs(n=16)
    log = tmp_path / "log.csv"
    model_with(Recorded(rank=1)).fit(x, y, batch_size=8, epochs=1, verbose=2,
                                     callbacks=[CSVLogger(log)])
    assert capsys.readouterr().out == "" and not log.exists()
    model_with(Recorded(rank=0)).fit(x, y, batch_size=8, epochs=1, verbose=2,
                                     callbacks=[CSVLogger(log)])
    assert "Epoch 1/1" in capsys.readouterr().out and log.exists()


def test_callback_list_keeps_the_state_of_callbacks_it_does_not_call():
    class Stateful(Callback):
        rank_zero_only = True

        def __init__(self):
            self.begun = False

        def on_train_begin(self, logs=None):
            self.begun = True

        def state_dict(self):
            return {"x": 1}

    cb = Stateful()
    callbacks = CallbackList([cb, ProgressBar(0)], rank=1)
    callbacks.on_train_begin()
    assert not cb.begun and callbacks.state_dict() == {"Stateful": {"x": 1}}
    CallbackList([cb], rank=0).on_train_begin()
    assert cb.begun


@pytest.mark.parametrize("rank", [0, 1])
def test_model_checkpoint_gathers_every_ranks_random_state_and_rank_zero_writes(tmp_path, rank):
    x, y = blobs(n=16)
    replicas = Recorded(rank=rank)
    path = tmp_path / "ck.npz"
    model_with(replicas).fit(x, y, batch_size=8, epochs=1, verbose=0,
                             callbacks=[ModelCheckpoint(path, monitor="loss", verbose=1)])
    assert replicas.calls[-4:] == ["average_buffers", "gather", "barrier", "any"]
    assert path.exists() == (rank == 0)
    if rank == 0:
        saved = read_checkpoint(path)["rng"]
        assert isinstance(saved, list) and len(saved) == 2


def test_each_rank_restores_its_own_random_state(tmp_path):
    path = str(tmp_path / "ck.npz")
    model = mlp()
    model(np.zeros((1, 3), np.float32))
    states = []
    for seed in (1, 2):
        minigrad.manual_seed(seed)
        states.append(rng_states())
    save_checkpoint(path, model, rng=states)
    minigrad.manual_seed(99)
    load_checkpoint(path, model, rank=1)
    assert rng_states() == states[1]
    minigrad.manual_seed(99)
    load_checkpoint(path, model)                       # rank 0 by default
    assert rng_states() == states[0]


@pytest.mark.parametrize("saved_ranks, rank, size", [(2, 0, 3), (1, 1, 2), (2, 2, None)])
def test_random_states_of_another_number_of_processes_are_not_restored(tmp_path, saved_ranks,
                                                                         rank, size):
    path = str(tmp_path / "ck.npz")
    model = mlp()
    model(np.zeros((1, 3), np.float32))
    save_checkpoint(path, model, rng=[rng_states()] * 2 if saved_ranks == 2 else None)
    minigrad.manual_seed(99)
    before = rng_states()
    with pytest.warns(RuntimeWarning, match=f"holds the random state of {saved_ranks} "
                                            f"process\\(es\\), this is rank {rank}"):
        restore_checkpoint(read_checkpoint(path), path, model, rank=rank,
                                    size=size)
    assert rng_states() == before


def test_a_single_process_checkpoint_still_restores_alone(tmp_path):
    path = str(tmp_path / "ck.npz")
    model = mlp()
    model(np.zeros((1, 3), np.float32))
    minigrad.manual_seed(5)
    saved = rng_states()
    save_checkpoint(path, model)
    minigrad.manual_seed(6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restore_checkpoint(read_checkpoint(path), path, model, size=1)
    assert rng_states() == saved
    assert os.path.exists(path)
