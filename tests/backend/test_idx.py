import struct

import numpy as np
import pytest

from minigrad.backend.idx import encode_idx, parse_idx

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
