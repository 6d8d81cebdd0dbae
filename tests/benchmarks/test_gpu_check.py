"""gpu_check.py's reading of results and report, its stage runner, and bench_gpu.py on
the CPU (smoke tests: nothing timed is checked)."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_gpu  # noqa: E402
import gpu_check  # noqa: E402

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="2" tests="5">
<testcase classname="tests.a" name="test_ok[cupy]" time="0.1"/>
<testcase classname="tests.a" name="test_bad[cupy]" time="0.1">
  <failure message="AssertionError: 1 != 2&#10;more">trace</failure></testcase>
<testcase classname="tests.b" name="test_err[cupy]" time="0.1">
  <error message="failed on setup with &quot;RuntimeError: boom&quot;">trace</error></testcase>
<testcase classname="tests.b" name="test_s1" time="0"><skipped message="no torch"/></testcase>
<testcase classname="tests.b" name="test_s2" time="0"><skipped message="no torch"/></testcase>
</testsuite></testsuites>
"""


def test_summarize_junit_counts_failures_and_skip_reasons(tmp_path):
    path = tmp_path / "suite.xml"
    path.write_text(JUNIT)
    s = gpu_check.summarize_junit(str(path))
    assert s["total"] == 5
    assert s["counts"] == {"passed": 1, "failed": 1, "error": 1, "skipped": 2}
    assert s["failures"] == [("failed", "tests.a::test_bad[cupy]", "AssertionError: 1 != 2"),
                             ("error", "tests.b::test_err[cupy]",
                              'failed on setup with "RuntimeError: boom"')]
    assert s["skips"] == [("no torch", 2)]
    assert gpu_check.summarize_junit(str(tmp_path / "missing.xml")) is None
    (tmp_path / "cut.xml").write_text(JUNIT[:120])
    assert gpu_check.summarize_junit(str(tmp_path / "cut.xml")) is None


def test_log_tail_keeps_the_last_state_of_progress_bars(tmp_path):
    path = tmp_path / "log"
    path.write_text("first\n 10%\r 50%\r100% done\nlast\n")
    assert gpu_check.log_tail(str(path), 2) == "100% done\nlast"
    assert gpu_check.log_tail(str(tmp_path / "none")) == ""


def test_a_stage_past_its_limit_is_interrupted(tmp_path):
    log = tmp_path / "stage.log"
    started = time.monotonic()
    stage = gpu_check.run_stage(
        "sleep", [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
        str(log), timeout=2)
    assert stage["timed_out"] and stage["rc"] != 0
    assert time.monotonic() - started < 30
    assert "up" in log.read_text()
    done = gpu_check.run_stage("ok", [sys.executable, "-c", "pass"], str(log), timeout=30)
    assert done["rc"] == 0 and not done["timed_out"]
    missing = gpu_check.run_stage("none", [str(tmp_path / "no-such-program")], str(log), 5)
    assert missing["rc"] is None


def _bench_summary(mine, theirs):
    result = {"minigrad": {"ms": mine, "first_loss": 2.3, "peak_bytes": 2**20,
                           "pool_bytes": 2**21, "block": 10},
              "torch": {"ms": theirs, "first_loss": 2.3, "peak_bytes": None,
                        "pool_bytes": None, "block": 20}}
    return bench_gpu.summarize(result)


def test_bench_summary_ratios_per_round():
    s = _bench_summary([2.0, 3.0, 4.0], [1.0, 1.0, 4.0])
    assert s["minigrad"]["median_ms"] == 3.0 and s["torch"]["median_ms"] == 1.0
    assert s["torch"]["ratio"] == {"median": 2.0, "min": 1.0, "max": 3.0}
    assert s["torch"]["same_loss"]
    row = next(line for line in bench_gpu.table({"mlp@1024": s}) if "| torch |" in line)
    assert "2.00 (1.00-3.00)" in row and "- / -" in row


def test_report_names_each_stage_and_the_targets(tmp_path):
    (tmp_path / "suite.xml").write_text(JUNIT)
    bench = {"results": {"mlp@1024": _bench_summary([3.0], [2.5]),
                         "cnn@1024": _bench_summary([5.0], [2.0])}}
    kernels = {"args": {"device": "cuda:0", "batch": 1024, "dtype": "float32", "rounds": 7},
               "no_case": ["integers"], "results": [
                   {"method": "windows", "shape": "1024x13x13x32", "agree": "yes",
                    **{k: {"median": v, "min": v, "max": v} for k, v in
                       (("special_ms", 0.1), ("generic_ms", 0.3), ("ratio", 0.33))}},
                   {"method": "relu_", "shape": "1024x512", "agree": "yes",
                    **{k: {"median": v, "min": v, "max": v} for k, v in
                       (("special_ms", 0.01), ("generic_ms", 0.01), ("ratio", 0.99))}}]}
    stages = [{"name": "resume", "rc": 0, "seconds": 12.0, "timed_out": False},
              {"name": "suite", "rc": 2, "seconds": 300.0, "timed_out": True},
              {"name": "bench", "rc": None, "seconds": 0.0, "timed_out": False}]
    report = gpu_check.compose_report(
        {"nvidia_smi": "GPU 0: NVIDIA H200", "cupy": {"version": "14.2.0"}}, stages, None,
        gpu_check.summarize_junit(str(tmp_path / "suite.xml")), "Test accuracy: 0.9", bench,
        str(tmp_path), dry=False, kernels=kernels)
    assert "GPU 0: NVIDIA H200" in report and '"14.2.0"' in report
    assert "| resume | ok | 12 |" in report and "| suite | TIMED OUT (rc 2) | 300 |" in report
    assert "| bench | did not run" in report
    assert "No JUnit file" in report  # the resume stage wrote none
    assert "5 tests: 1 passed, 1 failed, 1 errors, 2 skipped." in report
    assert "`tests.a::test_bad[cupy]`" in report and "2 x no torch" in report
    assert "MLP at batch 1024: minigrad / PyTorch = 1.20" in report and "<= 1.5: met" in report
    assert "CNN at batch 1024: minigrad / PyTorch = 2.50" in report and "NOT met" in report
    assert "## Kernel special cases against their generic forms" in report
    assert "On cuda:0, batch 1024, float32" in report
    assert "| windows | 1024x13x13x32 | 0.100 (0.100-0.100) | 0.300 (0.300-0.300) | 0.33 " \
        "(0.33-0.33) | yes | keeps its place |" in report
    assert "| relu_ |" in report and "| yes | no measured gain |" in report
    assert "No case (add one to CASES in bench_kernels.py): integers" in report
    without = gpu_check.compose_report({}, stages, None, None, "", None, str(tmp_path), False)
    assert "No results (see kernels.log)." in without


def test_bench_gpu_runs_on_the_cpu(tmp_path):
    out = tmp_path / "bench.json"
    results = bench_gpu.main(["--device", "cpu", "--batches", "2", "--rounds", "1",
                              "--warmup", "1", "--memory-steps", "1", "--block-seconds", "0",
                              "--systems", "minigrad", "--json", str(out)])
    assert set(results) == {"mlp@2", "cnn@2"}
    for summary in results.values():
        s = summary["minigrad"]
        assert s["rounds"] == 1 and s["block"] == 3 and s["median_ms"] > 0
        assert s["peak_bytes"] is None and 1.0 < s["first_loss"] < 4.0  # near ln 10 = 2.3
    assert json.loads(out.read_text())["results"]["mlp@2"]["minigrad"]["block"] == 3
