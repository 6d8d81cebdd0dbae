"""accuracy and binary_accuracy."""
import math

import numpy as np
import pytest

from minigrad import F
from tests.functions.loss.reference import LABELS, LOGITS, on


def test_accuracy(device):
    x = on(device, LOGITS)  # argmax: 0, 2, 1, 2
    assert F.accuracy(x, on(device, LABELS)) == 1.0
    assert F.accuracy(F.softmax(x), np.eye(3)[[0, 1, 1, 0]]) == 0.5
    assert F.accuracy(x, [1, 1, 1, 1]) == 0.25
    assert isinstance(F.accuracy(x, LABELS), float)
    assert math.isnan(F.accuracy(on(device, np.zeros((0, 3))), np.zeros(0, np.int64)))
    assert F.binary_accuracy(on(device, [0.2, 0.7, 0.9]), [0.0, 0.0, 1.0]) == pytest.approx(2 / 3)
    assert F.binary_accuracy(on(device, [-1.0, 2.0]), [0.0, 1.0], threshold=0.0) == 1.0
    with pytest.raises(ValueError, match=r"accuracy: labels must have shape \(4,\)"):
        F.accuracy(x, [0, 1])
    with pytest.raises(ValueError, match=r"accuracy: one-hot targets"):
        F.accuracy(x, np.eye(2))
