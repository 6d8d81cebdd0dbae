"""Framework overhead of minigrad's autodiff, against hand-written numpy and PyTorch eager.

Two cases run the same chain of elementwise ops, cycling ``h + a``, ``h * b``,
``tanh(h)``, ``exp(h)`` (``a`` and ``b`` are leaves that want gradients), then
backpropagate from the last value with a gradient of ones:

* ``small``: a long chain (1000 ops) on 16-element float32 arrays. numpy's own
  work is tiny, so the time per op is the framework's overhead: building the
  graph on the way forward, walking it on the way back.
* ``large``: a short chain (20 ops) on 1M-element float32 arrays. numpy's own
  work dominates; the figure of merit is minigrad's time over a hand-written
  numpy forward + backward that computes the same formulas (target: < 5%).

Where torch is importable the same chains run in PyTorch eager in the same
process, and the ratio minigrad / PyTorch is printed. Each framework gets
``--warmup`` untimed runs, then the timed runs (time.perf_counter) go round
the frameworks in turn; min and median are reported. "backward" includes
releasing the graph, since PyTorch frees its graph inside ``backward()``.
glibc's malloc thresholds are pinned first (see ``pin_malloc``) unless
``--default-malloc`` is given.

    python benchmarks/bench_autodiff.py --json results.json
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import functools
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

try:
    import resource
except ImportError:  # not on Windows
    resource = None

import minigrad
from minigrad import functions as F
from minigrad.io import atomic_writer

try:
    import torch
except ImportError:
    torch = None

CYCLE = ("add", "mul", "tanh", "exp")


# -- the chain ------------------------------------------------------------------
def chain(x, a, b, n_ops, tanh, exp):
    """The benchmark chain for any framework whose arrays support ``+`` and ``*``."""
    h = x
    for i in range(n_ops):
        op = i % 4
        if op == 0:
            h = h + a
        elif op == 1:
            h = h * b
        elif op == 2:
            h = tanh(h)
        else:
            h = exp(h)
    return h


def numpy_forward(x, a, b, n_ops):
    """The chain in numpy, keeping every output for the backward pass."""
    outs = []
    h = x
    for i in range(n_ops):
        op = i % 4
        if op == 0:
            h = h + a
        elif op == 1:
            h = h * b
        elif op == 2:
            h = np.tanh(h)
        else:
            h = np.exp(h)
        outs.append(h)
    return outs


def numpy_backward(x, b, outs, n_ops, elide=True):
    """Gradients of the chain for ``a`` and ``b`` with minigrad's backward formulas.

    Same arithmetic as the engine (new arrays, no in-place tricks), so the
    difference in time is framework overhead, not a better algorithm. One
    thing numpy does here that a framework holding its arrays in Variables
    cannot: in ``g * (1 - y * y)`` the temporaries have no other reference, so
    numpy reuses their buffers ("temporary elision", arrays over 256 KiB).
    ``elide=False`` names them, which turns that off and leaves exactly the
    engine's work.
    """
    g = np.ones_like(outs[-1])
    ga = gb = None
    for i in range(n_ops - 1, -1, -1):
        op = i % 4
        y = outs[i]
        if op == 0:  # h + a: both get g
            ga = g if ga is None else ga + g
        elif op == 1:  # h * b: b gets g * h, h gets g * b
            h_in = outs[i - 1] if i else x
            gbi = g * h_in
            gb = gbi if gb is None else gb + gbi
            g = g * b
        elif op == 2 and elide:  # tanh: g (1 - y^2)
            g = g * (1 - y * y)
        elif op == 2:
            y2 = y * y
            dy = 1 - y2
            g = g * dy
            del y2, dy
        else:  # exp: g y
            g = g * y
    return ga, gb


# -- one timed run per framework: (forward seconds, backward seconds) ------------
def numpy_step(x, a, b, n_ops, elide=True):
    t0 = time.perf_counter()
    outs = numpy_forward(x, a, b, n_ops)
    t1 = time.perf_counter()
    grads = numpy_backward(x, b, outs, n_ops, elide)
    del outs
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, grads


def minigrad_step(x, a, b, n_ops):
    a.cleargrad()
    b.cleargrad()
    t0 = time.perf_counter()
    h = chain(x, a, b, n_ops, F.tanh, F.exp)
    t1 = time.perf_counter()
    h.backward()
    del h
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, (a.grad.data, b.grad.data)


def torch_step(x, a, b, n_ops):
    a.grad = None
    b.grad = None
    t0 = time.perf_counter()
    h = chain(x, a, b, n_ops, torch.tanh, torch.exp)
    t1 = time.perf_counter()
    h.backward(torch.ones_like(h))
    del h
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, (a.grad.numpy(), b.grad.numpy())


# -- inputs, checks, timing ------------------------------------------------------
def make_inputs(size, seed):
    """x in [0.5, 1], a = -1, b in [0.96, 0.99]: the chain then settles near its
    fixed point h = 1, where each add-mul-tanh-exp cycle scales gradients by ~b,
    so 1000 ops neither overflow nor reach subnormal floats (which are slow)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.0, size).astype(np.float32)
    a = np.full(size, -1.0, dtype=np.float32)
    b = rng.uniform(0.96, 0.99, size).astype(np.float32)
    return x, a, b


def frameworks(x, a, b):
    """name -> (step, x, a, b) in that framework's own arrays."""
    out = {
        "numpy": (numpy_step, x, a, b),
        "numpy-ne": (functools.partial(numpy_step, elide=False), x, a, b),
    }
    out["minigrad"] = (
        minigrad_step,
        minigrad.Variable(x, requires_grad=False),
        minigrad.Variable(a),
        minigrad.Variable(b),
    )
    if torch is not None:
        out["torch"] = (
            torch_step,
            torch.from_numpy(x.copy()),
            torch.from_numpy(a.copy()).requires_grad_(),
            torch.from_numpy(b.copy()).requires_grad_(),
        )
    return out


def check_agreement(fws, n_ops):
    """Every framework must compute the same gradients, without under/overflow."""
    step, x, a, b = fws["numpy"]
    with np.errstate(under="raise", over="raise", invalid="raise", divide="raise"):
        ref = step(x, a, b, n_ops)[2]
    worst = 0.0
    for name, (step, *args) in fws.items():
        grads = step(*args, n_ops)[2]
        for got, want in zip(grads, ref):
            scale = float(np.abs(want).max())
            diff = float(np.abs(np.asarray(got) - want).max()) / scale
            if not diff < 1e-3:
                raise SystemExit(f"{name}: gradients differ from numpy's by {diff:.2e} (relative)")
            worst = max(worst, diff)
    return worst


def measure(fws, n_ops, repeats, warmup):
    """Time every framework, interleaved run by run so that load from other
    processes and drifting clocks fall on all of them alike."""
    for step, *args in fws.values():
        for _ in range(warmup):
            step(*args, n_ops)
    times = {name: {"forward": [], "backward": [], "total": [], "faults": []} for name in fws}
    for _ in range(repeats):
        for name, (step, *args) in fws.items():
            f0 = _page_faults()
            tf, tb, _ = step(*args, n_ops)
            t = times[name]
            t["faults"].append(_page_faults() - f0)
            t["forward"].append(tf)
            t["backward"].append(tb)
            t["total"].append(tf + tb)
    results = {}
    for name, t in times.items():
        results[name] = {"page_faults_median": statistics.median(t.pop("faults"))}
        for part, ts in t.items():
            results[name][part] = {
                "min_s": min(ts),
                "median_s": statistics.median(ts),
                "min_us_per_op": min(ts) / n_ops * 1e6,
                "median_us_per_op": statistics.median(ts) / n_ops * 1e6,
            }
    return results


def _page_faults():
    """Minor page faults of this process so far (0 where unknown)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def pin_malloc():
    """Keep glibc from handing freed memory back to the OS between runs.

    With its default, adaptive thresholds glibc serves the large case's 4 MB
    arrays either from memory it kept or from fresh pages, depending on the
    allocation history; fresh pages cost ~25,000 page faults (~55 ms) per run,
    more than the whole computation, and flip with unrelated changes. Fixed
    thresholds make every framework reuse memory, so runs time computation.
    Returns False where the C library has no ``mallopt`` (not glibc).
    """
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 1 << 30))


def run_case(name, size, n_ops, repeats, warmup, seed):
    fws = frameworks(*make_inputs(size, seed))
    worst = check_agreement(fws, n_ops)
    results = measure(fws, n_ops, repeats, warmup)
    ratios = {}
    for stat in ("min_s", "median_s"):
        key = stat[:-2]
        mg = results["minigrad"]["total"][stat]
        ratios[f"minigrad_over_numpy_{key}"] = mg / results["numpy"]["total"][stat]
        ratios[f"minigrad_over_numpy_ne_{key}"] = mg / results["numpy-ne"]["total"][stat]
        if "torch" in results:
            ratios[f"minigrad_over_torch_{key}"] = mg / results["torch"]["total"][stat]
            ratios[f"torch_over_numpy_{key}"] = (
                results["torch"]["total"][stat] / results["numpy"]["total"][stat]
            )
    return {
        "case": name,
        "size": size,
        "dtype": "float32",
        "n_ops": n_ops,
        "ops": list(CYCLE),
        "repeats": repeats,
        "warmup": warmup,
        "max_relative_gradient_difference": worst,
        "results": results,
        "ratios": ratios,
    }


# -- reporting -------------------------------------------------------------------
def machine_info():
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "numpy": np.__version__,
        "blas": _blas(),
        "minigrad": getattr(minigrad, "__version__", None),
        "torch": torch.__version__ if torch is not None else None,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
    }
    return info


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _blas():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: lib.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ]
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
    except (TypeError, KeyError):  # no mode= before numpy 1.26; layouts differ
        return None


def print_case(case):
    n = case["n_ops"]
    print(
        f"\n{case['case']}: {n} ops ({'/'.join(case['ops'])}) on {case['size']:,} float32 "
        f"elements, forward + backward, best of {case['repeats']} "
        f"(max relative gradient difference {case['max_relative_gradient_difference']:.1e})"
    )
    print(
        f"{'':10}{'fwd us/op':>11}{'bwd us/op':>11}{'total us/op':>13}{'median':>10}"
        f"{'total ms':>10}{'vs numpy':>10}{'faults':>8}"
    )
    base = case["results"]["numpy"]["total"]["min_s"]
    for fw, r in case["results"].items():
        print(
            f"{fw:10}{r['forward']['min_us_per_op']:11.2f}{r['backward']['min_us_per_op']:11.2f}"
            f"{r['total']['min_us_per_op']:13.2f}{r['total']['median_us_per_op']:10.2f}"
            f"{r['total']['min_s'] * 1e3:10.2f}{r['total']['min_s'] / base:9.2f}x"
            f"{r['page_faults_median']:8.0f}"
        )
    ratios = case["ratios"]
    over = (ratios["minigrad_over_numpy_min"] - 1) * 100
    print(f"minigrad overhead over hand-written numpy: {over:+.1f}% (min), "
          f"{(ratios['minigrad_over_numpy_median'] - 1) * 100:+.1f}% (median); "
          f"over numpy without temporary elision (numpy-ne): "
          f"{(ratios['minigrad_over_numpy_ne_min'] - 1) * 100:+.1f}% (min), "
          f"{(ratios['minigrad_over_numpy_ne_median'] - 1) * 100:+.1f}% (median)")
    if "minigrad_over_torch_min" in ratios:
        print(f"minigrad / PyTorch per op: {ratios['minigrad_over_torch_min']:.2f} (min), "
              f"{ratios['minigrad_over_torch_median']:.2f} (median)")


def write_json(path, payload):
    """Write ``payload`` to ``path`` with minigrad's atomic and durable writer."""
    with atomic_writer(path) as f:
        f.write(json.dumps(payload, indent=2).encode("utf-8"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time forward + backward of a chain of elementwise ops in minigrad, "
        "hand-written numpy and (if installed) PyTorch eager.",
    )
    p.add_argument("--case", choices=("small", "large", "all"), default="all",
                   help="which case to run (default: all)")
    p.add_argument("--small-size", type=int, default=16, help="elements in the small case (16)")
    p.add_argument("--small-ops", type=int, default=1000, help="ops in the small chain (1000)")
    p.add_argument("--small-repeats", type=int, default=50, help="timed runs, small case (50)")
    p.add_argument("--large-size", type=int, default=1_000_000,
                   help="elements in the large case (1000000)")
    p.add_argument("--large-ops", type=int, default=20, help="ops in the large chain (20)")
    p.add_argument("--large-repeats", type=int, default=30, help="timed runs, large case (30)")
    p.add_argument("--warmup", type=int, default=5,
                   help="untimed runs of each framework before timing (5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the input data (0)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--torch-threads", type=int, default=os.cpu_count(),
                   help=f"torch.set_num_threads (default os.cpu_count() = {os.cpu_count()})")
    p.add_argument("--default-malloc", action="store_true",
                   help="leave glibc's adaptive malloc thresholds alone (see pin_malloc)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = p.parse_args(argv)
    for name in ("small_size", "small_ops", "small_repeats", "large_size", "large_ops",
                 "large_repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.torch_threads < 1:
        p.error(f"--torch-threads must be at least 1, got {args.torch_threads}")
    if args.warmup < 0:
        p.error(f"--warmup must be at least 0, got {args.warmup}")
    return args


def main(argv=None):
    global torch
    args = parse_args(argv)
    if args.no_torch:
        torch = None
    if torch is not None:
        torch.set_num_threads(args.torch_threads)
    info = machine_info()
    info["malloc_pinned"] = False if args.default_malloc else pin_malloc()
    tch = f"torch {info['torch']} ({info['torch_threads']} threads)" if torch else "no torch"
    print(f"{info['cpu_model']}, {info['cpu_count']} CPUs; Python {info['python']}, "
          f"numpy {info['numpy']}, {tch}; malloc thresholds pinned: {info['malloc_pinned']}")
    cases = []
    if args.case in ("small", "all"):
        cases.append(run_case("small", args.small_size, args.small_ops, args.small_repeats,
                              args.warmup, args.seed))
        print_case(cases[-1])
    if args.case in ("large", "all"):
        cases.append(run_case("large", args.large_size, args.large_ops, args.large_repeats,
                              args.warmup, args.seed))
        print_case(cases[-1])
    if args.json:
        write_json(args.json, {"command": sys.argv, "machine": info, "cases": cases})
        print(f"\nresults written to {args.json}")


if __name__ == "__main__":
    main()
