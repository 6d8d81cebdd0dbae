"""bench_cnn.py runs end to end (a smoke test: it times nothing that is checked)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_cnn  # noqa: E402

TINY = ["--rounds", "2", "--block", "1", "--infer-block", "1", "--batch", "4",
        "--infer-batch", "8", "--warmup", "1", "--memory-steps", "1", "--threads", "1"]


def test_interleaved_rounds_write_the_report(tmp_path, capsys):
    out, md = tmp_path / "cnn.json", tmp_path / "results.md"
    summary = bench_cnn.main(TINY + ["--no-torch", "--json", str(out), "--markdown", str(md)])
    assert set(summary["train"]["minigrad"]) >= {"forward", "backward", "optimizer", "step"}
    assert summary["infer"]["minigrad"]["forward"] > 0
    assert summary["ratios"] == {}
    report = json.loads(out.read_text())
    assert len(report["rounds"]["minigrad"]) == 2 and report["peak_rss_mib"]["minigrad"] > 0
    text = md.read_text()
    assert "<!-- begin cnn-threads-1 -->" in text and "| minigrad |" in text
    assert "minigrad alone" in capsys.readouterr().out


def test_pytorch_runs_the_same_network_when_installed(tmp_path):
    pytest.importorskip("torch")
    summary = bench_cnn.main(TINY + ["--memory-steps", "0",
                                     "--markdown", str(tmp_path / "results.md")])
    for kind in ("train", "infer"):
        r = summary["ratios"][kind]
        assert r["min"] <= r["median"] <= r["max"]


def test_counts_must_be_positive():
    with pytest.raises(SystemExit):
        bench_cnn.parse(["--rounds", "0"])
