import os

import numpy as np
import pytest

import minigrad
from minigrad.io.npz import load_npz, save_npz


def test_round_trip_keeps_values_and_dtypes(tmp_path, device):
    arrays = {
        "0.W": minigrad.to_device(np.arange(6, dtype=np.float32).reshape(2, 3), device),
        "steps": minigrad.to_device(np.array([3, 4], dtype=np.int64), device),
    }
    path = tmp_path / "state.npz"
    save_npz(path, arrays)
    back = load_npz(path)
    assert sorted(back) == ["0.W", "steps"]
    for name, a in arrays.items():
        assert isinstance(back[name], np.ndarray)
        assert back[name].dtype == minigrad.backend.to_numpy(a).dtype
        np.testing.assert_array_equal(back[name], minigrad.backend.to_numpy(a))


def test_path_is_used_as_given_and_no_temporary_file_is_left(tmp_path):
    path = tmp_path / "weights"
    save_npz(path, {"a": np.ones(3, dtype=np.float32)})
    assert os.listdir(tmp_path) == ["weights"]
    np.testing.assert_array_equal(load_npz(str(path))["a"], np.ones(3))


def test_failed_write_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "state.npz"
    save_npz(path, {"a": np.zeros(2, dtype=np.float32)})
    with pytest.raises(TypeError):
        save_npz(path, {"a": np.ones(2, dtype=np.float32), "bad": object()})
    assert os.listdir(tmp_path) == ["state.npz"]
    np.testing.assert_array_equal(load_npz(path)["a"], np.zeros(2))
