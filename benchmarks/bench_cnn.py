"""The reference notes' MNIST CNN on the CPU: minigrad against PyTorch, interleaved in one process.

The network of examples/mnist_cnn.py without its dropout layers: Conv2D(32, 3x3, relu) -
MaxPool(2) - Conv2D(64, 3x3, relu) - MaxPool(2) - Flatten - Dense(128, relu) - Dense(10),
float32, on Fashion-MNIST images from /usr/share/datasets/fashion-mnist/ (uniform noise of
the same shape where the files are missing). Both frameworks start from the same weights
(their first losses must agree) and cycle through the same batches.

Two measurements, each in interleaved rounds in one process (blocks of each system
alternate, so a change in the machine's load hits both; each round gives its own ratio):

* training: ``--block`` steps of ``zero_grad``, forward with softmax cross-entropy,
  ``backward``, Adam (lr 1e-3), at batch ``--batch`` (128), split into the three phases;
* inference: ``--infer-block`` forward passes under ``no_grad`` (``torch.no_grad``) in
  evaluation mode at batch ``--infer-batch`` (1024).

Times are CPU seconds with one thread (the least disturbed by other jobs) and wall seconds
with more, as in bench_step.py. Reported: median ms per step and phase, minigrad / PyTorch
per round (median, min, max). Peak resident memory while training is measured apart, in a
fresh subprocess per system (VmHWM after ``--memory-steps`` steps on batches of noise,
imports included), since a shared process has one peak. ``--threads`` (default: the usable cores) sets OpenBLAS /
OpenMP through the environment before numpy loads, and ``torch.set_num_threads``. PyTorch
is skipped where it is not importable. The report goes to the section of the thread count
in benchmarks/RESULTS.md (``--markdown`` for another file).

    python benchmarks/bench_cnn.py --threads 1 --json cnn1.json
    python benchmarks/bench_cnn.py --rounds 2 --block 1 --infer-block 1 --markdown /tmp/r.md
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

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = 10
POOL = 4  # distinct batches, used in turn
SHAPES = {"conv1.W": (32, 1, 3, 3), "conv1.b": (32,), "conv2.W": (64, 32, 3, 3), "conv2.b": (64,),
          "dense1.W": (1600, 128), "dense1.b": (128,), "dense2.W": (128, 10), "dense2.b": (10,)}
PHASES = ("forward", "backward", "optimizer")


def initial_state(seed, batch=128):
    """Weights (Glorot uniform kernels, zero biases; dense kernels as (in, out)), a batch of
    ``batch`` images in [0, 1) and integer labels, all float32 / int64 numpy arrays."""
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
    x = rng.uniform(0, 1, (batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, CLASSES, batch)
    return weights, x, y


def data_batches(batch, count, seed):
    """``count`` batches of (images (batch, 1, 28, 28) float32 in [0, 1], int64 labels):
    the first Fashion-MNIST training images, else :func:`initial_state`'s noise."""
    import numpy as np

    files = [os.path.join(DATA_DIR, f"train-{kind}-idx{n}-ubyte.gz")
             for kind, n in (("images", 3), ("labels", 1))]
    if all(os.path.exists(f) for f in files):
        from minigrad.io.idx import read_idx

        images, labels = (np.asarray(read_idx(f)) for f in files)
        need = batch * count
        x = (images[:need].reshape(count, batch, 1, 28, 28) / np.float32(255)).astype(np.float32)
        y = labels[:need].astype(np.int64).reshape(count, batch)
        kind = "fashion-mnist"
    else:
        x = np.stack([initial_state(seed + 1 + i, batch)[1] for i in range(count)])
        y = np.stack([initial_state(seed + 1 + i, batch)[2] for i in range(count)])
        kind = "synthetic"
    return [(x[i], y[i]) for i in range(count)], kind


# -- the two networks --------------------------------------------------------------------
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


class System:
    """A training step in three timed phases and an inference forward, on host
    batches; subclasses set ``model``, ``optimizer``, ``no_grad`` (their library's)
    and ``tensor`` (host array -> input without a gradient)."""

    def backward(self, loss):
        loss.backward()

    def update(self):
        self.optimizer.step()

    def infer(self, x):
        self.model.eval()
        with self.no_grad():
            out = self.model(self.tensor(x))
        self.model.train()
        return out


class MinigradSystem(System):
    """minigrad's training step and inference forward, on host batches."""

    def __init__(self, weights):
        import minigrad
        from minigrad import F, optim

        self.F, self.no_grad = F, minigrad.no_grad
        self.tensor = lambda x: minigrad.Variable(x, requires_grad=False)  # as torch.from_numpy
        self.model = minigrad_cnn(weights)
        self.optimizer = optim.Adam(self.model.parameters(), lr=1e-3)

    def forward(self, x, y):
        self.optimizer.zero_grad()
        return self.F.softmax_cross_entropy(self.model(self.tensor(x)), y)



class TorchSystem(System):
    """PyTorch's training step (default Adam) and inference forward, on host batches."""

    def __init__(self, weights, threads):
        import torch

        torch.set_num_threads(threads)
        self.torch, self.no_grad, self.tensor = torch, torch.no_grad, torch.from_numpy
        self.model = torch_cnn(torch, weights)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def forward(self, x, y):
        self.optimizer.zero_grad()
        return self.loss_fn(self.model(self.torch.from_numpy(x)), self.torch.from_numpy(y))



def make_system(name, weights, threads):
    return MinigradSystem(weights) if name == "minigrad" else TorchSystem(weights, threads)


# -- interleaved rounds ------------------------------------------------------------------
def measure(args, systems):
    """``{"train": {system: [[fwd, bwd, opt] per round]}, "infer": {system: [ms per round]},
    "first_loss": {system: loss}, "data": kind}``, times in ms per step."""
    weights = initial_state(args.seed)[0]
    train, kind = data_batches(args.batch, POOL, args.seed)
    infer, _ = data_batches(args.infer_batch, 1, args.seed)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    made = {name: make_system(name, weights, args.threads) for name in systems}
    first = {name: s.forward(*train[0]).item() for name, s in made.items()}
    turn = {name: 0 for name in made}

    def train_block(name, count):
        s, phases = made[name], [0.0, 0.0, 0.0]
        for _ in range(count):
            x, y = train[turn[name] % POOL]
            turn[name] += 1
            t0 = clock()
            loss = s.forward(x, y)
            t1 = clock()
            s.backward(loss)
            t2 = clock()
            s.update()
            t3 = clock()
            for i, t in enumerate((t1 - t0, t2 - t1, t3 - t2)):
                phases[i] += t
        return [1e3 * t / count for t in phases]

    def infer_block(name, count):
        start = clock()
        for _ in range(count):
            made[name].infer(infer[0][0])
        return 1e3 * (clock() - start) / count

    for name in made:
        train_block(name, args.warmup)
        infer_block(name, 1)
    rounds = {"train": {name: [] for name in made}, "infer": {name: [] for name in made}}
    for _ in range(args.rounds):
        for name in made:
            rounds["train"][name].append(train_block(name, args.block))
        for name in made:
            rounds["infer"][name].append(infer_block(name, args.infer_block))
    rounds["first_loss"], rounds["data"] = first, kind
    return rounds


def summarize(rounds):
    """Medians per system and phase; minigrad / PyTorch per round (median, min, max)."""
    out = {"train": {}, "infer": {}, "ratios": {}}
    for name, rows in rounds["train"].items():
        out["train"][name] = {p: statistics.median(r[i] for r in rows)
                              for i, p in enumerate(PHASES)}
        totals = [sum(r) for r in rows]
        out["train"][name]["step"] = statistics.median(totals)
        out["train"][name]["step_range"] = (min(totals), max(totals))
    for name, values in rounds["infer"].items():
        out["infer"][name] = {"forward": statistics.median(values),
                              "range": (min(values), max(values))}
    if "torch" in rounds["train"]:
        for kind, total in (("train", sum), ("infer", float)):
            ratios = [total(a) / total(b)
                      for a, b in zip(rounds[kind]["minigrad"], rounds[kind]["torch"])]
            out["ratios"][kind] = {"median": statistics.median(ratios), "min": min(ratios),
                                   "max": max(ratios)}
    return out


# -- peak memory: one fresh process per system -------------------------------------------
def rss_worker(system, args):
    """Run in a subprocess: a few training steps of ``system``; print its peak RSS (MiB).
    The batches are noise of the images' shape: reading the data set would put its
    decompression into the peak."""
    weights, x, y = initial_state(args.seed, args.batch)
    s = make_system(system, weights, args.threads)
    for _ in range(args.memory_steps):
        loss = s.forward(x, y)
        s.backward(loss)
        s.update()
    print(json.dumps({"peak_rss_mib": peak_rss_mib()}))


def peak_rss_mib():
    """This process's peak resident memory: VmHWM, the high-water mark of its own memory
    map (``ru_maxrss`` would also count the parent's peak before the exec)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def peak_rss(system, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--rss-worker", system,
           "--threads", str(args.threads), "--batch", str(args.batch),
           "--memory-steps", str(args.memory_steps), "--seed", str(args.seed)]
    proc = subprocess.run(cmd, env=os.environ, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench_cnn: the {system} memory worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak_rss_mib"]


# -- the report ----------------------------------------------------------------------------
def machine_info(threads):
    import numpy as np

    model = None
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f
                          if line.startswith("model name")), None)
    except OSError:
        pass
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpu_model": model, "cpus_usable": len(os.sched_getaffinity(0)),
            "load_average": os.getloadavg(), "numpy": np.__version__, "threads": threads}
    if "torch" in sys.modules:
        info["torch"] = sys.modules["torch"].__version__
    return info


def table(summary, memory, args):
    """The report's lines (the same for the terminal and RESULTS.md)."""
    kind = "CPU" if args.threads == 1 else "wall"
    lines = [
        f"| system | forward | backward | optimizer | training step (range) | "
        f"inference, batch {args.infer_batch} (range) | peak RSS training (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t in summary["train"].items():
        i = summary["infer"][name]
        rss = f"{memory[name]:.0f}" if name in memory else "-"
        lines.append(
            f"| {name} | {t['forward']:.1f} | {t['backward']:.1f} | {t['optimizer']:.1f} | "
            f"{t['step']:.1f} ({t['step_range'][0]:.1f}-{t['step_range'][1]:.1f}) | "
            f"{i['forward']:.1f} ({i['range'][0]:.1f}-{i['range'][1]:.1f}) | {rss} |")
    lines += ["", f"{kind} ms per step, medians of {args.rounds} interleaved rounds of "
                  f"{args.block} training steps and {args.infer_block} inference passes."]
    r = summary["ratios"]
    if r:
        lines += ["", "| target | measured (median of rounds; min-max) | |", "|---|---|---|"]
        goal = 1.0 if args.threads == 1 else 1.25
        for label, key, limit in ((f"training step <= {goal:.2f}x PyTorch", "train", goal),
                                  ("inference forward <= 1.25x PyTorch", "infer", 1.25)):
            x = r[key]
            lines.append(f"| {label} | {x['median']:.2f}x ({x['min']:.2f}-{x['max']:.2f}) | "
                         f"{'met' if x['median'] <= limit else 'not met'} |")
        if "torch" in memory:
            rss = memory["minigrad"] / memory["torch"]
            lines.append(f"| peak RSS while training <= PyTorch's | {rss:.2f}x | "
                         f"{'met' if rss <= 1 else 'not met'} |")
    return lines


def markdown(lines, machine, command, data):
    m = machine
    plural = "s" if m["threads"] > 1 else ""
    torch = f", PyTorch {m['torch']}" if "torch" in m else ""
    head = [
        f"## MNIST CNN, {m['threads']} thread{plural}",
        "",
        (f"Written by `benchmarks/bench_cnn.py` on "
         f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}: the network of "
         f"examples/mnist_cnn.py without dropout, float32, {data} batches; a training step "
         f"is zero_grad, forward with softmax cross-entropy, backward and one Adam step."),
        "", "Command:", "", "```", command, "```", "",
        (f"Machine: {m['cpus_usable']} CPUs ({m['cpu_model']}), Python {m['python']}, numpy "
         f"{m['numpy']}{torch}, {m['platform']}; {m['threads']} BLAS / PyTorch thread{plural}; "
         f"load average {m['load_average'][0]:.2f} at the end."),
        "",
    ]
    return "\n".join(head + lines)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                   help="BLAS / PyTorch threads (default: the usable cores)")
    p.add_argument("--rounds", type=int, default=10, help="interleaved rounds (10)")
    p.add_argument("--block", type=int, default=5, help="training steps per block (5)")
    p.add_argument("--infer-block", type=int, default=2, help="inference passes per block (2)")
    p.add_argument("--batch", type=int, default=128, help="training batch (128)")
    p.add_argument("--infer-batch", type=int, default=1024, help="inference batch (1024)")
    p.add_argument("--warmup", type=int, default=3, help="untimed training steps first (3)")
    p.add_argument("--memory-steps", type=int, default=5,
                   help="training steps of each memory subprocess (5); 0 skips the measurement")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights (0)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.add_argument("--json", default=None, help="also write the results to this file")
    p.add_argument("--markdown", default=None,
                   help="the markdown file whose section for this thread count gets the "
                        "report (default benchmarks/RESULTS.md)")
    p.add_argument("--rss-worker", choices=("minigrad", "torch"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if min(args.threads, args.rounds, args.block, args.infer_block, args.batch,
           args.infer_batch, args.warmup) < 1 or args.memory_steps < 0:
        p.error("counts and sizes must be at least 1 (--memory-steps at least 0)")
    return args


def main(argv=None):
    args = parse(argv)
    if "numpy" not in sys.modules:  # the BLAS reads these once, when numpy is loaded
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    sys.path.insert(0, HERE)
    if args.rss_worker:
        return rss_worker(args.rss_worker, args)
    import importlib.util

    from results import RESULTS, update_section, write_atomic

    torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    systems = ["minigrad"] + (["torch"] if torch else [])
    # memory first, while this process is small (a child starts from its parent's pages)
    memory = {name: peak_rss(name, args) for name in systems} if args.memory_steps else {}
    rounds = measure(args, systems)
    first = rounds["first_loss"]
    if torch and abs(first["minigrad"] - first["torch"]) > 1e-4 * abs(first["torch"]):
        raise SystemExit(f"bench_cnn: the first losses differ (minigrad {first['minigrad']}, "
                         f"PyTorch {first['torch']}): the two networks are not the same")
    summary = summarize(rounds)
    lines = table(summary, memory, args)
    print(f"MNIST CNN, {args.threads} thread(s), {rounds['data']} batches of {args.batch}")
    print("\n".join(lines))
    if not torch:
        print("PyTorch is not importable here (or --no-torch): minigrad alone")
    machine = machine_info(args.threads)
    if args.json:
        write_atomic(args.json, json.dumps(
            {"benchmark": "bench_cnn", "args": vars(args), "machine": machine,
             "data": rounds["data"], "first_loss": first, "rounds": rounds["train"],
             "infer_rounds": rounds["infer"], "summary": summary, "peak_rss_mib": memory},
            indent=1))
    script = os.path.relpath(os.path.abspath(__file__), os.path.dirname(HERE))
    given = sys.argv[1:] if argv is None else argv
    command = "python " + " ".join(shlex.quote(a) for a in [script, *given])
    path = args.markdown or RESULTS
    update_section(path, f"cnn-threads-{args.threads}",
                   markdown(lines, machine, command, rounds["data"]))
    print(f"wrote {os.path.relpath(path)}")
    return summary


if __name__ == "__main__":
    main()
