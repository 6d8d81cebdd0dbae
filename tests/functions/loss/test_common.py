"""What the losses share: one read from the device per loss call in the common case
(on a GPU every read waits for all queued kernels), and checks that stay exact."""
import contextlib

import numpy as np
import pytest

from minigrad import F, backend
from tests.functions.loss.reference import LABELS, LOGITS, log_softmax, on

PROBS = np.exp(log_softmax(LOGITS))


@contextlib.contextmanager
def counting_reads(monkeypatch, device):
    """Counts the reads of array data by the host inside the block. On numpy these
    are the calls of the backend's ``to_numpy`` and ``host_values``, the two ways
    to a device's host. On array-api-strict, the stand-in for a
    separate device, every way out of an array is counted: DLPack (which its
    ``to_numpy`` uses), ``__array__``, and ``bool()``, ``float()``, ``int()`` or an
    index of a 0-d array, which on a GPU wait for the device just the same."""
    reads = []
    if device == "cpu":
        kind = type(backend.get_backend("cpu"))
        for name in ("to_numpy", "host_values"):
            read = getattr(kind, name)
            monkeypatch.setattr(kind, name,
                                lambda *a, read=read, **k: reads.append(1) or read(*a, **k))
    else:
        kind = type(backend.as_array([0.0], device=device))
        for name in ("__dlpack__", "__array__", "__bool__", "__float__", "__int__",
                     "__index__", "__complex__"):
            read = getattr(kind, name)
            monkeypatch.setattr(kind, name,
                                lambda *a, read=read, **k: reads.append(1) or read(*a, **k))
    yield reads
    monkeypatch.undo()


COMMON_CASES = {
    "cross_entropy": lambda d: F.cross_entropy(on(d, LOGITS), on(d, LABELS)),
    "cross_entropy_none": lambda d: F.cross_entropy(on(d, LOGITS), on(d, LABELS),
                                                    reduction="none"),
    "cross_entropy_nd": lambda d: F.cross_entropy(on(d, np.zeros((2, 3, 4)) - 1),
                                                  on(d, np.ones((2, 4), np.int64))),
    "cross_entropy_smoothing": lambda d: F.cross_entropy(on(d, LOGITS), on(d, LABELS),
                                                         label_smoothing=0.1),
    "cross_entropy_probability_targets": lambda d: F.cross_entropy(on(d, LOGITS),
                                                                   on(d, PROBS)),
    "nll_loss": lambda d: F.nll_loss(on(d, log_softmax(LOGITS)), on(d, LABELS)),
    "sparse_logits": lambda d: F.sparse_categorical_crossentropy(on(d, LABELS), on(d, LOGITS),
                                                                 from_logits=True),
    "sparse_probabilities": lambda d: F.sparse_categorical_crossentropy(on(d, LABELS),
                                                                        on(d, PROBS)),
    "sparse_compiled": lambda d: F.get_loss("sparse_categorical_crossentropy")(
        on(d, PROBS), on(d, LABELS)),
    "categorical_probabilities": lambda d: F.categorical_crossentropy(on(d, np.eye(3)[LABELS]),
                                                                      on(d, PROBS)),
    "binary_cross_entropy": lambda d: F.binary_cross_entropy(on(d, PROBS), on(d, PROBS)),
    "binary_crossentropy": lambda d: F.binary_crossentropy(on(d, PROBS), on(d, PROBS)),
}


@pytest.mark.parametrize("case", COMMON_CASES)
def test_the_common_case_reads_from_the_device_once(device, monkeypatch, case):
    make = COMMON_CASES[case]
    make(device)  # caches (the class range of one_hot) filled outside the count
    with counting_reads(monkeypatch, device) as reads:
        make(device)
    assert len(reads) == 1


def test_the_counter_sees_every_kind_of_read(device, monkeypatch):
    x = on(device, LOGITS).data
    xp = backend.namespace(x)
    with counting_reads(monkeypatch, device) as reads:
        backend.to_numpy(x)
        if device != "cpu":  # on numpy these are host values, no read
            bool(xp.min(x) < 0), float(xp.max(x)), int(xp.argmax(x))
    assert len(reads) == (1 if device == "cpu" else 4)


def test_host_values_are_python_floats_from_one_transfer(device, monkeypatch):
    labels, x = on(device, LABELS).data, on(device, LOGITS, np.float32).data
    xp = backend.namespace(x)
    with counting_reads(monkeypatch, device) as reads:
        values = backend.host_values(xp.min(labels), xp.max(labels), xp.min(x), xp.all(x < 10))
    assert values == [0.0, 2.0, -3.0, 1.0] and len(reads) == 1
    assert all(type(v) is float for v in values)


BIG = 2**53 + 1  # the first integer float64 rounds


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_labels_beyond_float64s_integers_stay_exact(device, loss):
    x = on(device, LOGITS)
    with pytest.raises(ValueError, match=rf"label {BIG} is out of range \[0, 3\)"):
        loss(x, on(device, [0, 1, BIG, 2]))
    with pytest.raises(ValueError, match=rf"label {-BIG} is out of range"):
        loss(x, on(device, [0, 1, -BIG, 2]))
    kept = LABELS.copy()
    kept[1] = BIG  # ignored, although float64 rounds it to a value that is not ignore_index
    got = loss(x, on(device, kept), ignore_index=BIG)
    keep = np.arange(4) != 1
    want = loss(on(device, LOGITS[keep]), on(device, LABELS[keep]))
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


def test_sparse_keras_errors_and_warnings_after_the_shared_read(device):
    p = on(device, PROBS)
    with pytest.raises(ValueError, match=rf"sparse_categorical_crossentropy: label {BIG} is "
                                         rf"out of range \[0, 3\) for 3 classes$"):
        F.sparse_categorical_crossentropy(on(device, [0, 1, BIG, 2]), p)
    with pytest.warns(UserWarning, match="the predictions leave"):
        F.sparse_categorical_crossentropy(on(device, LABELS), on(device, LOGITS))
    with pytest.warns(UserWarning, match="the predictions leave"):
        F.sparse_categorical_crossentropy(on(device, LABELS), on(device, PROBS * 1.5))
    with pytest.warns(UserWarning, match="y_pred looks like probabilities"):
        F.sparse_categorical_crossentropy(on(device, LABELS), p, from_logits=True)
