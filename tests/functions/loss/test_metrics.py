"""accuracy and binary_accuracy."""
import math

import numpy as np
import pytest

from minigrad import F, Variable
from tests.functions.loss.reference import LABELS, LOGITS, on


def test_accuracy(device):
    x = on(device, LOGITS)  # argmax: 0, 2, 1, 2
    assert F.accuracy(x, on(device, LABELS)) == 1.0
    assert F.accuracy(F.softmax(x), np.eye(3)[[0, 1, 1, 0]]) == 0.5
    assert F.accuracy(x, [1, 1, 1, 1]) == 0.25
    assert isinstance(F.accuracy(x, LABELS), float)
    assert math.isnan(F.accuracy(on(device, np.zeros((0, 3))), np.zeros(0, np.int64)))
    with pytest.raises(ValueError, match=r"accuracy: labels must have shape \(4,\)"):
        F.accuracy(x, [0, 1])
    with pytest.raises(ValueError, match=r"accuracy: one-hot targets"):
        F.accuracy(x, np.eye(2))


def test_binary_accuracy_is_keras_per_sample_in_keras_order(device):
    # keras.metrics.binary_accuracy(y_true, y_pred, threshold): the threshold applies
    # to y_pred only, so the order matters once it is not 0.5
    t = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    logits = on(device, [[-1.0, 2.0, -0.5], [0.3, -2.0, 4.0]])
    acc = F.binary_accuracy(t, logits, threshold=0.0)
    np.testing.assert_allclose(acc.numpy(), [2 / 3, 2 / 3])
    assert acc.creator is None and not acc.requires_grad
    assert F.binary_accuracy(t, F.sigmoid(logits)).mean().item() == pytest.approx(2 / 3)
    column = F.binary_accuracy([1.0, 0.0, 1.0], on(device, [[0.9], [0.2], [0.4]]))
    np.testing.assert_allclose(column.numpy(), [1.0, 1.0, 0.0])  # (N,) with (N, 1): per row
    with pytest.raises(ValueError, match=r"binary_accuracy: .* arguments look swapped"):
        F.binary_accuracy(Variable(np.ones((2, 3)), device=device), t)
    assert F.get_loss(F.binary_accuracy)(on(device, [[0.9], [0.2]]), [[1.0], [1.0]]).item() == 0.5


def test_numpy_scalar_thresholds(device):
    y = on(device, [0.2, 0.7, 0.9], np.float32)
    t = np.array([0.0, 0.0, 1.0])
    assert F.binary_accuracy(t, y, threshold=np.float64(0.5)).item() == pytest.approx(2 / 3)
    assert F.binary_accuracy(t, y, threshold=np.float64(0.8)).item() == 1.0
