"""save_checkpoint / load_checkpoint and fit(resume_from=...): exact continuation."""
import os

import numpy as np
import pytest

import minigrad
from minigrad import F, optim, training
from minigrad.io import UnreadableFileError
from minigrad.training import (
    Callback,
    EarlyStopping,
    LRSchedulerCallback,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from tests.io.damaged import DAMAGES
from tests.training.callbacks.test_loggers import NanAt
from tests.training.helpers import assert_same_weights, blobs, compiled_mlp, mlp, weights


def _callbacks(path):
    return [ModelCheckpoint(path),
            LRSchedulerCallback(optim.StepLR, step_size=2, gamma=0.5),
            ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=10.0),
            EarlyStopping(monitor="val_loss", patience=50, restore_best_weights=True)]


def _run(device, epochs, path, **kwargs):
    x, y = blobs(n=60)
    model = compiled_mlp(device, dropout=0.3)
    history = training.fit(model, x, y, epochs=epochs, batch_size=8, shuffle=True,
                           validation_split=0.2, callbacks=_callbacks(path), verbose=0, **kwargs)
    return model, history


def test_resume_ends_with_identical_weights(device, tmp_path):
    """Dropout, shuffling, an epoch schedule, plateau reduction and early stopping's
    best weights all continue exactly from the checkpoint of epoch 3."""
    full, resumed_from = str(tmp_path / "full.npz"), str(tmp_path / "part.npz")
    minigrad.manual_seed(11)
    reference, ref_history = _run(device, 6, full)
    minigrad.manual_seed(11)
    _run(device, 3, resumed_from)
    minigrad.manual_seed(12345)  # the resumed run must not depend on the seed it starts with
    model, history = _run(device, 6, resumed_from, initial_epoch=3, resume_from=resumed_from)
    assert_same_weights(model, reference)
    assert history.epoch == ref_history.epoch == list(range(6))
    assert history.history == ref_history.history
    assert len(set(history.history["lr"])) > 2  # the schedules did act


def test_resume_takes_the_epoch_from_the_checkpoint(tmp_path):
    path = str(tmp_path / "ck.npz")
    minigrad.manual_seed(0)
    _run("cpu", 2, path)
    _, history = _run("cpu", 4, path, resume_from=path)
    assert history.epoch == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="initial_epoch=1 but the checkpoint .* after 4 epochs"):
        _run("cpu", 4, path, initial_epoch=1, resume_from=path)


def test_resume_from_something_else_is_an_error(tmp_path):
    model = compiled_mlp()
    x, y = blobs(n=20)
    training.fit(model, x, y, verbose=0)
    weights_only = str(tmp_path / "weights.npz")
    model.save(weights_only)
    with pytest.raises(ValueError, match="without the '__tree__' entry of a checkpoint"):
        training.fit(model, x, y, resume_from=weights_only, verbose=0)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(ValueError, match="broken.npz' is not a readable minigrad file"):
        training.fit(model, x, y, resume_from=str(broken), verbose=0)
    with pytest.raises(FileNotFoundError):
        training.fit(model, x, y, resume_from=str(tmp_path / "missing.npz"), verbose=0)


def test_explicit_loop_checkpoint_continues_exactly(device, tmp_path):
    """The PyTorch-style loop with save_checkpoint / load_checkpoint."""
    x, y = blobs(n=40)
    path = str(tmp_path / "loop.npz")

    def setup():
        model = mlp(device, dropout=0.5)
        model(minigrad.Variable(minigrad.to_device(x[:1], device)))  # build the lazy layers
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return model, opt, optim.ExponentialLR(opt, gamma=0.9)

    def epoch(model, opt, sched):
        loader = minigrad.data.DataLoader(minigrad.data.ArrayDataset(x, y), batch_size=8,
                                          shuffle=True, device=device)
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.softmax_cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        sched.step()

    minigrad.manual_seed(3)
    ref = setup()
    for e in range(4):
        epoch(*ref)
    minigrad.manual_seed(3)
    first = setup()
    for e in range(2):
        epoch(*first)
    training.save_checkpoint(path, first[0], first[1], first[2], epoch=2, extra={"note": "hi"})
    minigrad.manual_seed(99)
    again = setup()
    state = training.load_checkpoint(path, *again)
    assert state["epoch"] == 2 and state["extra"] == {"note": "hi"}
    for e in range(state["epoch"], 4):
        epoch(*again)
    assert_same_weights(again[0], ref[0])
    assert again[1].lr == ref[1].lr


def test_load_checkpoint_checks_what_it_is_given(tmp_path):
    model = mlp()
    model(minigrad.Variable(blobs(n=2)[0]))
    path = str(tmp_path / "ck.npz")
    training.save_checkpoint(path, model, epoch=1)
    opt = optim.Adam(model.parameters())
    with pytest.raises(ValueError, match="holds no optimizer state"):
        training.load_checkpoint(path, model, opt)
    fresh = mlp()
    assert training.load_checkpoint(path, fresh)["epoch"] == 1  # lazy layers built from the file
    assert_same_weights(fresh, model)


@pytest.mark.parametrize("damage", DAMAGES)
def test_load_checkpoint_refuses_a_damaged_file_by_name(tmp_path, damage):
    model = mlp()
    model(minigrad.Variable(blobs(n=2)[0]))
    training.save_checkpoint(tmp_path / "good.npz", model, epoch=1)
    path = tmp_path / "ck.npz"
    path.write_bytes(DAMAGES[damage]((tmp_path / "good.npz").read_bytes()))
    with pytest.raises(UnreadableFileError, match="is not a readable minigrad file") as info:
        training.load_checkpoint(path, mlp())
    assert repr(str(path)) in str(info.value)


def test_checkpoint_writes_leave_no_temporary_files(tmp_path):
    model = compiled_mlp()
    x, y = blobs(n=20)
    training.fit(model, x, y, epochs=2, callbacks=[ModelCheckpoint(str(tmp_path / "ck.npz"))],
                 verbose=0)
    assert os.listdir(tmp_path) == ["ck.npz"]
    saved = training.load_checkpoint(str(tmp_path / "ck.npz"), restore_rng=False)
    assert saved["epoch"] == 2
    for key, value in weights(model).items():
        np.testing.assert_array_equal(saved["model"][key], value)


# -- a run that a callback stopped stays stopped ----------------------------------------

class StepCounter(Callback):
    def __init__(self):
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


@pytest.mark.parametrize("restore_best_weights", [False, True])
def test_resuming_a_run_early_stopping_ended_trains_no_further_step(tmp_path,
                                                                    restore_best_weights):
    x, y = blobs(n=40)
    path = str(tmp_path / "ck.npz")

    def run(**kwargs):
        model, counter = compiled_mlp(dropout=0.3), StepCounter()
        stopper = EarlyStopping(monitor="loss", min_delta=100.0,  # stops after epoch 1
                                restore_best_weights=restore_best_weights)
        history = training.fit(model, x, y, epochs=10, batch_size=8, verbose=0,
                               callbacks=[stopper, ModelCheckpoint(path, monitor="loss"),
                                          counter], **kwargs)
        return model, history, stopper, counter

    minigrad.manual_seed(0)
    model, history, stopper, counter = run()
    assert stopper.stopped_epoch == 1 and counter.steps == 10
    assert training.load_checkpoint(path, restore_rng=False)["callbacks"]["EarlyStopping"][
        "stopped"] is True
    resumed, history2, stopper2, counter2 = run(resume_from=path)
    assert counter2.steps == 0
    assert stopper2.stopped_epoch == 1
    assert history2.epoch == history.epoch == [0, 1]
    assert_same_weights(resumed, model)  # with restore_best_weights: the best epoch's, again
    assert not any(m.training for m in resumed.modules())


def test_resuming_after_terminate_on_nan_trains_no_further_step(tmp_path):
    """A checkpoint saved at the end of a run TerminateOnNaN stopped carries the stop."""
    x, y = blobs(n=32)
    path = str(tmp_path / "end.npz")

    class SaveAtEnd(Callback):
        order = 100

        def on_train_end(self, logs=None):
            done = len(self.model.history.epoch)
            training.save_checkpoint(path, self.model, self.model.optimizer, epoch=done,
                                     callbacks=self.params["callbacks"])

    def run(**kwargs):
        model, counter, stopper = mlp(), StepCounter(), TerminateOnNaN()
        training.compile(model, optimizer="sgd", loss=NanAt(6))  # epoch 1, batch 2
        training.fit(model, x, y, epochs=5, batch_size=8, verbose=0,
                     callbacks=[stopper, SaveAtEnd(), counter], **kwargs)
        return stopper, counter

    stopper, counter = run()
    assert (stopper.stopped_epoch, stopper.stopped_batch) == (1, 2) and counter.steps == 7
    stopper2, counter2 = run(resume_from=path)
    assert counter2.steps == 0
    assert (stopper2.stopped_epoch, stopper2.stopped_batch) == (1, 2)


def test_terminate_on_nan_forgets_an_earlier_run():
    stopper = TerminateOnNaN()
    stopper.stopped_epoch, stopper.stopped_batch = 3, 1
    assert stopper.state_dict()["stopped"] is True
    stopper.on_train_begin()
    assert stopper.state_dict() == {}
