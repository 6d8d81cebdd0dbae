"""The one writer: all or nothing, durable, honours the umask, cleans up after killed writers."""
import errno
import os
import pathlib
import re
import stat
import subprocess
import sys

import pytest

import minigrad
from minigrad.io.atomic import atomic_writer

fcntl = pytest.importorskip("fcntl")  # the POSIX writer: locks, umask, kill
ROOT = pathlib.Path(minigrad.__file__).resolve().parents[1]


def _temporary(directory, target, pid, token="0123abcd"):
    """A temporary file as the writer of ``target`` with process ``pid`` names it."""
    path = directory / f".{target}.{pid}.{token}.tmp"
    path.write_bytes(b"half a file")
    return path


def test_the_file_appears_whole_when_the_block_ends(tmp_path):
    path = tmp_path / "out.bin"
    with atomic_writer(path) as f:
        f.write(b"new")
        assert not path.exists()
        assert re.fullmatch(rf"\.out\.bin\.{os.getpid()}\.[0-9a-f]{{8}}\.tmp",
                            os.path.basename(f.name))
        assert os.path.dirname(f.name) == str(tmp_path)
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_an_error_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="midway"), atomic_writer(path) as f:
        f.write(b"half")
        raise RuntimeError("midway")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)],
                         ids=["umask-022", "umask-077", "umask-002"])
def test_the_new_file_has_the_mode_the_umask_gives(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        with atomic_writer(tmp_path / "out.bin") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "out.bin").st_mode) == mode


def test_the_file_is_synced_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        events.append("fsync directory" if stat.S_ISDIR(info.st_mode)
                      else f"fsync file of {info.st_size} bytes")
        real_fsync(fd)

    def replace(src, dst):
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    with atomic_writer(tmp_path / "out.bin") as f:
        f.write(b"12345")
    assert events == ["fsync file of 5 bytes", "replace", "fsync directory"]


@pytest.mark.parametrize("code, raises", [(errno.EINVAL, False), (errno.EIO, True)],
                         ids=["EINVAL", "EIO"])
def test_a_directory_that_cannot_be_synced_is_skipped_but_an_io_error_is_not(
        tmp_path, monkeypatch, code, raises):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(code, os.strerror(code))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = tmp_path / "out.bin"
    if raises:
        with pytest.raises(OSError, match=os.strerror(code)), atomic_writer(path) as f:
            f.write(b"x")
    else:
        with atomic_writer(path) as f:
            f.write(b"x")
    assert path.read_bytes() == b"x"  # replaced either way: only its durability is in doubt


def test_a_dead_writers_temporary_is_removed_by_the_next_write(tmp_path, dead_pid):
    stale = _temporary(tmp_path, "out.bin", dead_pid)
    with atomic_writer(tmp_path / "out.bin") as f:
        f.write(b"new")
    assert not stale.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_live_process_keeps_its_temporary(tmp_path):
    live = _temporary(tmp_path, "out.bin", os.getppid())  # pytest's parent is running
    with atomic_writer(tmp_path / "out.bin") as f:
        f.write(b"new")
    assert live.exists()


def test_a_locked_temporary_is_kept_whatever_its_pid(tmp_path, dead_pid):
    """A writer in another pid namespace (a container) holds its lock: not removed."""
    locked = _temporary(tmp_path, "out.bin", dead_pid)
    with open(locked, "rb+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with atomic_writer(tmp_path / "out.bin") as f:
            f.write(b"new")
        assert locked.exists()
    with atomic_writer(tmp_path / "out.bin") as f:  # the lock is gone with its holder
        f.write(b"newer")
    assert not locked.exists()


def test_a_concurrent_writer_of_the_same_target_keeps_its_file(tmp_path):
    path = tmp_path / "out.bin"
    with atomic_writer(path) as outer:
        outer.write(b"outer")
        with atomic_writer(path) as inner:
            inner.write(b"inner")
        assert os.path.exists(outer.name)
    assert path.read_bytes() == b"outer"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_only_the_targets_own_temporaries_are_touched(tmp_path, dead_pid):
    others = [_temporary(tmp_path, "out.bin.bak", dead_pid),  # another target's
              _temporary(tmp_path, "out", dead_pid),
              _temporary(tmp_path, "out.bin", dead_pid, token="not-hex!")]
    with atomic_writer(tmp_path / "out.bin") as f:
        f.write(b"new")
    assert all(p.exists() for p in others)


WRITER = """
import sys, time
from minigrad.io.atomic import atomic_writer
with atomic_writer(sys.argv[1]) as f:
    f.write(b"new" * 1_000_000)
    f.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def test_a_killed_writer_leaves_the_old_file_and_the_next_write_cleans_up(tmp_path):
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)],
                            stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline() == b"writing\n"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2 and re.fullmatch(rf"\.big\.bin\.{proc.pid}\.[0-9a-f]{{8}}\.tmp", left[0])
    assert (tmp_path / left[0]).stat().st_size == 3_000_000
    assert target.read_bytes() == b"old"
    with atomic_writer(target) as f:
        f.write(b"next")
    assert target.read_bytes() == b"next"
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"]
