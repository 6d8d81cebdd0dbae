"""Small synthetic problems and models for the training tests."""
import threading

import numpy as np

import minigrad
from minigrad import nn, training
from minigrad.training import Callback


def blobs(n=96, features=3, classes=3, seed=0):
    """``n`` float32 points in ``classes`` well-separated clusters and int64 labels."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    centers = rng.normal(scale=3.0, size=(classes, features))
    x = centers[y] + 0.5 * rng.normal(size=(n, features))
    return x.astype(np.float32), y.astype(np.int64)


def mlp(device="cpu", classes=3, dropout=0.0, hidden=16):
    """A tiny MLP with lazy first layer on ``device``."""
    layers = [nn.Dense(hidden, activation="relu")]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Dense(classes))
    return nn.Sequential(*layers).to(device)


def compiled_mlp(device="cpu", optimizer="adam", metrics=("accuracy",), **kwargs):
    model = mlp(device, **kwargs)
    training.compile(model, optimizer=optimizer, loss="softmax_cross_entropy",
                     metrics=list(metrics))
    return model


def weights(model):
    """``{name: host copy}`` of the model's parameters and buffers."""
    return {k: minigrad.backend.to_numpy(v).copy() for k, v in model.state_dict().items()}


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert wa[key].dtype == wb[key].dtype
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)


class Recorder(Callback):
    """Remembers the hooks called and the batch sizes seen."""

    def __init__(self):
        self.calls, self.sizes = [], []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.sizes.append(logs["size"])

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch))

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


class Gate(nn.Module):
    """Identity; in the thread ``held`` names, it signals ``inside`` and waits for
    ``release``, holding that thread in the middle of a forward pass."""

    def __init__(self):
        super().__init__()
        self.held = None
        self.inside, self.release = threading.Event(), threading.Event()

    def forward(self, x):
        if threading.current_thread() is self.held:
            self.inside.set()
            assert self.release.wait(timeout=30)
        return x


def hold_during(gate, work):
    """Run ``work()`` in another thread and return once it is held inside the gate."""
    errors = []

    def run():
        try:
            work()
        except Exception as e:  # noqa: BLE001  (the caller checks the list)
            errors.append(e)

    thread = threading.Thread(target=run)
    gate.held = thread
    thread.start()
    assert gate.inside.wait(timeout=30)
    return thread, errors
