import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.data import one_hot, to_categorical


def test_one_hot_rows(device):
    y = minigrad.to_device(np.array([2, 0, 1, 2]), device)
    out = one_hot(y, 4)
    assert backend.device_of(out) == device and out.dtype == backend.namespace(out).float32
    np.testing.assert_array_equal(backend.to_numpy(out), np.eye(4, dtype=np.float32)[[2, 0, 1, 2]])


def test_num_classes_defaults_to_max_plus_one_and_keeps_leading_shape():
    out = to_categorical([[1, 0], [3, 1]])
    assert out.shape == (2, 2, 4) and out[1, 0, 3] == 1 and out.sum() == 4


def test_dtype_argument():
    assert one_hot(np.array([0, 1]), 2, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("labels, num_classes, error, message", [
    ([0, 3], 3, ValueError, r"\[0, 3\).*from 0 to 3"),
    ([-1, 1], 3, ValueError, "from -1 to 1"),
    ([0, 1], 0, ValueError, "num_classes"),
    ([], 3, ValueError, "empty"),
    ([0.0, 1.0], 2, TypeError, "integers"),
])
def test_bad_labels(labels, num_classes, error, message):
    with pytest.raises(error, match=message):
        one_hot(np.asarray(labels) if labels else np.zeros(0, np.int64), num_classes)
