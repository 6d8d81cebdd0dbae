"""bench_step.py runs end to end (a smoke test: it times nothing that is checked)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_step  # noqa: E402


def test_tiny_interleaved_rounds_give_phases_and_ratios(tmp_path, capsys):
    out = tmp_path / "step.json"
    summary = bench_step.main(["--tiny", "--rounds", "2", "--block", "3", "--warmup", "1",
                               "--systems", "minigrad,numpy", "--json", str(out)])
    for name in ("minigrad", "numpy"):
        assert set(summary[name]) == {"forward", "backward", "optimizer", "step"}
        assert summary[name]["step"] >= 0
    ratio = summary["ratios"]["numpy"]
    assert list(summary["ratios"]) == ["numpy"]
    assert ratio["min"] <= ratio["median"] <= ratio["max"]
    assert json.loads(out.read_text())["summary"]["ratios"] == summary["ratios"]
    assert "minigrad / numpy per round" in capsys.readouterr().out


@pytest.mark.parametrize("systems", ["numpy,minigrad", "minigrad", "minigrad,jax"])
def test_systems_are_minigrad_then_known_others(systems):
    with pytest.raises(SystemExit, match="--systems is minigrad then"):
        bench_step.choose_systems(systems)


def test_torch_systems_run_when_torch_is_installed():
    pytest.importorskip("torch")
    summary = bench_step.main(["--tiny", "--rounds", "1", "--block", "2", "--warmup", "1",
                               "--systems", "minigrad,torch,torch-fused"])
    assert set(summary["ratios"]) == {"torch", "torch-fused"}
    assert summary["torch-fused"]["step"] > 0
