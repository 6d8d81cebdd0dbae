"""IDX files: the header and byte order, gzip or raw, and corrupt files named."""
import gzip
import os
import struct

import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.io.idx import encode_idx, parse_idx, read_idx, write_idx

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


def test_parse_reads_the_header_and_big_endian_data():
    data = struct.pack(">HBB2I", 0, 0x0B, 2, 2, 3) + struct.pack(">6h", 1, -2, 300, 4, 5, -600)
    a = parse_idx(data)
    assert a.dtype == np.int16 and a.shape == (2, 3)
    np.testing.assert_array_equal(a, [[1, -2, 300], [4, 5, -600]])
    a[0, 0] = 7  # a writable copy, not a view of the bytes


@pytest.mark.parametrize("dtype", DTYPES)
def test_encode_then_parse_round_trips(dtype, rng):
    a = (rng.standard_normal((3, 4, 2)) * 50).astype(dtype)
    b = parse_idx(encode_idx(a))
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_encode_writes_the_magic_number():
    assert encode_idx(np.zeros((5, 28, 28), np.uint8))[:4] == b"\x00\x00\x08\x03"


def test_encode_rejects_dtypes_idx_cannot_hold():
    with pytest.raises(ValueError, match="int64"):
        encode_idx(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"shape \(\)"):
        encode_idx(np.uint8(3))


@pytest.mark.parametrize("data, message", [
    (b"\x00\x00", "too short"),
    (b"\x1f\x8b\x08\x00" + bytes(8), "bad magic number 0x1f8b0800"),
    (b"\x00\x00\x07\x01" + bytes(8), "unknown type code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03" + struct.pack(">2I", 5, 28), "truncated"),
    (struct.pack(">HBBI", 0, 8, 1, 10) + bytes(9), r"truncated.*\(10,\).*10 bytes.*9 bytes"),
    (struct.pack(">HBBI", 0, 8, 1, 10) + bytes(11), "trailing bytes"),
])
def test_corrupt_bytes_raise_a_value_error_naming_the_source(data, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_idx(data, source="labels.idx")
    assert "labels.idx" in str(info.value)


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
