"""Names mean what they mean in PyTorch or Keras: get_loss, and what compile calls."""
import math

import numpy as np
import pytest

from minigrad import F
from minigrad.functions.loss import binary_threshold
from tests.functions.loss.reference import LABELS, LOGITS, log_softmax, on


def test_cross_entropy_takes_logits_as_in_pytorch(device):
    # F.cross_entropy(logits, target) is torch.nn.functional.cross_entropy; the
    # probability form is Keras' categorical_crossentropy(y_true, y_pred)
    per_sample = -log_softmax(LOGITS)[np.arange(4), LABELS]
    assert F.cross_entropy(on(device, LOGITS), LABELS).item() == pytest.approx(per_sample.mean())
    probs = np.exp(log_softmax(LOGITS))
    keras = F.categorical_crossentropy(np.eye(3)[LABELS], on(device, probs))
    np.testing.assert_allclose(keras.numpy(), per_sample, rtol=1e-9)


def test_get_loss_names():
    assert F.get_loss("cross_entropy") is F.cross_entropy
    assert F.get_loss("softmax_cross_entropy") is F.cross_entropy
    assert F.get_loss("cross_entropy_with_logits") is F.cross_entropy
    assert F.get_loss("binary_cross_entropy") is F.binary_cross_entropy
    assert F.get_loss("mse_loss") is F.mse_loss and F.get_loss("l1_loss") is F.l1_loss
    assert F.get_loss("huber_loss") is F.huber_loss
    assert F.get_loss("MSE") is F.get_loss("mean_squared_error") is F.get_loss(F.mse)
    assert F.get_loss("categorical_crossentropy") is F.get_loss(F.categorical_crossentropy)
    assert F.get_loss("binary_crossentropy").__name__ == "binary_crossentropy"
    assert F.get_loss(F.huber_loss) is F.huber_loss
    custom = lambda y_pred, y_true: F.mse_loss(y_pred, y_true)  # noqa: E731
    assert F.get_loss(custom) is custom
    assert F.mse is F.mean_squared_error and F.mae is F.mean_absolute_error
    with pytest.raises(ValueError, match="unknown loss 'hinge'; valid names: .*mse"):
        F.get_loss("hinge")


def test_compile_forms_average_keras_losses_over_the_batch(device):
    probs = F.softmax(on(device, LOGITS))
    per_sample = -log_softmax(LOGITS)[np.arange(4), LABELS]
    for name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        loss = F.get_loss(name)
        for target in (LABELS, np.eye(3)[LABELS]):  # either target form, as before
            assert loss(probs, target).item() == pytest.approx(per_sample.mean(), rel=1e-9)
    y, t = np.array([[0.5, 3.0], [-1.0, 0.2]]), np.array([[0.0, 1.0], [-0.6, 0.2]])
    for keras_name, torch_name in (("mse", "mse_loss"), ("mae", "l1_loss"),
                                   ("huber", "huber_loss")):
        keras, torch = F.get_loss(keras_name), F.get_loss(torch_name)
        assert keras(on(device, y), t).item() == pytest.approx(torch(on(device, y), t).item())
    p = on(device, [[0.2], [0.9]])
    bce = F.get_loss("binary_crossentropy")(p, [[0.0], [1.0]])
    assert bce.item() == pytest.approx(-(np.log(0.8) + np.log(0.9)) / 2)
    with pytest.warns(RuntimeWarning, match="binary_crossentropy: mean of empty slice"):
        empty = F.get_loss("binary_crossentropy")(on(device, np.zeros((0, 1))), np.zeros((0, 1)))
    assert math.isnan(empty.item())


def test_binary_thresholds():
    assert binary_threshold(F.binary_cross_entropy) == 0.5
    assert binary_threshold(F.get_loss("binary_crossentropy")) == 0.5
    assert binary_threshold(F.binary_cross_entropy_with_logits) == 0.0
    assert binary_threshold(F.cross_entropy) is None

    class Unhashable:
        __eq__ = object.__eq__
        __hash__ = None

        def __call__(self, y_pred, y_true):
            return F.mse_loss(y_pred, y_true)
    loss = Unhashable()
    assert binary_threshold(loss) is None and F.get_loss(loss) is loss
