"""The numpy backend's setting of glibc's malloc (numpy_backend.keep_freed_memory)."""
import platform

import pytest

from minigrad.backend import numpy_backend


@pytest.mark.parametrize("variable", ["MALLOC_TOP_PAD_", "GLIBC_TUNABLES"])
def test_a_users_own_malloc_setting_is_left_alone(monkeypatch, variable):
    monkeypatch.setenv(variable, "glibc.malloc.top_pad=131072" if "TUNABLES" in variable
                       else "131072")
    assert numpy_backend.keep_freed_memory() is False


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_glibc_keeps_freed_memory(monkeypatch):
    monkeypatch.delenv("MALLOC_TOP_PAD_", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    assert numpy_backend.keep_freed_memory() is True
