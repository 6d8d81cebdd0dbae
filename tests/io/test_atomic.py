"""Atomic writes: all or nothing, no temporary left behind."""

import os

import pytest

from minigrad.io.atomic import atomic_writer


def test_the_file_appears_whole_when_the_block_ends(tmp_path):
    path = tmp_path / "out.bin"
    with atomic_writer(path) as f:
        f.write(b"new")
        assert not path.exists() and os.path.dirname(f.name) == str(tmp_path)
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_an_error_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="midway"), atomic_writer(path, suffix=".npz") as f:
        assert f.name.endswith(".npz")
        f.write(b"half")
        raise RuntimeError("midway")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
