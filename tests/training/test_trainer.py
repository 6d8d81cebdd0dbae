"""fit / evaluate / predict / train_step on small synthetic problems."""
import functools

import numpy as np
import pytest

import minigrad
from minigrad import F, nn, optim, training
from minigrad.nn.constraints import MaxNorm
from minigrad.nn.regularizers import L2
from minigrad.training import Callback
from tests.training.helpers import (
    Gate,
    Recorder,
    assert_same_weights,
    blobs,
    compiled_mlp,
    hold_during,
    mlp,
    weights,
)


def test_fit_learns_and_returns_history(device):
    x, y = blobs()
    model = compiled_mlp(device, optimizer=functools.partial(optim.Adam, lr=0.02))
    history = training.fit(model, x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.8
    assert history.history["lr"] == [0.02] * 4
    assert model.history is history
    assert isinstance(model.optimizer, optim.Adam)
    assert model.device == minigrad.backend.normalize_device(device)


def test_hooks_order_and_batches():
    x, y = blobs(n=50)
    model = compiled_mlp()
    rec = Recorder()
    training.fit(model, x, y, epochs=2, batch_size=16, callbacks=[rec], verbose=0)
    assert rec.calls == ["train_begin", ("epoch_begin", 0), ("epoch_end", 0),
                         ("epoch_begin", 1), ("epoch_end", 1), "train_end"]
    assert rec.sizes == [16, 16, 16, 2] * 2


def test_labels_out_of_range_or_of_the_wrong_shape(device):
    x, y = blobs(n=20, classes=3)
    with pytest.raises(ValueError, match="label 3 is out of range"):
        training.fit(compiled_mlp(device), x, np.where(y == 2, 3, y), verbose=0)
    with pytest.raises(ValueError, match="shape"):
        training.fit(compiled_mlp(device), x, y[:, None], verbose=0)


def test_evaluate_returns_a_dict_or_keras_list(device):
    x, y = blobs(n=30)
    model = mlp(device)

    def error_rate(y_pred, y_true):
        return 1 - F.accuracy(y_pred, y_true)
    training.compile(model, optimizer="adam", loss="softmax_cross_entropy",
                     metrics=["accuracy", error_rate])
    scores = training.evaluate(model, x, y, batch_size=7)
    assert list(scores) == ["loss", "accuracy", "error_rate"]
    assert scores["accuracy"] + scores["error_rate"] == pytest.approx(1.0)
    full = float(F.softmax_cross_entropy(training.predict(model, x), y).item())
    assert scores["loss"] == pytest.approx(full, rel=1e-5)
    listed = training.evaluate(model, x, y, batch_size=7, return_dict=False)
    assert listed == list(scores.values())


def test_predict_is_batched_in_eval_mode_without_graph(device):
    x, _ = blobs(n=37)
    model = mlp(device, dropout=0.5)
    model.train()
    out = training.predict(model, x, batch_size=10)
    assert isinstance(out, np.ndarray) and out.shape == (37, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, training.predict(model, x, batch_size=5))
    with minigrad.eval_mode(), minigrad.no_grad():
        whole = model(minigrad.Variable(minigrad.to_device(x, device)))
    np.testing.assert_allclose(out, whole.numpy(), rtol=1e-5, atol=1e-6)
    assert all(m.training for m in model.modules())  # its modes are given back


def test_predict_builds_no_graph(device):
    x, _ = blobs(n=8)
    model = mlp(device)
    seen = []
    original = model.forward

    def spy(inp):
        out = original(inp)
        seen.append(out)
        return out
    model.forward = spy
    training.predict(model, x)
    assert seen and all(out.creator is None for out in seen)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_end_to_end(device, dtype):
    x, y = blobs(n=24)
    model = mlp(device, dropout=0.2)
    training.compile(model, optimizer="adam", loss="softmax_cross_entropy")
    training.fit(model, x.astype(dtype), y, batch_size=8, verbose=0)
    xp = minigrad.backend.get_backend(device).xp
    for p in model.parameters():
        assert p.dtype == xp.float32 and p.grad.dtype == xp.float32
    assert training.predict(model, x.astype(dtype)).dtype == np.float32
    hidden = model[0](minigrad.Variable(minigrad.to_device(x, device)))
    assert hidden.dtype == xp.float32


def test_regularization_is_added_to_the_loss():
    x, y = blobs(n=24)
    model = nn.Sequential(nn.Dense(3, in_features=3, kernel_regularizer=L2(0.5)))
    training.compile(model, optimizer="sgd", loss="softmax_cross_entropy")
    data_loss = float(F.softmax_cross_entropy(training.predict(model, x), y).item())
    penalty = 0.5 * float(np.sum(model[0].W.numpy() ** 2))
    assert training.evaluate(model, x, y)["loss"] == pytest.approx(data_loss + penalty, rel=1e-5)
    logs = training.train_step(model, model.optimizer, F.softmax_cross_entropy,
                               minigrad.Variable(x), y)
    assert logs["loss"] == pytest.approx(data_loss + penalty, rel=1e-5)


def test_constraints_are_applied_after_each_step():
    x, y = blobs(n=24)
    model = nn.Sequential(nn.Dense(3, kernel_constraint=MaxNorm(0.1)))
    training.compile(model, optimizer=functools.partial(optim.SGD, lr=1.0),
                     loss="softmax_cross_entropy")
    training.fit(model, x * 10, y, batch_size=8, verbose=0)
    norms = np.sqrt(np.sum(model[0].W.numpy() ** 2, axis=0))
    assert np.all(norms <= 0.1 + 1e-6)


def test_manual_seed_gives_bit_identical_runs(device):
    x, y = blobs(n=48)

    def run(seed):
        minigrad.manual_seed(seed)
        model = compiled_mlp(device, dropout=0.3)
        training.fit(model, x, y, epochs=2, batch_size=8, shuffle=True, verbose=0)
        return model

    a, b, c = run(7), run(7), run(8)
    assert_same_weights(a, b)
    wa, wc = weights(a), weights(c)
    assert any(not np.array_equal(wa[k], wc[k]) for k in wa)


def test_stop_training_mid_epoch_skips_the_epoch_end():
    class StopAtBatch2(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    x, y = blobs(n=64)
    rec = Recorder()
    history = training.fit(compiled_mlp(), x, y, epochs=3, batch_size=8,
                           callbacks=[StopAtBatch2(), rec], verbose=0)
    assert rec.calls == ["train_begin", ("epoch_begin", 0), "train_end"]
    assert history.epoch == []


def test_a_second_fit_continues_with_the_same_optimizer():
    x, y = blobs(n=32)
    model = compiled_mlp()
    training.fit(model, x, y, verbose=0)
    opt = model.optimizer
    steps = [s["step"] for s in opt.state.values()]
    training.fit(model, x, y, verbose=0)
    assert model.optimizer is opt
    assert [s["step"] for s in opt.state.values()] == [2 * k for k in steps]


@pytest.mark.skipif(not hasattr(nn.Module, "fit"), reason="Module.fit is not wired yet")
def test_module_methods():
    x, y = blobs(n=30)
    model = mlp()
    model.compile(optimizer="adam", loss="softmax_cross_entropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert len(history.history["loss"]) == 2
    assert set(model.evaluate(x, y)) == {"loss", "accuracy"}
    assert model.predict(x).shape == (30, 3)


# -- training and evaluation modes --------------------------------------------------------

def _all_training(model):
    return [m.training for m in model.modules()]


def test_fit_trains_in_training_mode_and_returns_in_evaluation_mode(device):
    x, y = blobs(n=32)
    model = compiled_mlp(device, dropout=0.5)
    model.eval()  # fit trains in training mode whatever the mode before
    seen = []

    class Modes(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(all(_all_training(self.model)))

        def on_epoch_end(self, epoch, logs=None):  # after validation and a predict
            self.model.predict(x[:4])
            seen.append(all(_all_training(self.model)))

    training.fit(model, x, y, epochs=2, batch_size=8, validation_split=0.25,
                 callbacks=[Modes()], verbose=0)
    assert len(seen) == 2 * 3 + 2 and all(seen)
    assert not any(_all_training(model))
    xv = minigrad.Variable(minigrad.to_device(x, device))
    first = model(xv).numpy()
    np.testing.assert_array_equal(first, model(xv).numpy())  # no dropout: inference
    np.testing.assert_allclose(first, training.predict(model, x), rtol=1e-6, atol=1e-6)


def test_fit_trains_even_inside_eval_mode():
    class Probe(nn.Module):
        """Identity that records the mode each forward pass runs in."""

        def __init__(self):
            super().__init__()
            self.modes = []

        def forward(self, x):
            self.modes.append(self._is_training())
            return x

    x, y = blobs(n=32)
    probe = Probe()
    model = nn.Sequential(nn.Dense(8, activation="relu"), probe, nn.Dense(3))
    training.compile(model, optimizer="sgd", loss="softmax_cross_entropy")
    with minigrad.eval_mode():
        training.fit(model, x, y, epochs=1, batch_size=8, validation_data=(x, y), verbose=0)
    # the build pass, four training steps, four validation batches
    assert probe.modes == [False] + [True] * 4 + [False] * 4


@pytest.mark.parametrize("end", ["exception", "early_stopping"])
def test_fit_ends_in_evaluation_mode_however_it_ends(end):
    x, y = blobs(n=32)
    model = compiled_mlp(dropout=0.5)

    class Fail(Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("broken callback")

    if end == "exception":
        with pytest.raises(RuntimeError, match="broken callback"):
            training.fit(model, x, y, epochs=3, callbacks=[Fail()], verbose=0)
    else:
        stopper = training.EarlyStopping(monitor="loss", min_delta=100.0)
        training.fit(model, x, y, epochs=5, callbacks=[stopper], verbose=0)
        assert stopper.stopped_epoch == 1
    assert not any(_all_training(model))


@pytest.mark.parametrize("op", ["predict", "evaluate"])
def test_inference_in_another_thread_leaves_training_forwards_alone(op):
    """Thread B is held in the middle of predict / evaluate while thread A runs
    training forward passes of the same model: every one of them drops units."""
    x = np.ones((64, 8), np.float32)
    gate = Gate()
    model = nn.Sequential(gate, nn.Dense(32, in_features=8), nn.Dropout(0.5))
    training.compile(model, optimizer="sgd", loss="mse")
    model.train()
    if op == "predict":
        thread, errors = hold_during(gate, lambda: training.predict(model, x))
    else:
        thread, errors = hold_during(gate, lambda: training.evaluate(model, x, np.ones((64, 32))))
    try:
        dropped = [(model(minigrad.Variable(x)).numpy() == 0).mean() for _ in range(20)]
    finally:
        gate.release.set()
        thread.join()
    assert not errors
    assert min(dropped) > 0.3  # about half the units, in every training forward
