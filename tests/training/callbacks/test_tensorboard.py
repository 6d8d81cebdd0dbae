"""TensorBoard and SummaryWriter: the event files, read back with TensorBoard's own reader,
hold what History holds, in Keras' layout."""
import sys
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn, training
from minigrad.training import Callback, SummaryWriter, TensorBoard
from tests.training.helpers import blobs, compiled_mlp

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(run_dir):
    """The events of ``run_dir`` (every event kept) as TensorBoard loads them."""
    acc = event_accumulator.EventAccumulator(str(run_dir), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def as_stored(values):
    """Event files keep scalars as float32."""
    return [float(np.float32(v)) for v in values]


class BatchLogs(Callback):
    def __init__(self):
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))


def test_epoch_scalars_equal_history_in_keras_layout(tmp_path):
    x, y = blobs(n=40)
    model = compiled_mlp()
    history = training.fit(model, x, y, epochs=3, batch_size=8, validation_split=0.25,
                           verbose=0, callbacks=[TensorBoard(tmp_path)])
    logs = history.history
    train, validation = read(tmp_path / "train"), read(tmp_path / "validation")
    assert sorted(train.Tags()["scalars"]) == ["epoch_accuracy", "epoch_learning_rate",
                                               "epoch_loss"]
    assert sorted(validation.Tags()["scalars"]) == ["epoch_accuracy", "epoch_loss"]
    for tag, key in (("epoch_loss", "loss"), ("epoch_accuracy", "accuracy"),
                     ("epoch_learning_rate", "lr")):
        assert scalars(train, tag) == list(zip([0, 1, 2], as_stored(logs[key]))), tag
    for tag, key in (("epoch_loss", "val_loss"), ("epoch_accuracy", "val_accuracy")):
        assert scalars(validation, tag) == list(zip([0, 1, 2], as_stored(logs[key]))), tag


def test_no_validation_data_makes_no_validation_run(tmp_path):
    x, y = blobs(n=16)
    training.fit(compiled_mlp(), x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    assert [p.name for p in tmp_path.iterdir()] == ["train"]


@pytest.mark.parametrize("update_freq, steps", [(2, [2, 4, 6, 8]), ("batch", [1, 2, 3, 4, 5,
                                                                              6, 7, 8])])
def test_batch_scalars_every_update_freq_steps(tmp_path, update_freq, steps):
    x, y = blobs(n=32)
    recorder = BatchLogs()
    training.fit(compiled_mlp(), x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
                 callbacks=[recorder, TensorBoard(tmp_path, update_freq=update_freq)])
    train = read(tmp_path / "train")
    assert "batch_size" not in train.Tags()["scalars"]
    for name in ("loss", "accuracy"):
        expected = [(s, v) for s, v in zip(range(1, 9), as_stored(r[name] for r in
                                                                 recorder.logs)) if s in steps]
        assert scalars(train, "batch_" + name) == expected


def test_epoch_scalars_only_by_default(tmp_path):
    x, y = blobs(n=16)
    training.fit(compiled_mlp(), x, y, epochs=1, batch_size=4, verbose=0,
                 callbacks=[TensorBoard(tmp_path)])
    assert not [t for t in read(tmp_path / "train").Tags()["scalars"] if t.startswith("batch_")]


def test_a_resumed_run_continues_the_batch_steps(tmp_path):
    x, y = blobs(n=32)
    model = compiled_mlp()
    training.fit(model, x, y, epochs=3, initial_epoch=1, batch_size=8, verbose=0,
                 callbacks=[TensorBoard(tmp_path, update_freq=4)])
    train = read(tmp_path / "train")
    assert [s for s, _ in scalars(train, "batch_loss")] == [8, 12]
    assert [s for s, _ in scalars(train, "epoch_loss")] == [1, 2]


class Snapshots(Callback):
    """Host copies of every parameter at the end of each epoch."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch] = {name: p.numpy().copy()
                               for name, p in self.model.named_parameters()}


def test_weight_and_gradient_histograms_every_histogram_freq_epochs(tmp_path, device):
    x, y = blobs(n=24)
    model = compiled_mlp(device)
    snapshots = Snapshots()
    training.fit(model, x, y, epochs=3, batch_size=8, verbose=0,
                 callbacks=[snapshots, TensorBoard(tmp_path, histogram_freq=2)])
    train = read(tmp_path / "train")
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "1.W", "1.b"]
    expected = {f"{n.replace('.', '/')}/{kind}" for n in names for kind in ("histogram",
                                                                            "gradient")}
    assert set(train.Tags()["histograms"]) == expected
    for name in names:
        events = train.Histograms(name.replace(".", "/") + "/histogram")
        assert [e.step for e in events] == [0, 2]
        for event in events:
            w = snapshots.weights[event.step][name]
            h = event.histogram_value
            assert (h.num, h.min, h.max) == (w.size, float(w.min()), float(w.max()))
            assert h.sum == pytest.approx(float(w.astype(np.float64).sum()), abs=1e-5)
    # the gradient of the last epoch's last batch is still on the parameters after fit
    for name, p in model.named_parameters():
        h = train.Histograms(name.replace(".", "/") + "/gradient")[-1].histogram_value
        g = p.grad.numpy()
        assert (h.num, h.min, h.max) == (g.size, float(g.min()), float(g.max()))


def test_write_graph_draws_the_layers_of_a_sequential_model(tmp_path):
    x, y = blobs(n=16)
    training.fit(compiled_mlp(dropout=0.5), x, y, epochs=1, verbose=0,
                 callbacks=[TensorBoard(tmp_path, write_graph=True)])
    graph = read(tmp_path / "train").Graph()
    assert [(n.name, n.op, list(n.input)) for n in graph.node] == [
        ("input", "Input", []), ("0", "Dense", ["input"]), ("1", "Dropout", ["0"]),
        ("2", "Dense", ["1"])]
    assert graph.node[1].attr["layer"].s.decode().startswith("Dense(3 -> 16")


class Doubler(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3)

    def forward(self, x):
        return self.dense(x) * 2


def test_write_graph_skips_other_models_with_a_warning(tmp_path):
    x, y = blobs(n=16)
    model = training.compile(Doubler(), optimizer="sgd", loss="softmax_cross_entropy")
    with pytest.warns(UserWarning, match="only Sequential models are drawn; Doubler"):
        training.fit(model, x, y, epochs=1, verbose=0,
                     callbacks=[TensorBoard(tmp_path, write_graph=True)])
    assert not read(tmp_path / "train").Tags()["graph"]


@pytest.mark.parametrize("kwargs, message", [
    ({"histogram_freq": -1}, "histogram_freq must be an integer >= 0, got -1"),
    ({"histogram_freq": 1.5}, "histogram_freq must be an integer >= 0, got 1.5"),
    ({"update_freq": 0}, "update_freq must be 'epoch', 'batch' or an integer >= 1, got 0"),
    ({"update_freq": "step"}, "got 'step'"),
])
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard(tmp_path, **kwargs)


def test_summary_writer_for_an_explicit_loop(tmp_path, device):
    values = minigrad.Variable(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 0.25, 0)
        writer.add_scalar("loss", minigrad.Variable(np.float32(0.125), device=device), 1)
        writer.add_scalar("loss", values.sum(), 2)
        writer.add_histogram("weights", values, 5)
    acc = read(tmp_path)
    assert scalars(acc, "loss") == [(0, 0.25), (1, 0.125), (2, 66.0)]
    (event,) = acc.Histograms("weights")
    h = event.histogram_value
    assert (event.step, h.num, h.min, h.max, h.sum) == (5, 12, 0.0, 11.0, 66.0)


def test_missing_tensorboardx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    for make in (lambda: TensorBoard(tmp_path), lambda: SummaryWriter(tmp_path)):
        with pytest.raises(ImportError, match=r'pip install "minigrad\[tensorboard\]"'):
            make()


def test_no_warning_on_a_plain_run(tmp_path):
    x, y = blobs(n=16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training.fit(compiled_mlp(), x, y, epochs=1, verbose=0,
                     callbacks=[TensorBoard(tmp_path, histogram_freq=1, update_freq=1)])
