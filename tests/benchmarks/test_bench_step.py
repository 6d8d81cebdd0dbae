"""bench_step.py runs end to end (a smoke test: it times nothing that is checked)."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_step  # noqa: E402


def test_tiny_interleaved_rounds_give_phases_and_ratios(tmp_path, capsys):
    out = tmp_path / "step.json"
    summary = bench_step.main(["--tiny", "--rounds", "2", "--block", "3", "--warmup", "1",
                               "--json", str(out)])
    for name in ("minigrad", "numpy"):
        assert set(summary[name]) == {"forward", "backward", "optimizer", "step"}
        assert summary[name]["step"] >= 0
    assert summary["ratio"]["min"] <= summary["ratio"]["median"] <= summary["ratio"]["max"]
    assert json.loads(out.read_text())["summary"]["ratio"] == summary["ratio"]
    assert "minigrad / numpy per round" in capsys.readouterr().out
