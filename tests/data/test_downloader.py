import contextlib
import gzip
import hashlib
import os
import sys

import pytest

from minigrad.data import DownloadError, check_file, download, file_checksums

BODY = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03" * 3000, mtime=0)
GOOD = {"md5": hashlib.md5(BODY).hexdigest()}


def test_good_file_is_verified_and_kept(server, tmp_path):
    server.routes["/a/f.gz"] = (BODY, False)
    dest = tmp_path / "f.gz"
    assert download([server.url("/a/f.gz")], dest, GOOD, timeout=5) == str(dest)
    assert dest.read_bytes() == BODY
    assert os.listdir(tmp_path) == ["f.gz"]


def test_wrong_checksum_is_rejected_and_leaves_nothing(server, tmp_path):
    server.routes["/a/f.gz"] = (BODY[:-1] + b"!", False)
    dest = tmp_path / "sub" / "f.gz"
    with pytest.raises(DownloadError, match="checksum mismatch") as info:
        download([server.url("/a/f.gz")], dest, GOOD, timeout=5)
    assert server.url("/a/f.gz") in str(info.value)
    assert os.listdir(tmp_path / "sub") == []


def test_connection_dropped_half_way_is_rejected(server, tmp_path):
    server.routes["/a/f.gz"] = (BODY, True)
    dest = tmp_path / "f.gz"
    with pytest.raises(DownloadError, match=f"closed after {len(BODY) // 2} of {len(BODY)} bytes"):
        download([server.url("/a/f.gz")], dest, timeout=5)  # caught even without checksums
    assert os.listdir(tmp_path) == []


def test_an_existing_file_survives_a_failed_download(server, tmp_path):
    dest = tmp_path / "f.gz"
    dest.write_bytes(b"old")
    server.routes["/a/f.gz"] = (BODY, True)
    with pytest.raises(DownloadError):
        download([server.url("/a/f.gz")], dest, GOOD, timeout=5)
    assert dest.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.gz"]


@pytest.mark.skipif(sys.platform == "win32", reason="leftovers are cleaned where flock exists")
@pytest.mark.parametrize("route", ["/a/f.gz", "/missing/f.gz"], ids=["success", "failure"])
def test_the_next_attempt_removes_what_a_killed_download_left(server, tmp_path, dead_pid, route):
    """A download killed mid-way leaves its hidden temporary file; the next
    attempt on the same file removes it, whether that attempt succeeds or not."""
    server.routes["/a/f.gz"] = (BODY, False)
    dest = tmp_path / "f.gz"
    left = tmp_path / f".f.gz.{dead_pid}.0123abcd.tmp"
    left.write_bytes(BODY[:100])
    with contextlib.suppress(DownloadError):
        download([server.url(route)], dest, GOOD, timeout=5)
    assert not left.exists()
    assert os.listdir(tmp_path) == (["f.gz"] if route == "/a/f.gz" else [])


def test_falls_through_to_the_next_mirror(server, tmp_path):
    server.routes["/good/f.gz"] = (BODY, False)
    server.routes["/corrupt/f.gz"] = (BODY[:100], False)
    urls = [server.url(p) for p in ("/missing/f.gz", "/corrupt/f.gz", "/good/f.gz")]
    download(urls, tmp_path / "f.gz", GOOD, timeout=5)
    assert server.requested == ["/missing/f.gz", "/corrupt/f.gz", "/good/f.gz"]
    assert (tmp_path / "f.gz").read_bytes() == BODY


def test_every_failure_is_reported(closed_port_url, server, tmp_path):
    urls = [closed_port_url + "f.gz", server.url("/missing/f.gz")]
    with pytest.raises(DownloadError) as info:
        download(urls, tmp_path / "f.gz", GOOD, timeout=5)
    message = str(info.value)
    assert "could not download f.gz" in message
    assert all(u in message for u in urls) and "404" in message


def test_checksums_of_gzip_content(tmp_path):
    content = b"idx bytes" * 100
    path = tmp_path / "f.gz"
    path.write_bytes(gzip.compress(content, mtime=1))
    sums = file_checksums(path)
    assert sums["content_sha256"] == hashlib.sha256(content).hexdigest()
    assert sums["md5"] == hashlib.md5(path.read_bytes()).hexdigest()
    # recompressed differently: the file digests change, the content digest does not
    other = tmp_path / "g.gz"
    other.write_bytes(gzip.compress(content, mtime=2, compresslevel=1))
    check_file(other, {"md5": sums["md5"], "content_sha256": sums["content_sha256"]})
    with pytest.raises(ValueError, match="checksum mismatch"):
        check_file(other, {"md5": sums["md5"]})


def test_check_file_rejects_truncated_gzip_and_unknown_kinds(tmp_path):
    path = tmp_path / "f.gz"
    path.write_bytes(BODY[:-20])
    with pytest.raises(ValueError, match="corrupt gzip"):
        check_file(path, {"content_sha256": "0" * 64})
    with pytest.raises(ValueError, match="unknown checksum kind"):
        check_file(path, {"crc": "0"})
