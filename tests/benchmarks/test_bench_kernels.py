"""bench_kernels.py: it finds each backend's special cases, runs every one of them on the
CPU at tiny sizes, and tells a special case whose numbers differ (nothing timed is checked)."""

import json
import os
import sys

import numpy as np

from minigrad.backend import Backend, get_backend
from minigrad.backend.numpy_backend import NumpyBackend

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_kernels  # noqa: E402

TINY = ["--batch", "2", "--rounds", "1", "--warmup", "0", "--block-seconds", "0"]


def test_every_numpy_special_case_runs_and_agrees(tmp_path):
    out = tmp_path / "kernels.json"
    summary = bench_kernels.main(["--device", "cpu", *TINY, "--json", str(out)])
    overridden, _ = bench_kernels.special_cases(get_backend("cpu"))
    measured = [row["method"] for row in summary["results"]]
    assert sorted(set(measured)) == sorted(m for m in overridden if m in bench_kernels.CASES)
    assert measured.count("matmul_tn") == 2  # conv1's and conv2's weight gradients
    for row in summary["results"]:
        assert row["agree"] == "yes", row
        assert row["reps"] >= 1 and row["ratio"]["min"] <= row["ratio"]["max"]
    assert json.loads(out.read_text())["results"] == summary["results"]


def test_each_case_fits_its_generic_form():
    # also the cases of methods that only some backends override (CuPy's conv_input_grad,
    # bias_relu_): the arguments must fit Backend's signature wherever it has the method
    cpu = get_backend("cpu")
    inputs = bench_kernels.Inputs(cpu, "cpu", "float32")
    for name, case in bench_kernels.CASES.items():
        if not hasattr(Backend, name):
            continue  # a case written ahead of its method
        made = case(2, inputs)
        for args in made if isinstance(made, list) else [made]:
            getattr(Backend, name)(cpu, *args)


def test_an_override_without_a_case_is_listed():
    class Extra(NumpyBackend):
        def integers(self, low, high, shape, device=None):
            return super().integers(low, high, shape, device)

    overridden, generic_only = bench_kernels.special_cases(Extra())
    assert overridden[-1] == "integers" and "integers" not in bench_kernels.CASES
    assert "relu_" in overridden and "keep_mask" in generic_only
    assert not set(overridden) & bench_kernels.NOT_KERNELS


def test_a_special_case_with_other_numbers_is_told(capsys):
    class Wrong(NumpyBackend):
        def relu_(self, y):
            return y  # forgets the maximum

    opts = bench_kernels.parse(["--device", "cpu", *TINY])
    args = bench_kernels.CASES["relu_"](2, bench_kernels.Inputs(Wrong(), "cpu", "float32"))
    row = bench_kernels.measure(Wrong(), "relu_", args, opts, lambda: None)
    assert row["agree"].startswith("NO: largest difference")
    assert bench_kernels.verdict(row) == "RESULTS DIFFER"


def test_draws_agree_in_law_not_in_numbers():
    strict = get_backend("strict")
    opts = bench_kernels.parse(["--device", "strict", *TINY])
    args = bench_kernels.CASES["uniform"](2, bench_kernels.Inputs(strict, "strict", "float32"))
    assert bench_kernels.measure(strict, "uniform", args, opts, lambda: None)["agree"] \
        == "same law"
    rng = np.random.default_rng(0)
    assert not bench_kernels.same_law(rng.normal(0, 1, 10**5), rng.normal(0.1, 1, 10**5))
    assert not bench_kernels.same_law(rng.normal(0, 1, 10**5), rng.normal(0, 1.1, 10**5))


def test_verdicts_at_the_threshold():
    def row(ratio, agree="yes"):
        return {"ratio": {"median": ratio}, "agree": agree}

    assert bench_kernels.verdict(row(bench_kernels.KEEP_AT_MOST)) == "keeps its place"
    assert bench_kernels.verdict(row(0.98)) == "no measured gain"
    assert bench_kernels.verdict(row(0.5, "same law")) == "keeps its place"
    assert bench_kernels.verdict({"agree": "ERROR: TypeError"}) == "not measured"
