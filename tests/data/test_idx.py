import gzip
import os

import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.data import read_idx, write_idx


@pytest.fixture
def images(rng):
    return rng.integers(0, 256, size=(6, 28, 28)).astype(np.uint8)


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_write_then_read_round_trips(tmp_path, images, name):
    path = tmp_path / name
    write_idx(path, images)
    assert path.read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\x00\x00")
    np.testing.assert_array_equal(read_idx(path), images)
    assert os.listdir(tmp_path) == [name]  # no temporary file left behind


def test_gzip_is_told_by_content_not_by_name(tmp_path, images):
    path = tmp_path / "images-idx3-ubyte"
    write_idx(path, images, compress=True)
    np.testing.assert_array_equal(read_idx(path), images)


def test_read_lands_on_the_device(tmp_path, images, device):
    write_idx(tmp_path / "x.gz", minigrad.to_device(images, device))
    x = read_idx(tmp_path / "x.gz", device=device)
    assert backend.device_of(x) == device
    np.testing.assert_array_equal(backend.to_numpy(x), images)


@pytest.mark.parametrize("compress", [False, True])
def test_bad_magic_names_the_file(tmp_path, compress):
    path = tmp_path / "bad-idx1-ubyte"
    data = b"\x01\x02\x08\x01" + bytes(8)
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match="bad magic number") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_data_names_the_file(tmp_path, images, compress):
    path = tmp_path / "images"
    write_idx(path, images, compress=False)
    data = path.read_bytes()[:-100]
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match="truncated") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_stream_names_the_file(tmp_path, images):
    path = tmp_path / "images.gz"
    write_idx(path, images)
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(ValueError, match="corrupt or truncated gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing.gz")
