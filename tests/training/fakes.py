"""Stand-ins for a model when a callback is driven by hand."""
import numpy as np


class FakeOptimizer:
    def __init__(self, lr=1.0, groups=1):
        self.param_groups = [{"lr": lr} for _ in range(groups)]

    @property
    def lr(self):
        return self.param_groups[0]["lr"]


class FakeModel:
    """One weight ``w``; ``state_dict``/``load_state_dict`` like a Module's."""

    def __init__(self, lr=1.0):
        self.w = np.zeros(1, np.float32)
        self.stop_training = False
        self.optimizer = FakeOptimizer(lr)

    def state_dict(self):
        return {"w": self.w}

    def load_state_dict(self, state):
        self.w = np.array(state["w"], copy=True)


def drive(callback, values, key="val_loss", model=None, weights=None):
    """Feed ``callback`` one epoch per value of ``key`` (``weights[e]`` set as the
    model's weight first); stops like fit when the model asks. Returns the
    epochs run and the lr after each."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.set_params({"epochs": len(values), "steps": 1, "verbose": 0})
    callback.on_train_begin()
    epochs, lrs = [], []
    for epoch, value in enumerate(values):
        if weights is not None:
            model.w = np.array([weights[epoch]], np.float32)
        callback.on_epoch_begin(epoch)
        logs = {"loss": 1.0, "lr": model.optimizer.lr}
        if value is not None:
            logs[key] = value
        callback.on_epoch_end(epoch, logs)
        epochs.append(epoch)
        lrs.append(model.optimizer.lr)
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs, lrs
