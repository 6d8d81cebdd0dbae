"""The one writer of files: atomic (readers see the old file or the whole new one)
and durable (once the ``with`` block has ended, the new file survives a power cut).

A write goes to a temporary file next to its target, named
``.<target name>.<writer pid>.<8 hex digits>.tmp``, created with mode 0666 less
the umask (0644 under umask 022), held under an exclusive ``flock`` while it is
written. When the block ends without an error the file is flushed and
``fsync``-ed, ``os.replace``-d onto the target, and the directory is ``fsync``-ed
so that the rename itself is on disk. When the block raises, the temporary file
is removed and the target stays as it was.

A writer killed mid-write (SIGKILL, out of memory, power loss) leaves its
temporary file behind. Each write first removes such leftovers of its target:
the ones that no process holds locked *and* whose pid names no running process
on this machine, so that a concurrent writer's file is never touched. Where
``flock`` does not exist (Windows), leftovers are not removed.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["atomic_writer"]


@contextlib.contextmanager
def atomic_writer(path):
    """A binary file to write ``path`` through, atomically and durably (see the module).

    ``f.name`` is the temporary file's path, for tools that want to read back
    what was written before it replaces ``path``.
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    _remove_stale_temporaries(directory, name)
    f = _create_temporary(directory, name)
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(f.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f.name)
        raise
    _fsync_directory(directory)


def _create_temporary(directory, name):
    while True:
        tmp = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            f = open(tmp, "xb")  # O_CREAT | O_EXCL with mode 0666: the umask applies
        except FileExistsError:
            continue
        if fcntl is not None:
            # without lock support (some network filesystems) the pid alone protects the file
            with contextlib.suppress(OSError):
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        return f


def _remove_stale_temporaries(directory, name):
    """Remove the temporary files of target ``name`` in ``directory`` whose writer
    died: unlocked, and their pid runs no process here."""
    if fcntl is None:
        return
    pattern = re.compile(re.escape(f".{name}.") + r"(\d{1,9})\.[0-9a-f]{8}\.tmp")
    try:
        entries = os.listdir(directory)
    except PermissionError:  # a folder we may write but not list: nothing to clean
        return
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _process_exists(int(match[1])):
            _remove_if_unlocked(os.path.join(directory, entry))


def _process_exists(pid) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it does, under another user
        pass
    return True


def _remove_if_unlocked(tmp):
    """Remove ``tmp`` unless a writer holds its lock; any failure leaves it in place."""
    with contextlib.suppress(OSError):
        fd = os.open(tmp, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a live writer holds it
            os.unlink(tmp)
        finally:
            os.close(fd)


def _fsync_directory(directory):
    """Put the rename on disk. Skipped where a directory cannot be opened (Windows)
    or synced (filesystems that answer EINVAL)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)
