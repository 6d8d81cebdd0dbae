"""Downloads that are checked before they are kept, and file checksums."""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import sys
import urllib.request
import zlib

from minigrad.io.atomic import atomic_writer
from minigrad.io.idx import GZIP_MAGIC

_CHUNK = 1 << 20


class DownloadError(OSError):
    """No mirror gave a complete file with a known checksum."""


def file_checksums(path, kinds=("md5", "sha256", "content_sha256")) -> dict:
    """Hex digests of ``path``: ``md5`` and ``sha256`` of the bytes as stored,
    ``content_sha256`` of the bytes after gunzip (of the bytes themselves for a raw file)."""
    unknown = set(kinds) - {"md5", "sha256", "content_sha256"}
    if unknown:
        raise ValueError(f"unknown checksum kind {sorted(unknown)}: expected md5, sha256 or "
                         f"content_sha256")
    digests = {}
    for kind in kinds:
        h = hashlib.new("sha256" if kind == "content_sha256" else kind)
        with _open_for(path, kind) as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        digests[kind] = h.hexdigest()
    return digests


def _open_for(path, kind):
    if kind == "content_sha256":
        with open(path, "rb") as f:
            if f.read(2) == GZIP_MAGIC:
                return gzip.open(path, "rb")
    return open(path, "rb")


def check_file(path, checksums) -> None:
    """Raise ``ValueError`` unless one of ``checksums`` (kind -> hex digest) matches ``path``.

    The kinds describe the same data in different encodings (the published md5
    of a ``.gz`` file, the sha256 of its content), so one match is enough.
    """
    try:
        found = file_checksums(path, tuple(checksums))
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise ValueError(f"corrupt gzip data ({e})") from e
    if not any(found[kind] == digest.lower() for kind, digest in checksums.items()):
        got = ", ".join(f"{kind} {found[kind]}" for kind in checksums)
        want = ", ".join(f"{kind} {digest}" for kind, digest in checksums.items())
        raise ValueError(f"checksum mismatch: got {got}; expected {want}")


def download(urls, dest, checksums=None, timeout=30.0) -> str:
    """Fetch ``dest`` from the first of ``urls`` that gives a good file; return ``dest``.

    Each try streams into a temporary file next to ``dest``, checks the length
    against ``Content-Length`` and ``checksums`` (see :func:`check_file`), and only
    then renames it to ``dest`` (durably: :func:`minigrad.io.atomic.atomic_writer`):
    a partial or corrupt download never takes its place. The temporary file of a
    killed try is removed by the next one. ``DownloadError`` lists every URL
    tried and why it failed.
    """
    dest = os.path.abspath(os.fspath(dest))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    failures = []
    for url in urls:
        try:
            _fetch(url, dest, checksums, timeout)
            return dest
        except (OSError, ValueError, http.client.HTTPException) as e:
            failures.append(f"  {url}: {e}")
    tried = "\n".join(failures) or "  (no URLs given)"
    raise DownloadError(f"could not download {os.path.basename(dest)}:\n{tried}")


def _fetch(url, dest, checksums, timeout):
    print(f"minigrad: downloading {url}", file=sys.stderr)
    # checked before it replaces dest: a failed check leaves no file behind
    with atomic_writer(dest) as out, urllib.request.urlopen(url, timeout=timeout) as response:
        expected = response.headers.get("Content-Length")
        received = 0
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            received += len(chunk)
        if expected is not None and received != int(expected):
            raise ValueError(f"connection closed after {received} of {expected} bytes")
        out.flush()
        if checksums:
            check_file(out.name, checksums)
