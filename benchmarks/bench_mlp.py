"""The Keras-classic MLP in minigrad, a hand-written numpy program and PyTorch CPU eager.

784-512-512-10, ReLU, dropout 0.2 after each hidden layer, softmax cross-entropy,
Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8), batch 128, float32, Glorot-uniform
weights and zero biases, ``--epochs`` epochs (default 5: the steady state matters)
on Fashion-MNIST from /usr/share/datasets/fashion-mnist/ when the files are there,
else synthetic data of the same shape (the report says which).

Each system trains in a process of its own (``--worker``), so its memory and
allocator state are its own. Peak RSS is the peak while training: the kernel's
high-water mark is reset once the data are loaded (``/proc/self/clear_refs``;
the whole process's ``getrusage`` peak where that is not supported), so the
data loading, the same in every worker, does not hide the training's memory:

* ``minigrad``: the explicit loop a user writes (DataLoader, ``model(x)``,
  ``F.softmax_cross_entropy``, ``backward()``, ``Adam.step()``), each phase timed;
* ``minigrad-fit``: the same model through ``model.compile`` / ``model.fit``;
* ``minigrad-noflush``: the loop with ``Adam(flush_subnormals=False)``;
* ``numpy``: the hand-written program of ``benchmarks/numpy_mlp.py``;
* ``torch`` and ``torch-fused``: PyTorch eager with default ``Adam`` and with
  ``Adam(fused=True)``, ``torch.set_num_threads(threads)`` (when torch
  is importable). Batches are taken by indexing the tensors with a random
  permutation (a ``DataLoader`` over a ``TensorDataset`` collates samples one
  by one and would slow PyTorch down for reasons that are not its math).

Reported per system: seconds of the first epoch and the steady state (mean of
epochs 2..N), ms per step split into forward / backward / optimizer (steady
state; "other" is fetching batches and the loop), CPU seconds per epoch, RSS
after loading the data and peak RSS while training, test accuracy, and the
ratios minigrad / numpy baseline and minigrad / PyTorch. The FLOP count of one
step and the matmul-only bound come from timing the step's eight matrix
products with numpy's sgemm in this run.

    python benchmarks/bench_mlp.py                        # 5 epochs, writes RESULTS.md
    python benchmarks/bench_mlp.py --quick                # a few hundred steps
    python benchmarks/bench_mlp.py --json out.json --systems minigrad,numpy
    python benchmarks/bench_mlp.py --threads 1            # on a busy machine

``--threads`` (default: the number of CPUs) sets OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS of every worker and PyTorch's thread
count; the sgemm rate is measured in a worker with the same setting.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import itertools
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from results import RESULTS, update_section, write_atomic

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA_DIR = "/usr/share/datasets/fashion-mnist"
SIZES = (784, 512, 512, 10)
BATCH = 128
QUICK_STEPS = 150  # steps per epoch with --quick (2 epochs: 300 steps)
SYSTEMS = ("minigrad", "minigrad-fit", "minigrad-noflush", "numpy", "torch", "torch-fused")
DEFAULT_SYSTEMS = ("minigrad", "minigrad-fit", "numpy", "torch", "torch-fused")
LABELS = {
    "minigrad": "minigrad (explicit loop)",
    "minigrad-fit": "minigrad (model.fit)",
    "minigrad-noflush": "minigrad, flush_subnormals=False",
    "numpy": "hand-written numpy",
    "torch": "PyTorch eager, Adam default",
    "torch-fused": "PyTorch eager, Adam(fused=True)",
}


# -- FLOPs and the matmul bound ---------------------------------------------------------
def matmul_shapes(batch=BATCH, sizes=SIZES):
    """(m, k, n) of the products of one training step: the forward x W of every layer,
    dW = x^T gy of every layer, dx = gy W^T of every layer but the first."""
    layers = list(itertools.pairwise(sizes))
    forward = [(batch, i, o) for i, o in layers]
    weights = [(i, batch, o) for i, o in layers]
    inputs = [(batch, o, i) for i, o in layers[1:]]
    return forward + weights + inputs


def step_flops(batch=BATCH):
    return sum(2 * m * k * n for m, k, n in matmul_shapes(batch))


def sgemm_seconds_per_step(repeats=30, batch=BATCH):
    """Best time (over ``repeats``) of the step's eight float32 products with numpy."""
    rng = np.random.default_rng(0)
    pairs = [(rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32))
             for m, k, n in matmul_shapes(batch)]
    outs = [np.empty((a.shape[0], b.shape[1]), np.float32) for a, b in pairs]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for (a, b), out in zip(pairs, outs):
            np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return best


# -- data ---------------------------------------------------------------------------------
def data_kind():
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    return "fashion-mnist" if all(os.path.exists(os.path.join(DATA_DIR, n)) for n in names) \
        else "synthetic"


def load(kind, quick, seed):
    """((x_train, y_train), (x_test, y_test)) as host float32 / int64 arrays."""
    if kind == "fashion-mnist":
        # minigrad's IDX reader gives uint8 images; scaling them into one float32
        # array keeps the loading peak low, so peak RSS shows the training itself
        from minigrad.data import FashionMNIST
        arrays = []
        for split in ("train", "test"):
            images, labels = FashionMNIST.fetch(split, root=DATA_DIR)
            x = np.empty((len(images), 784), np.float32)
            np.multiply(images.reshape(len(images), 784), 1 / 255, out=x)
            arrays.append((x, labels.astype(np.int64)))
        (x, y), (x_test, y_test) = arrays
    else:  # 10 noisy class prototypes: learnable, same shapes and dtypes as the real data
        rng = np.random.default_rng(seed)
        protos = rng.random((10, 784), dtype=np.float32)
        y_all = rng.integers(0, 10, 70000)
        x_all = protos[y_all] + rng.normal(0, 0.35, (70000, 784)).astype(np.float32)
        np.clip(x_all, 0, 1, out=x_all)
        x, y, x_test, y_test = x_all[:60000], y_all[:60000], x_all[60000:], y_all[60000:]
    if quick:
        x, y = x[:QUICK_STEPS * BATCH], y[:QUICK_STEPS * BATCH]
    return (x, y), (x_test, y_test)


def _status_mb(field):
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``) in MB, or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak_rss():
    """Restart the kernel's peak-RSS count at the current RSS (Linux >= 4.0), so the
    peak measured later is the training's, not the data loading's; False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    """Peak RSS in MB: since :func:`reset_peak_rss` where it worked, else of the process."""
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = peak / 1024 if sys.platform != "darwin" else peak / 2**20
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else peak


class Epochs:
    """Per-epoch wall and CPU seconds, phase seconds and mean loss."""

    def __init__(self):
        self.records = []

    def start(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.phases, self.losses = [0.0, 0.0, 0.0], []

    def step(self, opt, compute_loss):
        """One training step, each phase timed: ``compute_loss()`` (forward and loss),
        ``backward()``, ``opt.step()``; the same calls in minigrad and PyTorch."""
        clock = time.perf_counter
        t0 = clock()
        opt.zero_grad()
        loss = compute_loss()
        t1 = clock()
        loss.backward()
        t2 = clock()
        opt.step()
        t3 = clock()
        self.phases[0] += t1 - t0
        self.phases[1] += t2 - t1
        self.phases[2] += t3 - t2
        self.losses.append(loss.item())

    def stop(self, steps=None):
        self.records.append({
            "seconds": time.perf_counter() - self.wall,
            "cpu_seconds": time.process_time() - self.cpu,
            "steps": steps if steps is not None else len(self.losses),
            "forward": self.phases[0], "backward": self.phases[1], "optimizer": self.phases[2],
            "loss": float(np.mean(self.losses)) if self.losses else None,
        })
        print(f"  epoch {len(self.records)}: {self.records[-1]['seconds']:.2f} s",
              file=sys.stderr, flush=True)


# -- the workers --------------------------------------------------------------------------
def run_minigrad(args, train, test, flush=True):
    import minigrad
    from minigrad import F, data, nn, optim

    minigrad.manual_seed(args.seed)
    model = minigrad_model(nn)
    opt = optim.Adam(model.parameters(), lr=1e-3, **({} if flush else {"flush_subnormals": False}))
    loader = data.DataLoader(data.ArrayDataset(*train), batch_size=BATCH, shuffle=True)
    log = Epochs()
    for _ in range(args.epochs):
        log.start()
        for x, y in loader:
            log.step(opt, lambda: F.softmax_cross_entropy(model(x), y))
        log.stop()
    tiny = float(np.finfo(np.float32).tiny)
    subnormal = sum(int(np.count_nonzero((a != 0) & (np.abs(a) < tiny)))
                    for state in opt.state.values() for a in state.values()
                    if isinstance(a, np.ndarray))
    return log.records, minigrad_accuracy(minigrad, model, test), {"subnormal_state": subnormal}


def minigrad_model(nn, sizes=SIZES):
    """The MLP in minigrad (``nn`` is ``minigrad.nn``): ReLU, dropout 0.2, Keras' init."""
    inputs, width, _, classes = sizes
    return nn.Sequential(
        nn.Dense(width, activation="relu", in_features=inputs), nn.Dropout(0.2),
        nn.Dense(width, activation="relu", in_features=width), nn.Dropout(0.2),
        nn.Dense(classes, in_features=width),
    )


def torch_model(nn, sizes=SIZES):
    """The same MLP in PyTorch (``nn`` is ``torch.nn``), with Keras' initialization
    (Glorot-uniform weights, zero biases) as in the other systems."""
    inputs, width, _, classes = sizes
    model = nn.Sequential(
        nn.Linear(inputs, width), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(width, width), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(width, classes),
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


def minigrad_accuracy(minigrad, model, test):
    x, y = test
    model.eval()
    hits = 0
    with minigrad.no_grad():
        for lo in range(0, len(x), 1000):
            hits += int(np.sum(np.argmax(model(x[lo:lo + 1000]).data, axis=1) == y[lo:lo + 1000]))
    return hits / len(x)


def run_minigrad_fit(args, train, test):
    import functools

    import minigrad
    from minigrad import nn, optim, training

    class Timer(training.Callback):
        def on_train_begin(self, logs=None):
            self.log = Epochs()

        def on_epoch_begin(self, epoch, logs=None):
            self.log.start()
            self.steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1

        def on_epoch_end(self, epoch, logs=None):
            self.log.stop(self.steps)
            self.log.records[-1]["loss"] = logs["loss"]

    minigrad.manual_seed(args.seed)
    model = minigrad_model(nn)
    model.compile(optimizer=functools.partial(optim.Adam, lr=1e-3),
                  loss="softmax_cross_entropy")
    timer = Timer()
    model.fit(*train, batch_size=BATCH, epochs=args.epochs, verbose=0, callbacks=[timer])
    return timer.log.records, minigrad_accuracy(minigrad, model, test), {}


def run_numpy(args, train, test):
    sys.path.insert(0, HERE)
    import numpy_mlp

    model, records = numpy_mlp.train(
        *train, epochs=args.epochs, batch_size=BATCH, seed=args.seed,
        on_epoch=lambda e, r: print(f"  epoch {e + 1}: {r['seconds']:.2f} s", file=sys.stderr,
                                    flush=True))
    x, y = test
    return records, float(np.mean(model.predict(x) == y)), {}


def run_torch(args, train, test, fused):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = torch_model(torch.nn)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True if fused else None)
    x, y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    log = Epochs()
    cross_entropy = torch.nn.functional.cross_entropy
    for _ in range(args.epochs):
        log.start()
        order = torch.randperm(len(x))
        for lo in range(0, len(x), BATCH):
            idx = order[lo:lo + BATCH]
            xb, yb = x[idx], y[idx]
            log.step(opt, lambda: cross_entropy(model(xb), yb))
        log.stop()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(test[0])).argmax(dim=1).numpy()
    extra = {"torch": torch.__version__, "torch_threads": torch.get_num_threads()}
    return log.records, float(np.mean(pred == test[1])), extra


def worker(args):
    if args.worker == "sgemm":
        seconds = sgemm_seconds_per_step()
        return write_atomic(args.out, json.dumps({"seconds": seconds}))
    start_load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    train, test = load(args.data, args.quick, args.seed)
    rss_loaded = _status_mb("VmRSS")
    peak_since_load = reset_peak_rss()
    runners = {
        "minigrad": lambda: run_minigrad(args, train, test),
        "minigrad-noflush": lambda: run_minigrad(args, train, test, flush=False),
        "minigrad-fit": lambda: run_minigrad_fit(args, train, test),
        "numpy": lambda: run_numpy(args, train, test),
        "torch": lambda: run_torch(args, train, test, fused=False),
        "torch-fused": lambda: run_torch(args, train, test, fused=True),
    }
    records, accuracy, extra = runners[args.worker]()
    result = {
        "system": args.worker, "label": LABELS[args.worker], "epochs": records,
        "accuracy": accuracy, "peak_rss_mb": peak_rss_mb(), "rss_after_load_mb": rss_loaded,
        "peak_rss_since_load": peak_since_load,
        "loadavg_start": start_load,
        "loadavg_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None, **extra,
    }
    write_atomic(args.out, json.dumps(result, indent=1))


# -- the parent: run, summarize, report -------------------------------------------------
def run_worker(system, args, kind):
    fd, out = tempfile.mkstemp(prefix=f"bench-mlp-{system}-", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", system, "--out", out,
           "--epochs", str(args.epochs), "--seed", str(args.seed), "--data", kind,
           "--threads", str(args.threads)]
    if args.quick:
        cmd.append("--quick")
    if system != "sgemm":
        print(f"{LABELS[system]} ...", file=sys.stderr, flush=True)
    threads = str(args.threads)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
           "MKL_NUM_THREADS": threads, "PYTHONPATH": os.pathsep.join(
               [ROOT] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))}
    try:
        subprocess.run(cmd, check=True, env=env)
        with open(out) as f:
            return json.load(f)
    finally:
        os.unlink(out)


def summarize(result):
    epochs = result["epochs"]
    steady = epochs[1:] or epochs
    steps = sum(e["steps"] for e in steady)
    seconds = statistics.fmean(e["seconds"] for e in steady)
    phases = {k: 1e3 * sum(e[k] for e in steady) / steps for k in ("forward", "backward",
                                                                     "optimizer")}
    phases["other"] = 1e3 * sum(e["seconds"] for e in steady) / steps - sum(phases.values())
    return {
        "first_epoch_s": epochs[0]["seconds"], "steady_epoch_s": seconds,
        "steady_cpu_s": statistics.fmean(e["cpu_seconds"] for e in steady),
        "steps_per_epoch": epochs[0]["steps"], "ms_per_step": phases,
        "peak_rss_mb": result["peak_rss_mb"], "rss_after_load_mb": result["rss_after_load_mb"],
        "accuracy": result["accuracy"], "timed_phases": "minigrad-fit" != result["system"],
    }


def combine(runs):
    """One summary per system from its repeats: medians of the timings."""
    first = summarize(runs[0])
    if len(runs) == 1:
        return first
    summaries = [summarize(r) for r in runs]
    out = dict(first)
    for key in ("first_epoch_s", "steady_epoch_s", "steady_cpu_s", "peak_rss_mb", "accuracy"):
        out[key] = statistics.median(s[key] for s in summaries)
    out["ms_per_step"] = {k: statistics.median(s["ms_per_step"][k] for s in summaries)
                          for k in first["ms_per_step"]}
    out["steady_epoch_s_runs"] = [s["steady_epoch_s"] for s in summaries]
    return out


def ratios(summary):
    """minigrad's steady epoch (and peak RSS) over each other system's."""
    mine = summary.get("minigrad")
    if mine is None:
        return {}
    out = {}
    for system, s in summary.items():
        if system != "minigrad":
            out[system] = {"time": mine["steady_epoch_s"] / s["steady_epoch_s"],
                           "peak_rss": mine["peak_rss_mb"] / s["peak_rss_mb"]}
    return out


TARGETS = (  # (description, system, key, bound)
    ("steady epoch <= 1.00x the numpy baseline", "numpy", "time", 1.00),
    ("steady epoch <= 0.75x PyTorch default", "torch", "time", 0.75),
    ("steady epoch <= 1.00x PyTorch fused Adam", "torch-fused", "time", 1.00),
    ("peak RSS <= 1.2x the numpy baseline", "numpy", "peak_rss", 1.2),
)


def target_rows(summary, ratio):
    rows = []
    for text, system, key, bound in TARGETS:
        if system in ratio:
            value = ratio[system][key]
            rows.append((text, f"{value:.2f}x", "met" if value <= bound else "not met"))
    if "minigrad" in summary:
        acc = summary["minigrad"]["accuracy"]
        rows.append(("test accuracy >= 87% after 5 epochs", f"{100 * acc:.1f}%",
                     "met" if acc >= 0.87 else "not met"))
    return rows


def machine(threads):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    blas = "unknown"
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except (KeyError, TypeError, ValueError):  # numpy builds without a BLAS section
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "numpy": np.__version__, "blas": blas, "platform": platform.platform(),
            "threads": threads}


def print_table(summary, ratio, bound_epoch):
    head = (f"{'system':34s} {'1st ep s':>8s} {'steady s':>8s} {'cpu s':>7s} "
            f"{'fwd':>6s} {'bwd':>6s} {'opt':>6s} {'other':>6s} {'x bound':>7s} "
            f"{'RSS MB':>7s} {'acc':>6s} {'mg/this':>7s}")
    print(head)
    for system, s in summary.items():
        ms = s["ms_per_step"]
        split = [f"{ms[k]:6.2f}" if s["timed_phases"] else f"{'-':>6s}"
                 for k in ("forward", "backward", "optimizer")] + [
                     f"{ms['other']:6.2f}" if s["timed_phases"] else f"{'-':>6s}"]
        r = f"{ratio[system]['time']:7.2f}" if system in ratio else f"{'':>7s}"
        print(f"{LABELS[system]:34s} {s['first_epoch_s']:8.2f} {s['steady_epoch_s']:8.2f} "
              f"{s['steady_cpu_s']:7.2f} {' '.join(split)} "
              f"{s['steady_epoch_s'] / bound_epoch:7.2f} {s['peak_rss_mb']:7.0f} "
              f"{100 * s['accuracy']:5.1f}% {r}")


def markdown(report):
    m, summary, ratio = report["machine"], report["summary"], report["ratios"]
    bound = report["matmul"]
    steps = next(iter(summary.values()))["steps_per_epoch"]
    data = report["data"]
    if data == "synthetic":
        data += " (the Fashion-MNIST files were not found)"
    torch_text = f", PyTorch {report['torch']}" if report.get("torch") else ""
    plural = "s" if m["threads"] > 1 else ""
    repeat = (f" (median over {report['repeat']} runs; range in brackets)"
              if report["repeat"] > 1 else "")
    lines = [
        f"## MLP training, {m['threads']} thread{plural}",
        "",
        (f"Written by `benchmarks/bench_mlp.py` on {report['date']}. Data: {data}; "
         f"{report['epochs']} epochs of {steps} steps, batch {BATCH}, float32."),
        "",
        "Command:",
        "",
        "```",
        report["command"],
        "```",
        "",
        (f"Machine: {m['nproc']} CPUs ({m['cpu']}), Python {m['python']}, numpy {m['numpy']} "
         f"with {m['blas']}, {m['platform']}{torch_text}; {m['threads']} BLAS / PyTorch "
         f"thread{plural} per process. Load average before / after the run: "
         f"{report['loadavg'][0]:.2f} / {report['loadavg'][1]:.2f} (other jobs share this "
         f"machine, so times vary about +-15% between runs; compare ratios taken in one run)."),
        "",
        (f"One step's matrix products: {bound['step_mflop']:.0f} MFLOP; numpy sgemm ran them "
         f"at {bound['gflops']:.0f} GFLOP/s in this run, so the matmul-only bound is "
         f"{bound['ms_per_step']:.2f} ms per step, {bound['epoch_s']:.2f} s per epoch."),
        "",
        ("| system | first epoch (s) | steady epoch (s) | CPU s / epoch | fwd / bwd / opt / "
         "other (ms per step) | x matmul bound | RSS after loading / peak while training "
         "(MB) | test accuracy | minigrad / this |"),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for system, s in summary.items():
        ms = s["ms_per_step"]
        if s["timed_phases"]:
            split = " / ".join(f"{ms[k]:.2f}" for k in ("forward", "backward", "optimizer",
                                                         "other"))
        else:
            split = f"(not split) {sum(ms.values()):.2f}"
        r = f"{ratio[system]['time']:.2f}" if system in ratio else "-"
        runs = s.get("steady_epoch_s_runs")
        spread = f" ({min(runs):.2f}-{max(runs):.2f})" if runs else ""
        lines.append(
            f"| {LABELS[system]} | {s['first_epoch_s']:.2f} | {s['steady_epoch_s']:.2f}{spread} | "
            f"{s['steady_cpu_s']:.2f} | {split} | {s['steady_epoch_s'] / bound['epoch_s']:.2f} | "
            f"{s['rss_after_load_mb']:.0f} / {s['peak_rss_mb']:.0f} | "
            f"{100 * s['accuracy']:.1f}% | {r} |")
    lines += ["", (f"Steady state is the mean of epochs 2..N{repeat}. CPU seconds count every "
                   "thread of the process (BLAS uses several)."), ""]
    rows = report["targets"]
    if rows:
        lines += ["### Targets (steady state, same run)", "", "| target | measured | |",
                  "|---|---|---|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        lines.append("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=None, help="epochs per system (default 5; "
                   "2 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK_STEPS} steps per epoch, 2 epochs (a few hundred steps)")
    p.add_argument("--systems", default=",".join(DEFAULT_SYSTEMS),
                   help=f"comma-separated, from {', '.join(SYSTEMS)}")
    p.add_argument("--repeat", type=int, default=1,
                   help="run every system this many times (order rotated); report medians")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="write the results (all runs and the summary) here")
    p.add_argument("--markdown", help="write the markdown report into this file (default "
                   "benchmarks/RESULTS.md, but none with --quick): the section of the "
                   "thread count is replaced, the others stay")
    p.add_argument("--threads", type=int, default=os.cpu_count(),
                   help="BLAS and PyTorch threads of every worker (default: all CPUs)")
    p.add_argument("--worker", choices=SYSTEMS + ("sgemm",), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.epochs is None:
        args.epochs = 2 if args.quick else 5
    if args.epochs < 1:
        p.error("--epochs must be at least 1")
    if args.threads < 1:
        p.error("--threads must be at least 1")
    if args.worker:
        return worker(args)

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        p.error(f"unknown systems {unknown}; choose from {', '.join(SYSTEMS)}")
    if importlib.util.find_spec("torch") is None:
        skipped = [s for s in systems if s.startswith("torch")]
        if skipped:
            print(f"PyTorch is not importable: skipping {', '.join(skipped)}", file=sys.stderr)
        systems = [s for s in systems if not s.startswith("torch")]
    kind = data_kind()
    script = os.path.relpath(os.path.abspath(__file__), ROOT)
    command = "python " + " ".join(shlex.quote(a) for a in [script, *sys.argv[1:]])
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    sgemm = run_worker("sgemm", args, kind)["seconds"]
    runs = {s: [] for s in systems}
    for r in range(args.repeat):
        order = systems[r % len(systems):] + systems[:r % len(systems)]
        for system in order:
            runs[system].append(run_worker(system, args, kind))
    sgemm = min(sgemm, run_worker("sgemm", args, kind)["seconds"])
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    summary = {s: combine(runs[s]) for s in systems}
    steps = next(iter(summary.values()))["steps_per_epoch"]
    flops = step_flops()
    matmul = {"step_mflop": flops / 1e6, "gflops": flops / sgemm / 1e9,
              "ms_per_step": 1e3 * sgemm, "epoch_s": sgemm * steps}
    ratio = ratios(summary)
    torch_version = next((r["torch"] for s in systems for r in runs[s] if "torch" in r), None)
    report = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "command": command,
        "data": kind, "epochs": args.epochs, "repeat": args.repeat, "quick": args.quick,
        "machine": machine(args.threads), "torch": torch_version,
        "loadavg": [load_before, load_after],
        "matmul": matmul, "summary": summary, "ratios": ratio, "runs": runs,
    }
    report["targets"] = target_rows(summary, ratio) if not args.quick else []

    print(f"\ndata: {kind}; {flops / 1e6:.0f} MFLOP per step; sgemm {matmul['gflops']:.0f} "
          f"GFLOP/s -> matmul bound {matmul['ms_per_step']:.2f} ms/step, "
          f"{matmul['epoch_s']:.2f} s/epoch; {args.threads} thread(s); load average "
          f"{load_before:.2f} -> {load_after:.2f}")
    print("ms per step (steady state): fwd / bwd / opt / other; mg/this = minigrad's steady "
          "epoch over this system's\n")
    print_table(summary, ratio, matmul["epoch_s"])
    for text, value, verdict in report["targets"]:
        print(f"  {text}: {value} ({verdict})")
    if args.json:
        write_atomic(args.json, json.dumps(report, indent=1))
    path = args.markdown or (None if args.quick else RESULTS)
    if path:
        update_section(path, f"mlp-threads-{args.threads}", markdown(report))
        print(f"\nwrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
