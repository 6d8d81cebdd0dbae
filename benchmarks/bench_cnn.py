"""One training step of the reference notes' MNIST CNN: minigrad against PyTorch on the CPU.

The network of examples/mnist_cnn.py without its dropout layers: Conv2D(32, 3x3, relu) -
MaxPool(2) - Conv2D(64, 3x3, relu) - MaxPool(2) - Flatten - Dense(128, relu) - Dense(10), on
a batch of 128 float32 images of 1x28x28, softmax cross-entropy on the logits, one Adam
step. Each system runs in its own subprocess (so that each one's peak resident memory,
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, is its own, imports included) with the same
number of threads (``--threads``, default: the usable cores; OpenBLAS/OpenMP through the
environment, ``torch.set_num_threads`` for PyTorch). Both start from the same weights and
data, drawn with numpy from ``--seed``, and their first losses must agree. After
``--warmup`` untimed steps, ``--steps`` timed steps (time.perf_counter) split into forward
(with the loss), backward and optimizer; min and median are reported, and the ratio
minigrad / PyTorch. PyTorch is skipped where it is not importable. The report goes to
the section of the thread count in benchmarks/RESULTS.md (``--markdown`` for another file).

    python benchmarks/bench_cnn.py --json cnn.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time

from results import RESULTS, update_section, write_atomic

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, CLASSES = 128, 10
SHAPES = {"conv1.W": (32, 1, 3, 3), "conv1.b": (32,), "conv2.W": (64, 32, 3, 3), "conv2.b": (64,),
          "dense1.W": (1600, 128), "dense1.b": (128,), "dense2.W": (128, 10), "dense2.b": (10,)}


def initial_state(seed):
    """Weights (Glorot uniform kernels, zero biases; dense kernels as (in, out)), a batch of
    images in [0, 1) and integer labels, all float32 / int64 numpy arrays."""
    import numpy as np

    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in SHAPES.items():
        if len(shape) == 1:
            weights[name] = np.zeros(shape, np.float32)
            continue
        field = int(np.prod(shape[2:]))
        fan_in, fan_out = (shape[1] * field, shape[0] * field) if len(shape) == 4 else shape
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights[name] = rng.uniform(-limit, limit, shape).astype(np.float32)
    x = rng.uniform(0, 1, (BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    return weights, x, y


# -- one step per system: (forward, backward, optimizer) seconds and the loss --------------
def timed_step(optimizer, compute_loss):
    """A function running one training step (the same calls in minigrad and PyTorch) and
    returning its forward-with-loss, backward and optimizer seconds and the loss."""
    def step():
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss = compute_loss()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t2, loss.item()

    return step


def minigrad_cnn(weights):
    """The CNN in minigrad with ``weights`` (from :func:`initial_state`), on the CPU."""
    from minigrad import nn
    from minigrad.nn.conv import Conv2D
    from minigrad.nn.pooling import MaxPooling2D

    model = nn.Sequential(
        Conv2D(32, 3, activation="relu", in_channels=1, name="conv1"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu", in_channels=32, name="conv2"), MaxPooling2D(2),
        nn.Flatten(), nn.Dense(128, activation="relu", in_features=1600, name="dense1"),
        nn.Dense(10, in_features=128, name="dense2"),
    )
    model.load_state_dict(weights)
    return model


def torch_cnn(torch, weights):
    """The same CNN in PyTorch (``torch`` the module) with the same ``weights``, on the CPU."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1600, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10),
    )
    layers = [model[0], model[3], model[7], model[9]]
    with torch.no_grad():
        for layer, name in zip(layers, ("conv1", "conv2", "dense1", "dense2")):
            w = torch.from_numpy(weights[f"{name}.W"])
            layer.weight.copy_(w if w.ndim == 4 else w.T)   # Linear keeps (out, in)
            layer.bias.copy_(torch.from_numpy(weights[f"{name}.b"]))
    return model


def minigrad_stepper(weights, x, y):
    import minigrad
    from minigrad import F, optim

    model = minigrad_cnn(weights)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    xv = minigrad.Variable(x, requires_grad=False)
    return timed_step(optimizer, lambda: F.softmax_cross_entropy(model(xv), y))


def torch_stepper(weights, x, y, threads):
    import torch

    torch.set_num_threads(threads)
    model = torch_cnn(torch, weights)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    return timed_step(optimizer, lambda: loss_fn(model(xt), yt))


def worker(system, threads, steps, warmup, seed):
    """Run in a subprocess: time ``system`` and print one JSON line."""
    weights, x, y = initial_state(seed)
    step = minigrad_stepper(weights, x, y) if system == "minigrad" else \
        torch_stepper(weights, x, y, threads)
    first_loss = step()[3]
    for _ in range(warmup - 1):
        step()
    parts = {"forward": [], "backward": [], "optimizer": [], "total": []}
    for _ in range(steps):
        f, b, o, _ = step()
        for key, value in zip(parts, (f, b, o, f + b + o)):
            parts[key].append(value)
    result = {
        "first_loss": first_loss,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "ms": {key: {"min": min(v) * 1e3, "median": statistics.median(v) * 1e3}
               for key, v in parts.items()},
    }
    if system == "torch":
        import torch

        result["version"] = torch.__version__
        result["threads"] = torch.get_num_threads()
    print(json.dumps(result))


# -- the parent: one subprocess per system -------------------------------------------------
def torch_available():
    probe = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True,
                           check=False)
    return probe.returncode == 0


def run_worker(system, args):
    env = {**os.environ, **{v: str(args.threads) for v in
                            ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", system,
           "--threads", str(args.threads), "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--seed", str(args.seed)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench_cnn: the {system} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine_info(threads):
    import numpy as np

    model = None
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f
                          if line.startswith("model name")), None)
    except OSError:
        pass
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu_model": model, "cpus_usable": len(os.sched_getaffinity(0)),
            "load_average": os.getloadavg(), "numpy": np.__version__, "threads": threads}


def report(results):
    print(f"MNIST CNN training step, batch {BATCH} of 1x28x28 float32, Adam "
          f"(ms per step; min / median)")
    print(f"{'':10}{'forward':>17}{'backward':>17}{'optimizer':>15}{'total':>17}"
          f"{'peak RSS':>11}{'first loss':>12}")
    for system, r in results.items():
        ms = r["ms"]
        cells = "".join(f"{ms[k]['min']:8.1f} /{ms[k]['median']:6.1f}"
                        for k in ("forward", "backward", "optimizer", "total"))
        print(f"{system:10}{cells}{r['peak_rss_mib']:8.0f} MiB{r['first_loss']:12.5f}")


def markdown(results, ratios, machine, command, steps):
    """The report as a RESULTS.md section: machine, command, per-phase table, ratios."""
    m = machine
    plural = "s" if m["threads"] > 1 else ""
    lines = [
        f"## MNIST CNN training step, {m['threads']} thread{plural}",
        "",
        (f"Written by `benchmarks/bench_cnn.py` on "
         f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}: batch {BATCH} of 1x28x28 "
         f"float32, the network of examples/mnist_cnn.py without dropout, one Adam step; "
         f"{steps} timed steps after the warm-up."),
        "", "Command:", "", "```", command, "```", "",
        (f"Machine: {m['cpus_usable']} CPUs ({m['cpu_model']}), Python {m['python']}, numpy "
         f"{m['numpy']}, {m['platform']}; {m['threads']} BLAS / PyTorch thread{plural} per "
         f"process; load average {m['load_average'][0]:.2f} at the end."),
        "",
        "| system | forward | backward | optimizer | total (ms per step, min / median) | "
        "peak RSS (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for system, r in results.items():
        ms = r["ms"]
        cells = " | ".join(f"{ms[k]['min']:.1f} / {ms[k]['median']:.1f}"
                           for k in ("forward", "backward", "optimizer", "total"))
        lines.append(f"| {system} | {cells} | {r['peak_rss_mib']:.0f} |")
    if ratios:
        lines += ["", (f"minigrad / PyTorch per step: {ratios['minigrad_over_torch_min']:.2f} "
                       f"(min), {ratios['minigrad_over_torch_median']:.2f} (median); peak RSS "
                       f"{ratios['peak_rss_minigrad_over_torch']:.2f}. Targets: <= 2.0x per "
                       f"step, peak RSS <= PyTorch's.")]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                   help="BLAS / PyTorch threads (default: the usable cores)")
    p.add_argument("--steps", type=int, default=20, help="timed steps per system (20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first (3)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and data (0)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--json", default=None, help="also write the results to this file")
    p.add_argument("--markdown", default=RESULTS,
                   help="the markdown file whose section for this thread count gets the "
                        "report (default benchmarks/RESULTS.md)")
    p.add_argument("--worker", choices=("minigrad", "torch"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.steps < 1 or args.warmup < 1 or args.threads < 1:
        p.error("--steps, --warmup and --threads must be at least 1")
    if args.worker:
        return worker(args.worker, args.threads, args.steps, args.warmup, args.seed)

    systems = ["minigrad"] + ([] if args.no_torch or not torch_available() else ["torch"])
    results = {system: run_worker(system, args) for system in systems}
    report(results)
    ratios = {}
    if "torch" in results:
        mg, pt = results["minigrad"], results["torch"]
        gap = abs(mg["first_loss"] - pt["first_loss"])
        if gap > 1e-4 * abs(pt["first_loss"]):
            raise SystemExit(f"bench_cnn: the first losses differ (minigrad {mg['first_loss']}, "
                             f"PyTorch {pt['first_loss']}): the two networks are not the same")
        ratios = {f"minigrad_over_torch_{stat}": mg["ms"]["total"][stat] / pt["ms"]["total"][stat]
                  for stat in ("min", "median")}
        ratios["peak_rss_minigrad_over_torch"] = mg["peak_rss_mib"] / pt["peak_rss_mib"]
        print(f"minigrad / PyTorch per step: {ratios['minigrad_over_torch_min']:.2f} (min), "
              f"{ratios['minigrad_over_torch_median']:.2f} (median); peak RSS "
              f"{ratios['peak_rss_minigrad_over_torch']:.2f}")
    else:
        print("PyTorch is not importable here (or --no-torch): minigrad alone")
    machine = machine_info(args.threads)
    if args.json:
        write_atomic(args.json, json.dumps(
            {"benchmark": "bench_cnn", "machine": machine, "steps": args.steps,
             "warmup": args.warmup, "seed": args.seed, "results": results, "ratios": ratios},
            indent=2))
    script = os.path.relpath(os.path.abspath(__file__), os.path.dirname(HERE))
    given = sys.argv[1:] if argv is None else argv
    command = "python " + " ".join(shlex.quote(a) for a in [script, *given])
    update_section(args.markdown, f"cnn-threads-{args.threads}",
                   markdown(results, ratios, machine, command, args.steps))
    print(f"wrote {os.path.relpath(args.markdown)}")


if __name__ == "__main__":
    main()
