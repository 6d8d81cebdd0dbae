"""Named arrays in atomic .npz files; damaged files are refused by name."""
import os

import numpy as np
import pytest

import minigrad
from minigrad.io.npz import UnreadableFileError, load_npz, save_npz
from tests.io.damaged import DAMAGES


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


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_file_is_refused_naming_it(tmp_path, damage):
    good = tmp_path / "good.npz"
    save_npz(good, {"w": np.arange(64, dtype=np.float32), "b": np.zeros(4, np.float32)})
    path = tmp_path / "state.npz"
    path.write_bytes(DAMAGES[damage](good.read_bytes()))
    with pytest.raises(UnreadableFileError, match="is not a readable minigrad file") as info:
        load_npz(path)
    assert repr(str(path)) in str(info.value) and info.value.path == str(path)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("content, reason", [
    (b"", r"it is empty \(0 bytes\)"),
    (b"\x93NUMPY\x01\x00", "a .npy file of one array"),
    (b"PK\x03\x04 cut short", r"not a complete .npz \(zip\) archive \(14 bytes"),
])
def test_the_message_says_what_is_wrong(tmp_path, content, reason):
    path = tmp_path / "state.npz"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=reason):
        load_npz(path)


def test_a_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "missing.npz")
