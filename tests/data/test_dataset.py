import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.data import ArrayDataset, Dataset, Subset, TensorDataset


def host(a):
    return backend.to_numpy(a)


@pytest.fixture
def xy(device):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    return minigrad.to_device(x, device), minigrad.to_device(y, device)


def test_items_are_rows_of_every_array(xy, device):
    ds = ArrayDataset(*xy)
    assert len(ds) == 10 and ds.device == device
    x3, y3 = ds[3]
    np.testing.assert_array_equal(host(x3), [6, 7])
    assert int(host(y3)) == 3
    np.testing.assert_array_equal(host(ds[-1][1]), 9)


def test_batches_by_slice_and_by_index_array(xy, device):
    ds = ArrayDataset(*xy)
    xb, yb = ds.get_batch(slice(2, 5))
    np.testing.assert_array_equal(host(yb), [2, 3, 4])
    xb, yb = ds[minigrad.to_device(np.array([7, 0, 7]), device)]
    np.testing.assert_array_equal(host(yb), [7, 0, 7])
    np.testing.assert_array_equal(host(xb), [[14, 15], [0, 1], [14, 15]])
    np.testing.assert_array_equal(host(ds[[1, 2]][1]), [1, 2])


def test_transforms_apply_to_inputs_and_targets(xy):
    ds = ArrayDataset(*xy, transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    x, y = ds[1]
    np.testing.assert_array_equal(host(x), [4, 6])
    assert int(host(y)) == 101
    xb, yb = ds.get_batch(slice(0, 2))  # on a batch, the same functions see the batch
    np.testing.assert_array_equal(host(yb), [100, 101])
    assert xb.dtype == xy[0].dtype


def test_device_argument_moves_the_arrays(device):
    ds = ArrayDataset(np.ones((4, 3), np.float32), np.zeros(4, np.int64), device=device)
    assert ds.device == device and backend.device_of(ds.arrays[1]) == device


def test_accepts_variables_and_lists():
    ds = TensorDataset(minigrad.Variable(np.ones((3, 2), np.float32)), [0, 1, 2])
    assert len(ds) == 3 and ds.arrays[1].dtype == np.int64


def test_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match="x has 10, y has 9"):
        ArrayDataset(np.zeros((10, 2)), np.zeros(9))


def test_scalar_and_empty_inputs_are_rejected():
    with pytest.raises(ValueError, match="leading sample axis"):
        ArrayDataset(np.float32(1.0))
    with pytest.raises(ValueError, match="at least one array"):
        ArrayDataset()


def test_arrays_on_two_devices_are_rejected():
    with pytest.raises(ValueError, match="different devices"):
        ArrayDataset(np.zeros(3), minigrad.to_device(np.zeros(3), "strict"))


def test_subset_selects_and_orders(xy, device):
    sub = Subset(ArrayDataset(*xy), [4, 1, 8])
    assert len(sub) == 3 and sub.device == device
    assert int(host(sub[1][1])) == 1
    np.testing.assert_array_equal(host(sub.get_batch(slice(0, 2))[1]), [4, 1])
    np.testing.assert_array_equal(host(sub[[2, 0]][1]), [8, 4])


def test_subset_rejects_out_of_range_indices(xy):
    with pytest.raises(ValueError, match="out of range"):
        Subset(ArrayDataset(*xy), [0, 10])


class Squares(Dataset):
    """A dataset that only knows single items: the base class batches them."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.float32(i * i), i


def test_generic_dataset_batches_by_stacking():
    x, y = Squares().get_batch([3, 1])
    np.testing.assert_array_equal(x, [9, 1])
    np.testing.assert_array_equal(y, [3, 1])
    np.testing.assert_array_equal(Squares().get_batch(slice(None))[1], range(5))


def test_index_arrays_must_be_integers(xy):
    with pytest.raises(TypeError, match="integers"):
        ArrayDataset(*xy).get_batch(np.array([0.0, 1.0]))
