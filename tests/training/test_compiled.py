"""compile: optimizers, losses and metrics given as objects, names or functions."""

import numpy as np
import pytest

from minigrad import nn, optim, training
from tests.training.helpers import (
    blobs,
    mlp,
)


def test_compile_makes_the_optimizer_of_a_built_model_at_once():
    model = nn.Sequential(nn.Dense(4, in_features=3), nn.Dense(2, in_features=4))
    training.compile(model, optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, optim.SGD)
    lazy = mlp()
    training.compile(lazy, optimizer="sgd", loss="softmax_cross_entropy")
    assert lazy.optimizer is None  # made by fit after the first batch builds the layers
    x, y = blobs(n=20)
    training.fit(lazy, x, y, verbose=0)
    assert {id(p) for p in lazy.optimizer.param_groups[0]["params"]} == \
        {id(p) for p in lazy.parameters()}


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_optimizer_names_give_keras_optimizers(name):
    """compile is Keras' API: compile(optimizer="rmsprop") is Keras' RMSprop (lr 0.001,
    rho 0.9, eps 1e-7 inside the root), not PyTorch's (lr 0.01, rho 0.99)."""
    model = nn.Sequential(nn.Dense(4, in_features=3))
    training.compile(model, optimizer=name, loss="mse")
    opt, cls = model.optimizer, optim.OPTIMIZERS[name]
    keras = "keras" if "keras" in cls.variant_defaults else "pytorch"  # SGD: Keras' steps
    assert type(opt) is cls
    assert opt.param_groups[0]["variant"] == keras
    assert opt.defaults == cls(variant=keras).defaults
    if name == "rmsprop":
        group = opt.param_groups[0]
        assert (group["lr"], group["rho"], group["eps"]) == (1e-3, 0.9, 1e-7)


def test_compile_accepts_optimizer_objects_and_factories():
    x, y = blobs(n=20)
    built = nn.Sequential(nn.Dense(8, in_features=3, activation="relu"), nn.Dense(3, in_features=8))
    opt = optim.SGD(built.parameters(), lr=0.1)
    training.compile(built, optimizer=opt, loss="softmax_cross_entropy")
    training.fit(built, x, y, verbose=0)
    assert built.optimizer is opt
    model = mlp()
    training.compile(model, optimizer=lambda params: optim.RMSProp(params, lr=0.005),
                     loss="softmax_cross_entropy")
    training.fit(model, x, y, verbose=0)
    assert isinstance(model.optimizer, optim.RMSProp) and model.optimizer.lr == 0.005


def test_compile_refuses_an_optimizer_made_on_another_model():
    other = mlp()
    opt = optim.Adam(other.parameters())
    model = mlp()
    with pytest.raises(ValueError, match=r"compile: 4 of the 4 parameters of the Adam given are "
                                         r"not parameters of this Sequential.*would not update "
                                         r"this model.*Adam\(model.parameters\(\), \.\.\.\)"
                                         r".*Adam\(lr=\.\.\.\).*'adam'"):
        training.compile(model, optimizer=opt, loss="mse")
    grown = nn.Sequential(other[0], nn.Dense(3))  # a new head on a shared body
    with pytest.raises(ValueError, match="2 of the 4 parameters"):
        grown.compile(optimizer=opt, loss="mse")


def test_an_optimizer_on_part_of_the_model_trains_that_part():
    x, y = blobs(n=16)
    model = mlp()
    model(x[:1])
    head = optim.SGD(model[1].parameters(), lr=0.1)
    training.compile(model, optimizer=head, loss="softmax_cross_entropy")
    W0, head_W0 = model[0].W.numpy().copy(), model[1].W.numpy().copy()
    training.fit(model, x, y, verbose=0)
    np.testing.assert_array_equal(model[0].W.numpy(), W0)
    assert not np.array_equal(model[1].W.numpy(), head_W0)


def test_an_optimizer_made_before_the_lazy_layers_are_built_trains_them_all():
    x, y = blobs(n=16, features=20)
    model = nn.Sequential(nn.Dense(16, in_features=20), nn.Dense(2))  # the case of issue 20
    opt = optim.Adam(model.parameters())
    training.compile(model, optimizer=opt, loss="softmax_cross_entropy")
    training.fit(model, x, y % 2, epochs=1, verbose=0)
    assert model.optimizer is opt
    assert all(opt.state[p]["step"] == 1 for p in model.parameters())


@pytest.mark.parametrize("kwargs, error, match", [
    ({"optimizer": "adamm", "loss": "mse"}, ValueError, "unknown optimizer 'adamm'"),
    ({"optimizer": 3, "loss": "mse"}, TypeError, "optimizer must be"),
    ({"optimizer": "adam"}, ValueError, "give a loss"),
    ({"optimizer": "adam", "loss": "msee"}, ValueError, "unknown loss"),
    ({"optimizer": "adam", "loss": 1.0}, TypeError, "loss must be"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]}, ValueError, "unknown metric"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["mae", "mae"]}, ValueError, "distinct"),
])
def test_compile_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        training.compile(mlp(), **kwargs)


def test_fit_needs_compile():
    x, y = blobs(n=10)
    with pytest.raises(RuntimeError, match="compile the model first"):
        training.fit(mlp(), x, y)


def test_binary_accuracy_follows_the_loss_and_function_metrics():
    x, y = blobs(n=40, classes=2)
    model = nn.Sequential(nn.Dense(8, activation="relu"), nn.Dense(1))

    def pred_mean(y_pred, y_true):
        return y_pred.mean()
    training.compile(model, optimizer="adam", loss="binary_cross_entropy_with_logits",
                     metrics=["accuracy", pred_mean])
    yf = y[:, None].astype(np.float32)
    scores = training.evaluate(model, x, yf)
    logits = training.predict(model, x)
    assert scores["accuracy"] == pytest.approx(np.mean((logits > 0) == (yf > 0.5)))
    assert scores["pred_mean"] == pytest.approx(float(logits.mean()), rel=1e-5)


def test_keras_style_optimizer_without_params_is_bound_by_fit():
    import numpy as np

    from minigrad import nn, optim

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Dense(4, activation="relu"), nn.Dense(2))
    opt = optim.Adam(lr=1e-2)
    model.compile(optimizer=opt, loss="softmax_cross_entropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert model.optimizer is opt and len(opt.param_groups) == 1
    assert all(opt.state[p]["step"] == 8 for p in model.parameters())


def test_keras_loss_names_and_functions_keep_keras_meaning():
    # compile(loss="binary_crossentropy") is Keras' loss on probabilities: its
    # "accuracy" thresholds at 0.5; Keras-order functions are averaged per batch
    from minigrad import F

    x, y = blobs(n=40, classes=2)
    yf = y[:, None].astype(np.float32)
    model = nn.Sequential(nn.Dense(8, activation="relu"), nn.Dense(1, activation="sigmoid"))
    training.compile(model, optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    scores = training.evaluate(model, x, yf)
    p = training.predict(model, x)
    assert scores["accuracy"] == pytest.approx(np.mean((p > 0.5) == (yf > 0.5)))
    expected = float(F.binary_crossentropy(yf, p).numpy().mean())
    assert scores["loss"] == pytest.approx(expected, rel=1e-5)
    training.compile(model, optimizer="adam", loss=F.binary_crossentropy, metrics=[F.mse])
    scores = training.evaluate(model, x, yf)
    assert scores["loss"] == pytest.approx(expected, rel=1e-5)
    assert scores["mean_squared_error"] == pytest.approx(float(np.mean((p - yf) ** 2)), rel=1e-5)
    training.fit(model, x, yf, verbose=0, epochs=1)  # the gradient flows into y_pred
