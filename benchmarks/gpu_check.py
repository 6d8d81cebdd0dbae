"""The GPU check: minigrad on CuPy, in one run of a few minutes, with a report.

Run by ``benchmarks/gpu_check.sh`` (which first installs carried wheels), or
directly with minigrad importable. Stages, each a subprocess under its own time
limit (on expiry it gets SIGINT, so pytest still writes its summary and JUnit
file, then SIGKILL), in this order so that the short, decisive ones run first:

1. ``resume``: the exact-resume and random-state tests on CUDA (checkpoint
   round trips, bit-exact optimizer resume, the LR finder leaving no trace, the
   Philox kernels against their host twins);
2. ``example``: ``examples/mnist_mlp.py --device cuda --quick``;
3. ``bench``: ``benchmarks/bench_gpu.py`` (MLP and CNN step, minigrad-CuPy
   against PyTorch CUDA, batches 128 and 1024, peak GPU memory);
4. ``kernels``: ``benchmarks/bench_kernels.py`` (each special case of the CuPy
   backend against the generic form of ``Backend`` it replaces, at the shapes
   of bench_gpu.py's steps at batch 1024; a verdict each);
5. ``profile-cnn`` and ``profile-mlp``: ``benchmarks/profile_ops.py`` at batch
   1024 (each Function's share of a synchronised step: where the time goes);
6. ``suite``: every device test on ``--backend=cupy`` (``--device-only``: the
   others run on numpy whatever the backend) with the time that is left. CuPy's
   CUB reductions are off here (``CUPY_ACCELERATORS=``): they compile slowly
   and the suite checks minigrad, not CuPy's reduction variants; the other
   stages run with CuPy's defaults.

Writes into ``--out`` (at most eleven files): ``report.md`` (also printed at
the end), ``resume.log``, ``example.log``, ``bench.log``, ``bench.json``,
``kernels.log``, ``kernels.json``, ``profile-cnn.log``, ``profile-mlp.log``,
``suite.log``, ``suite.xml``. ``--dry`` runs the same stages on the CPU with
tiny sizes and a small test selection, to check the script itself.

    python benchmarks/gpu_check.py --out /tmp/gpu-check
    python benchmarks/gpu_check.py --dry --out /tmp/gpu-check-dry
"""
from __future__ import annotations

import argparse
import collections
import datetime
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# the tests that decide exact resume and the random state on a device
RESUME_FILES = [
    "tests/backend/test_philox.py", "tests/backend/test_random_state.py", "tests/io/test_tree.py",
    "tests/backend/test_registry.py", "tests/backend/test_kernels.py",
    "tests/training/test_checkpoint.py", "tests/training/callbacks/test_checkpoint.py",
    "tests/training/tools/test_common.py", "tests/training/tools/test_lr_finder.py",
    "tests/optim/test_optimizers.py", "tests/optim/test_performance_options.py",
]
RESUME_KEYWORDS = ("resume or replay or restore or rng or random or seed or philox or cuda "
                   "or checkpoint or preserved or adam_update or dropout")
TARGETS = {"mlp": 1.5, "cnn": 2.0}  # minigrad / PyTorch CUDA at batch 1024, at most


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.environ.get("OUT") or "/tmp/gpu-check",
                   help="folder for the report and logs (default $OUT, else /tmp/gpu-check)")
    p.add_argument("--dry", action="store_true",
                   help="on the CPU, tiny sizes, a few tests: checks the script itself")
    p.add_argument("--workers", type=int, default=8,
                   help="pytest-xdist processes for the suite when xdist is installed, each "
                        "sharing the GPU (default 8; 0: one process)")
    p.add_argument("--budget", type=float, default=450.0,
                   help="seconds for all stages together; the suite gets what is left "
                        "(default 450)")
    return p.parse_args(argv)


# -- running a stage ------------------------------------------------------------------------
def run_stage(name, cmd, log_path, timeout, env=None):
    """Run ``cmd`` (stdout and stderr into ``log_path``) for at most ``timeout`` seconds.
    Returns ``{"name", "rc", "seconds", "timed_out"}``; ``rc`` None when it never
    started."""
    started = time.monotonic()
    timed_out = False
    with open(log_path, "w") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        try:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                    env=env, start_new_session=True)
        except OSError as e:
            log.write(f"could not start: {e}\n")
            return {"name": name, "rc": None, "seconds": 0.0, "timed_out": False}
        try:
            rc = proc.wait(timeout=max(timeout, 1.0))
        except subprocess.TimeoutExpired:
            timed_out = True
            rc = _interrupt(proc)
    return {"name": name, "rc": rc, "seconds": time.monotonic() - started,
            "timed_out": timed_out}


def _interrupt(proc, grace=20.0):
    """SIGINT to the stage's process group (pytest then reports what it has), then
    SIGKILL if it is still running after ``grace`` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGINT)
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait()
    except ProcessLookupError:
        return proc.wait()


def child_env(extra=None):
    env = dict(os.environ)
    paths = [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update({"PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1",
                "HYPOTHESIS_PROFILE": "ci", "MPLBACKEND": "Agg"})
    # one writable kernel cache for every stage: what one stage compiled, the next reuses
    env.setdefault("CUPY_CACHE_DIR", os.path.join(tempfile.gettempdir(), "minigrad-cupy-cache"))
    env.update(extra or {})
    return env


# -- what the machine is -----------------------------------------------------------------------
_PROBE = r"""
import json, platform
info = {"python": platform.python_version()}
def grab(key, f):
    try:
        info[key] = f()
    except Exception as e:
        info[key] = f"unavailable: {type(e).__name__}: {e}"
import numpy
info["numpy"] = numpy.__version__
def cupy_info():
    import cupy
    rt = cupy.cuda.runtime
    names = []
    for i in range(rt.getDeviceCount()):
        name = rt.getDeviceProperties(i)["name"]
        names.append(name.decode() if isinstance(name, bytes) else name)
    return {"version": cupy.__version__, "runtime": rt.runtimeGetVersion(),
            "driver": rt.driverGetVersion(), "devices": names}
grab("cupy", cupy_info)
def torch_info():
    import torch
    return {"version": torch.__version__, "cuda": torch.version.cuda,
            "available": torch.cuda.is_available()}
grab("torch", torch_info)
def strict_info():
    import array_api_strict
    return array_api_strict.__version__
grab("array_api_strict", strict_info)
def minigrad_info():
    import minigrad
    return {"file": minigrad.__file__, "devices": minigrad.available_devices()}
grab("minigrad", minigrad_info)
print(json.dumps(info))
"""


def environment(env):
    """Versions and devices, probed in a subprocess (no CUDA context in this one)."""
    info = {}
    try:
        smi = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30,
                             check=False)
        info["nvidia_smi"] = (smi.stdout or smi.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        info["nvidia_smi"] = f"unavailable: {e}"
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                               timeout=90, cwd=ROOT, env=env, check=False)
        info.update(json.loads(probe.stdout.strip().splitlines()[-1]))
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as e:
        info["probe"] = f"failed: {e}"
    return info


# -- reading the results ----------------------------------------------------------------------
def summarize_junit(path):
    """Counts, failures and skip reasons from a pytest JUnit XML file; None if absent
    or unreadable (a stage killed before pytest could write it)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    counts = collections.Counter()
    failures, skips = [], collections.Counter()
    for case in root.iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                message = (child.get("message") or child.text or "").strip().splitlines()
                failures.append((outcome, test_id, message[0][:200] if message else ""))
                break
            if child.tag == "skipped":
                outcome = "skipped"
                skips[(child.get("message") or "").strip()[:160]] += 1
        counts[outcome] += 1
    return {"counts": dict(counts), "total": sum(counts.values()), "failures": failures,
            "skips": skips.most_common()}


def log_tail(path, lines=15):
    """The last ``lines`` lines of a log, progress bars (carriage returns) collapsed."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    shown = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]
    return "\n".join(shown[-lines:])


def read_bench(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# -- the report ---------------------------------------------------------------------------------
def stage_line(stage):
    if stage["rc"] is None:
        state = "did not run (no time left, or could not start)"
    elif stage["timed_out"]:
        state = f"TIMED OUT (rc {stage['rc']})"
    else:
        state = "ok" if stage["rc"] == 0 else f"FAILED (rc {stage['rc']})"
    return f"| {stage['name']} | {state} | {stage['seconds']:.0f} |"


def tests_section(title, junit, log_path):
    lines = [f"## {title}", ""]
    if junit is None:
        return lines + ["No JUnit file (the stage was killed before pytest wrote it). Log tail:",
                        "", "```", log_tail(log_path, 25), "```", ""]
    c = junit["counts"]
    lines.append(f"{junit['total']} tests: {c.get('passed', 0)} passed, {c.get('failed', 0)} "
                 f"failed, {c.get('error', 0)} errors, {c.get('skipped', 0)} skipped.")
    if junit["failures"]:
        lines += ["", "| outcome | test | first line |", "|---|---|---|"]
        for outcome, test, message in junit["failures"][:80]:
            lines.append(f"| {outcome} | `{test}` | {message.replace('|', '/')} |")
        if len(junit["failures"]) > 80:
            lines.append(f"| ... | {len(junit['failures']) - 80} more | see the log |")
    if junit["skips"]:
        lines += ["", "Skip reasons (count):", ""]
        lines += [f"- {n} x {reason}" for reason, n in junit["skips"][:20]]
    return lines + [""]


def bench_section(bench):
    lines = ["## Benchmark: training step, minigrad-CuPy vs PyTorch", ""]
    if bench is None:
        return lines + ["No results (see bench.log).", ""]
    sys.path.insert(0, HERE)
    from bench_gpu import table

    lines += table(bench["results"]) + [""]
    for model, target in TARGETS.items():
        summary = bench["results"].get(f"{model}@1024", {})
        ratio = summary.get("torch", {}).get("ratio")
        if ratio:
            verdict = "met" if ratio["median"] <= target else "NOT met"
            lines.append(f"- {model.upper()} at batch 1024: minigrad / PyTorch = "
                         f"{ratio['median']:.2f} (range {ratio['min']:.2f}-{ratio['max']:.2f}); "
                         f"target <= {target}: {verdict}")
    return lines + [""]


def kernels_section(kernels):
    lines = ["## Kernel special cases against their generic forms", ""]
    if kernels is None:
        return lines + ["No results (see kernels.log).", ""]
    sys.path.insert(0, HERE)
    from bench_kernels import KEEP_AT_MOST, table

    run = kernels["args"]
    intro = (f"On {run['device']}, batch {run['batch']}, {run['dtype']}: ms per call, median of "
             f"{run['rounds']} interleaved rounds (range); a special case keeps its place at a "
             f"median special / generic <= {KEEP_AT_MOST}.")
    return lines + [intro, ""] + table(kernels) + [""]


PROFILED = ("cnn", "mlp")


def profiles_section(out):
    """profile_ops' tables (markdown already), one per model, as the logs hold them."""
    lines = ["## Where a step's time goes (benchmarks/profile_ops.py)", ""]
    for model in PROFILED:
        text = log_tail(os.path.join(out, f"profile-{model}.log"), 45)
        table = [line for line in text.splitlines() if not line.startswith("$ ")]
        lines += table or [f"No profile of the {model.upper()} (see profile-{model}.log)."]
        lines.append("")
    return lines


def compose_report(info, stages, resume, suite, example_tail, bench, out, dry, kernels=None):
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [f"# minigrad GPU check{' (DRY RUN on the CPU)' if dry else ''}, {when}", "",
             "```", info.get("nvidia_smi", ""), "```", "",
             "Versions and devices: `" + json.dumps({k: v for k, v in info.items()
                                                     if k != "nvidia_smi"}) + "`", "",
             "| stage | result | seconds |", "|---|---|---|"]
    lines += [stage_line(s) for s in stages] + [""]
    lines += tests_section("Exact resume and random state on the device", resume,
                           os.path.join(out, "resume.log"))
    lines += ["## examples/mnist_mlp.py --quick", "", "```", example_tail, "```", ""]
    lines += bench_section(bench)
    lines += kernels_section(kernels)
    lines += profiles_section(out)
    lines += tests_section("Test suite on the device backend (device tests only)", suite,
                           os.path.join(out, "suite.log"))
    return "\n".join(lines)


# -- the stages ------------------------------------------------------------------------------------
def main(argv=None):
    args = parse(argv)
    started = time.monotonic()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="gpu-check-")
    device, backend = ("cpu", "numpy") if args.dry else ("cuda", "cupy")
    env = child_env()
    py = sys.executable
    info = environment(env)
    print(json.dumps(info, indent=1), flush=True)

    pytest = [py, "-m", "pytest", f"--backend={backend}", "--device-only", "-p",
              "no:cacheprovider", "-q"]
    resume_files = [f for f in RESUME_FILES if os.path.exists(os.path.join(ROOT, f))]
    resume_xml = os.path.join(scratch, "resume.xml")
    bench_json = os.path.join(out, "bench.json")
    kernels_json = os.path.join(out, "kernels.json")
    tiny = ["--batches", "8", "--rounds", "2", "--warmup", "1", "--memory-steps", "1",
            "--block-seconds", "0.02"] if args.dry else []
    # the suite's kernels compile on first use: several processes share that wait
    parallel = (["-n", str(args.workers)] if args.workers and not args.dry
                and importlib.util.find_spec("xdist") else [])
    plan = [
        ("resume", pytest + [f"--junitxml={resume_xml}", "-k", RESUME_KEYWORDS] + resume_files,
         "resume.log", 90, {}),
        ("example", [py, "examples/mnist_mlp.py", "--device", device, "--quick",
                     "--output-dir", os.path.join(scratch, "runs")], "example.log", 90, {}),
        ("bench", [py, "benchmarks/bench_gpu.py", "--device", device, "--json", bench_json]
         + tiny, "bench.log", 150, {}),
        ("kernels", [py, "benchmarks/bench_kernels.py", "--device", device, "--json", kernels_json]
         + (["--batch", "8", "--rounds", "2", "--block-seconds", "0.005"] if args.dry else []),
         "kernels.log", 40, {}),
        *[(f"profile-{model}", [py, "benchmarks/profile_ops.py", "--model", model, "--device",
                                device] + (["--batch", "8", "--steps", "2", "--warmup", "1"]
                                           if args.dry else ["--batch", "1024"]),
           f"profile-{model}.log", 30, {}) for model in PROFILED],
        ("suite", pytest + [f"--junitxml={os.path.join(out, 'suite.xml')}", "--tb=short",
                            "--durations=15"] + parallel
         + (["tests/backend"] if args.dry else []), "suite.log", None,
         {"CUPY_ACCELERATORS": ""}),
    ]
    stages = []
    for name, cmd, log, limit, extra in plan:
        left = args.budget - (time.monotonic() - started)
        limit = left if limit is None else min(limit, left)
        if limit < 10:
            stages.append({"name": name, "rc": None, "seconds": 0.0, "timed_out": False})
            print(f"== {name}: no time left", flush=True)
            continue
        print(f"== {name} (at most {limit:.0f} s)", flush=True)
        stages.append(run_stage(name, cmd, os.path.join(out, log), limit, child_env(extra)))
        print(f"   {stage_line(stages[-1])}", flush=True)

    report = compose_report(info, stages, summarize_junit(resume_xml),
                            summarize_junit(os.path.join(out, "suite.xml")),
                            log_tail(os.path.join(out, "example.log")), read_bench(bench_json),
                            out, args.dry, read_bench(kernels_json))
    report += f"\nTotal {time.monotonic() - started:.0f} s.\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(report)
    print(report, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
