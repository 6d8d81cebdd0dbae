from collections import Counter

import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.data import (
    ArrayDataset,
    DataLoader,
    KFold,
    StratifiedKFold,
    random_split,
    train_test_split,
    validation_split,
)


def host(a):
    return backend.to_numpy(a)


@pytest.fixture
def xy(device):
    y = np.arange(10, dtype=np.int64)
    x = (10 * y).astype(np.float32)[:, None]
    return minigrad.to_device(x, device), minigrad.to_device(y, device)


# -- train_test_split ---------------------------------------------------------
@pytest.mark.parametrize("test_size, n_test", [(0.25, 3), (0.5, 5), (4, 4), (1, 1)])
def test_train_test_split_sizes_and_alignment(xy, device, test_size, n_test):
    x_tr, x_te, y_tr, y_te = train_test_split(*xy, test_size=test_size, seed=0)
    assert y_te.shape[0] == n_test and y_tr.shape[0] == 10 - n_test
    assert backend.device_of(x_te) == device
    np.testing.assert_array_equal(host(x_tr)[:, 0], 10 * host(y_tr))
    assert sorted(host(y_tr).tolist() + host(y_te).tolist()) == list(range(10))


def test_train_test_split_without_shuffle_tests_on_the_end(xy):
    y_tr, y_te = train_test_split(xy[1], test_size=3, shuffle=False)
    np.testing.assert_array_equal(host(y_te), [7, 8, 9])
    np.testing.assert_array_equal(host(y_tr), range(7))


def test_train_test_split_is_reproducible():
    y = np.arange(50)
    a = train_test_split(y, seed=4)[1]
    minigrad.manual_seed(9)
    np.testing.assert_array_equal(train_test_split(y, seed=4)[1], a)
    minigrad.manual_seed(1)
    b = train_test_split(y)[1]
    minigrad.manual_seed(1)
    np.testing.assert_array_equal(train_test_split(y)[1], b)


def test_stratify_keeps_class_proportions(device):
    y = minigrad.to_device(np.repeat([0, 1, 2], [60, 30, 10]), device)
    x = minigrad.to_device(np.arange(100, dtype=np.float32), device)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, seed=1, stratify=y)
    assert Counter(host(y_te).tolist()) == {0: 12, 1: 6, 2: 2}
    assert Counter(host(y_tr).tolist()) == {0: 48, 1: 24, 2: 8}
    assert host(y_tr)[:10].tolist() != sorted(host(y_tr)[:10].tolist())  # not grouped by class


def test_stratify_rounds_to_the_exact_test_size():
    y = np.repeat([0, 1, 2], [5, 5, 5])
    _, y_te = train_test_split(y, test_size=4, seed=0, stratify=y)
    counts = Counter(y_te.tolist())
    assert len(y_te) == 4 and sorted(counts.values()) == [1, 1, 2]


@pytest.mark.parametrize("kwargs, message", [
    ({"test_size": 0.0}, "test_size"),
    ({"test_size": 1.0}, "test_size"),
    ({"test_size": 10}, "both need at least one"),
    ({"test_size": 0}, "both need at least one"),
    ({"shuffle": False, "stratify": np.zeros(10)}, "stratify needs shuffle"),
    ({"stratify": np.zeros(9)}, "9 labels for 10 samples"),
    ({"stratify": np.zeros((10, 2))}, "one-dimensional"),
])
def test_train_test_split_bad_input(xy, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_test_split(*xy, **kwargs)


def test_train_test_split_length_mismatch():
    with pytest.raises(ValueError, match="x has 10, y has 8"):
        train_test_split(np.zeros(10), np.zeros(8))


def test_split_arrays_must_share_a_device():
    with pytest.raises(ValueError, match="validation_split: inputs are on different devices"):
        validation_split(np.zeros(10), minigrad.to_device(np.zeros(10), "strict"))


# -- validation_split ----------------------------------------------------------
def test_validation_split_takes_the_end_before_shuffling(xy, device):
    (x_tr, y_tr), (x_val, y_val) = validation_split(*xy, split=0.2)
    np.testing.assert_array_equal(host(y_val), [8, 9])
    np.testing.assert_array_equal(host(y_tr), range(8))
    assert backend.device_of(x_val) == device


def test_validation_split_rounds_training_size_down():
    (y_tr,), (y_val,) = validation_split(np.arange(7), split=0.3)
    assert len(y_tr) == 4 and len(y_val) == 3  # floor(7 * 0.7) = 4, as Keras


@pytest.mark.parametrize("split", [0, 0.0, 1, 1.0, -0.1, 1.5, None, True])
def test_validation_split_outside_zero_one(split):
    with pytest.raises(ValueError, match=r"fraction in \(0, 1\)"):
        validation_split(np.arange(10), split=split)


@pytest.mark.parametrize("n, split", [(1, 0.5), (10, 1e-17)])
def test_validation_split_needs_a_sample_on_each_side(n, split):
    with pytest.raises(ValueError, match="both need at least one"):
        validation_split(np.arange(n), split=split)


# -- random_split --------------------------------------------------------------
@pytest.mark.parametrize("lengths, sizes", [
    ([5, 3, 2], [5, 3, 2]),
    ([0.5, 0.3, 0.2], [5, 3, 2]),
    ([0.33, 0.33, 0.34], [4, 3, 3]),
])
def test_random_split_sizes_cover_the_dataset(xy, lengths, sizes):
    parts = random_split(ArrayDataset(*xy), lengths, seed=0)
    assert [len(p) for p in parts] == sizes
    seen = [int(host(p[i][1])) for p in parts for i in range(len(p))]
    assert sorted(seen) == list(range(10))


def test_random_split_is_reproducible_and_feeds_a_loader(xy, device):
    a, _ = random_split(ArrayDataset(*xy), [6, 4], seed=3)
    b, _ = random_split(ArrayDataset(*xy), [6, 4], seed=3)
    np.testing.assert_array_equal(host(a.indices), host(b.indices))
    (x, y), = DataLoader(a, batch_size=None)
    assert backend.device_of(y) == device and y.shape[0] == 6
    np.testing.assert_array_equal(host(x)[:, 0], 10 * host(y))


@pytest.mark.parametrize("lengths", [[5, 4], [0.5, 0.4], [], [0.5, "a"]])
def test_random_split_bad_lengths(xy, lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(ArrayDataset(*xy), lengths)


# -- KFold / StratifiedKFold -----------------------------------------------------
def check_partition(folds, n):
    vals = []
    for train, val in folds:
        train, val = host(train).tolist(), host(val).tolist()
        assert sorted(train + val) == list(range(n)) and not set(train) & set(val)
        vals.extend(val)
    assert sorted(vals) == list(range(n))  # each sample validates exactly once


def test_kfold_folds_are_contiguous_without_shuffle(xy, device):
    folds = list(KFold(3).split(xy[0]))
    assert [host(v).tolist() for _, v in folds] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert backend.device_of(folds[0][0]) == device
    check_partition(folds, 10)


def test_kfold_shuffled_covers_each_index_once_and_is_reproducible():
    a = list(KFold(4, shuffle=True, seed=2).split(13))
    b = list(KFold(4, shuffle=True, seed=2).split(np.zeros(13)))
    check_partition(a, 13)
    assert [len(v) for _, v in a] == [4, 3, 3, 3]
    assert all(np.array_equal(v1, v2) for (_, v1), (_, v2) in zip(a, b))
    assert host(a[0][1]).tolist() != [0, 1, 2, 3]


def test_kfold_accepts_a_dataset(xy):
    check_partition(KFold(5).split(ArrayDataset(*xy)), 10)
    assert KFold(5).get_n_splits() == 5


def test_stratified_kfold_keeps_class_proportions(device):
    y = minigrad.to_device(np.array([0, 1, 0, 0, 1, 0, 0, 1, 0]), device)
    folds = list(StratifiedKFold(3, shuffle=True, seed=0).split(y, y))
    check_partition(folds, 9)
    for _, val in folds:
        assert Counter(host(y)[host(val)].tolist()) == {0: 2, 1: 1}


@pytest.mark.parametrize("make, message", [
    (lambda: KFold(1), "n_splits must be an int >= 2"),
    (lambda: KFold(2.0), "n_splits must be an int >= 2"),
    (lambda: KFold(11).split(np.zeros(10)), "more than the 10 samples"),
    (lambda: StratifiedKFold(2).split(np.zeros(10)), "needs the labels y"),
    (lambda: StratifiedKFold(2).split(np.zeros(10), np.zeros(9)), "9 labels for 10 samples"),
])
def test_kfold_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()
