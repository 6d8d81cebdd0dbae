import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.data import ArrayDataset, DataLoader


def dataset(n=10, device="cpu", **kwargs):
    """x rows are 10 * y, so a shuffled batch can be checked for x/y alignment."""
    y = np.arange(n, dtype=np.int64)
    x = (10 * y).astype(np.float32)[:, None]
    return ArrayDataset(x, y, device=device, **kwargs)


def labels(loader):
    batches = [backend.to_numpy(y) for _, y in loader]
    return batches, np.concatenate(batches) if batches else np.array([])


@pytest.mark.parametrize("batch_size, drop_last, sizes", [
    (3, False, [3, 3, 3, 1]),
    (3, True, [3, 3, 3]),
    (5, True, [5, 5]),
    (1, False, [1] * 10),
    (None, False, [10]),
    (None, True, [10]),
    (32, False, [10]),
    (32, True, []),
])
def test_batch_sizes_and_counts(batch_size, drop_last, sizes):
    loader = DataLoader(dataset(), batch_size=batch_size, drop_last=drop_last)
    batches, _ = labels(loader)
    assert [len(b) for b in batches] == sizes
    assert len(loader) == len(sizes)


def test_in_order_without_shuffle(device):
    _, seen = labels(DataLoader(dataset(device=device), batch_size=4))
    np.testing.assert_array_equal(seen, np.arange(10))


def test_shuffle_visits_each_sample_once_with_rows_aligned(device):
    loader = DataLoader(dataset(20, device=device), batch_size=6, shuffle=True)
    seen = []
    for x, y in loader:
        np.testing.assert_array_equal(backend.to_numpy(x)[:, 0], 10 * backend.to_numpy(y))
        seen.extend(backend.to_numpy(y).tolist())
    assert sorted(seen) == list(range(20)) and seen != list(range(20))


def test_shuffle_is_reproducible_under_manual_seed(device):
    loader = DataLoader(dataset(20, device=device), batch_size=4, shuffle=True)
    minigrad.manual_seed(3)
    first, second = labels(loader)[1], labels(loader)[1]
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(labels(loader)[1], first)
    np.testing.assert_array_equal(labels(loader)[1], second)
    assert not np.array_equal(first, second)  # a new order every epoch


def test_seed_fixes_the_orders_whatever_the_global_seed():
    def run(global_seed):
        minigrad.manual_seed(global_seed)
        loader = DataLoader(dataset(20), batch_size=4, shuffle=True, seed=7)
        return [labels(loader)[1] for _ in range(2)]

    a, b = run(0), run(1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])


def test_batches_land_on_the_requested_device(device):
    for x, y in DataLoader(dataset(device="cpu"), batch_size=4, shuffle=True, device=device):
        assert backend.device_of(x) == device and backend.device_of(y) == device


def test_batches_default_to_the_dataset_device(device):
    loader = DataLoader(dataset(device=device), batch_size=4)
    assert loader.device == device
    x, y = next(iter(loader))
    assert backend.device_of(x) == device


def test_transforms_run_on_each_batch(device):
    ds = dataset(device=device, transform=lambda x: x / 10, target_transform=lambda y: y * 0)
    for x, y in DataLoader(ds, batch_size=3, shuffle=True):
        assert x.dtype == ds.arrays[0].dtype
        assert backend.to_numpy(x).max() <= 9 and not backend.to_numpy(y).any()


def test_any_indexable_dataset_is_stacked():
    class Pairs:  # PyTorch's protocol only: no Dataset base class, no get_batch, no device
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.full(2, i, np.float32), i

    batches = list(DataLoader(Pairs(), batch_size=3, shuffle=True))
    assert [tuple(x.shape) for x, _ in batches] == [(3, 2), (3, 2), (1, 2)]
    assert sorted(np.concatenate([y for _, y in batches]).tolist()) == list(range(7))


def test_empty_dataset_gives_no_batches():
    loader = DataLoader(dataset(0), batch_size=None)
    assert len(loader) == 0 and list(loader) == []


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "32"])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(dataset(), batch_size=batch_size)


def test_loose_arrays_show_the_dataset_to_write():
    x, y = np.zeros((4, 2), np.float32), np.arange(4)
    for call in (lambda: DataLoader(x, y), lambda: DataLoader(x, y, batch_size=2),
                 lambda: DataLoader((x, y), batch_size=2), lambda: DataLoader(x, [0, 1])):
        with pytest.raises(TypeError, match=r"DataLoader\(ArrayDataset\(x, y\), batch_size="):
            call()
    assert len(DataLoader(x, batch_size=2)) == 2  # one array is a dataset of its rows
    ds = ArrayDataset(x, y)
    assert ds.tensors is ds.arrays and len(ds.tensors) == 2  # TensorDataset.tensors
