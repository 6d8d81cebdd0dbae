"""RESULTS.md sections: replaced in place, appended when new, written atomically."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import results  # noqa: E402


def test_sections_are_appended_then_replaced_in_place(tmp_path):
    path = tmp_path / "RESULTS.md"
    results.update_section(path, "mlp-threads-1", "## one\nfirst")
    results.update_section(path, "cnn-threads-1", "## cnn\nconv")
    results.update_section(path, "mlp-threads-1", "## one\nsecond")
    text = path.read_text()
    assert text.startswith("# Benchmark results")
    assert "first" not in text and text.count("second") == 1
    assert text.index("second") < text.index("conv")  # replaced where it was
    assert text.count("<!-- begin mlp-threads-1 -->") == 1


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "RESULTS.md"
    results.update_section(path, "a", "kept")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        results.update_section(path, "a", "lost")
    assert "kept" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]  # no temporary left
