"""Loss modules: PyTorch's names and arguments over the functional losses."""
import numpy as np
import pytest

import minigrad
from minigrad import F, Variable, nn, training

LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0], [0.0, 0.0, 5.0]])
LABELS = np.array([0, 2, 1, 2])
WEIGHT = np.array([0.5, 2.0, 1.25])


def _v(device, a):
    return Variable(np.asarray(a), device=device)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_each_module_is_its_function(device, reduction):
    x, t = _v(device, LOGITS), _v(device, LABELS)
    p, b = _v(device, 1 / (1 + np.exp(-LOGITS))), _v(device, (LOGITS > 0).astype(float))
    logp = F.log_softmax(x, axis=1)
    w = minigrad.to_device(WEIGHT, device)
    pairs = [
        (nn.CrossEntropyLoss(w, ignore_index=1, reduction=reduction, label_smoothing=0.1)(x, t),
         F.cross_entropy(x, t, w, ignore_index=1, reduction=reduction, label_smoothing=0.1)),
        (nn.NLLLoss(w, ignore_index=0, reduction=reduction)(logp, t),
         F.nll_loss(logp, t, w, ignore_index=0, reduction=reduction)),
        (nn.MSELoss(reduction=reduction)(x, b), F.mse_loss(x, b, reduction=reduction)),
        (nn.L1Loss(reduction=reduction)(x, b), F.l1_loss(x, b, reduction=reduction)),
        (nn.BCELoss(w, reduction=reduction)(p, b),
         F.binary_cross_entropy(p, b, w, reduction=reduction)),
        (nn.BCEWithLogitsLoss(w, reduction=reduction, pos_weight=w)(x, b),
         F.binary_cross_entropy_with_logits(x, b, w, reduction=reduction, pos_weight=w)),
        (nn.HuberLoss(reduction, 0.5)(x, b), F.huber_loss(x, b, reduction, delta=0.5)),
    ]
    for got, want in pairs:
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_the_loss_has_a_gradient():
    x = Variable(LOGITS)
    nn.CrossEntropyLoss()(x, LABELS).backward()
    softmax = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (softmax - np.eye(3)[LABELS]) / 4)


def test_weights_are_buffers_saved_and_moved(device):
    loss = nn.CrossEntropyLoss(weight=[0.5, 2.0, 1.25])
    assert list(loss.state_dict()) == ["weight"]
    loss.to(device)
    assert minigrad.backend.device_of(loss.weight) == device
    assert nn.BCEWithLogitsLoss(pos_weight=[3.0]).state_dict().keys() == {"pos_weight"}
    assert nn.MSELoss().state_dict() == {}
    value = loss(_v(device, LOGITS), _v(device, LABELS))
    assert value.device == device


def test_pytorchs_deprecated_and_positional_arguments_are_refused():
    with pytest.raises(TypeError):
        nn.MSELoss(None, None, "sum")  # size_average, reduce: use reduction=
    with pytest.raises(TypeError):
        nn.CrossEntropyLoss(size_average=False)
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="HuberLoss: delta must be positive"):
        nn.HuberLoss(delta=0)


def test_repr_shows_what_differs_from_the_defaults():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss(delta=2.0)"


def test_compile_takes_a_loss_module_and_thresholds_binary_accuracy_right():
    x = np.linspace(-3, 3, 64).astype(np.float32).reshape(-1, 1)
    y = (x > 0).astype(np.float32)
    y[::2] = 1 - y[::2]  # half the labels disagree with the sign of the logit
    model = nn.Sequential(nn.Dense(1, in_features=1, kernel_initializer="ones"))
    for loss, inputs in ((nn.BCEWithLogitsLoss(), x), (nn.BCELoss(), (x + 3) / 6)):
        training.compile(model, optimizer="sgd", loss=loss, metrics=["accuracy"])
        # the argmax of one column says class 0 for every row, which "matches" too
        assert training.evaluate(model, inputs, y, verbose=0)["accuracy"] == 0.5
    labels = (x[:, 0] > 0).astype(np.int64)
    clf = nn.Sequential(nn.Dense(2, in_features=1))
    training.compile(clf, optimizer="sgd", loss=nn.CrossEntropyLoss(), metrics=["accuracy"])
    assert training.fit(clf, x, labels, epochs=2, verbose=0).history["loss"]
