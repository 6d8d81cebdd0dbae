"""minigrad's MLP training step against the numpy program and PyTorch, interleaved in one process.

bench_mlp.py trains each system in a process of its own, one after the other,
so a change in the machine's load between two processes moves their ratio (a
few percent from run to run on a shared machine). Here blocks of steps of the
systems alternate in one process, on the same batches of synthetic data,
and each round gives its own ratios. The systems: minigrad, the hand-written
numpy program (numpy_mlp.py) and, when torch is importable, PyTorch eager with
its default ``Adam`` and with ``Adam(fused=True)``. Times are milliseconds per
step (forward with the loss / backward / optimizer; the forward includes
``zero_grad``), medians over the rounds: CPU time with one thread (the least
disturbed by other jobs), wall time with more (CPU time would count the BLAS
threads spinning while numpy's one-threaded loops run; with more threads the
libraries' idle threads may also spin into the next system's block, so
bench_mlp.py's process per system is the reference there).

The network is bench_mlp.py's (784-512-512-10, ReLU, dropout 0.2, Adam, batch
128). ``--tiny`` makes it 8-4-4-3 at batch 2, where the arrays cost next to
nothing: what is left is the fixed Python cost of a step.

    python benchmarks/bench_step.py                   # 12 rounds of 40 steps, 1 thread
    python benchmarks/bench_step.py --tiny            # the fixed cost per step
    python benchmarks/bench_step.py --systems minigrad,numpy --threads 2 --json step.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

FULL = ((784, 512, 512, 10), 128)
TINY = ((8, 4, 4, 3), 2)
SYSTEMS = ("minigrad", "numpy", "torch", "torch-fused")


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=12, help="rounds (default 12)")
    p.add_argument("--block", type=int, default=40, help="steps per block (default 40)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps of each (default 20)")
    p.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    p.add_argument("--tiny", action="store_true", help="8-4-4-3 at batch 2: the fixed cost")
    p.add_argument("--systems", default=",".join(SYSTEMS),
                   help=f"comma-separated, minigrad first (default: all of {','.join(SYSTEMS)}; "
                        f"the torch ones only when torch is importable)")
    p.add_argument("--json", help="also write the figures to this file")
    return p.parse_args(argv)


def measure(args, systems):
    """``{system: [[fwd, bwd, opt] per round]}`` in ms per step."""
    import numpy as np

    sizes, batch = TINY if args.tiny else FULL
    rng = np.random.default_rng(0)
    n = 64 * batch
    x = rng.random((n, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], n)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    position = [0]

    def batches(count):
        for _ in range(count):
            lo = position[0] % n
            position[0] += batch
            yield x[lo:lo + batch], y[lo:lo + batch]

    def timed(forward, backward, update):
        """A block runner: ``count`` steps, each phase timed, the sums returned."""
        def run(count):
            phases = [0.0, 0.0, 0.0]
            for xb, yb in batches(count):
                t0 = clock()
                loss = forward(xb, yb)
                t1 = clock()
                backward(loss)
                t2 = clock()
                update()
                t3 = clock()
                phases[0] += t1 - t0
                phases[1] += t2 - t1
                phases[2] += t3 - t2
            return phases
        return run

    makers = {"minigrad": minigrad_step, "numpy": numpy_step,
              "torch": lambda *a: torch_step(*a, fused=False),
              "torch-fused": lambda *a: torch_step(*a, fused=True)}
    blocks = {name: timed(*makers[name](sizes, batch, args.threads)) for name in systems}
    for run in blocks.values():
        run(args.warmup)
    rounds = {name: [] for name in blocks}
    for _ in range(args.rounds):
        for name, run in blocks.items():
            rounds[name].append([1e3 * t / args.block for t in run(args.block)])
    return rounds


def minigrad_step(sizes, batch, threads):
    """``(forward, backward, update)`` of minigrad's training step (the BLAS
    threads are set by ``main`` before numpy loads)."""
    from bench_mlp import minigrad_model

    import minigrad
    from minigrad import F, nn, optim

    minigrad.manual_seed(0)
    model = minigrad_model(nn, sizes)
    opt = optim.Adam(model.parameters(), lr=1e-3)

    def forward(xb, yb):
        opt.zero_grad()
        return F.softmax_cross_entropy(model(xb), yb)

    return forward, lambda loss: loss.backward(), opt.step


def numpy_step(sizes, batch, threads):
    from numpy_mlp import NumpyMLP

    program = NumpyMLP(batch_size=batch, sizes=sizes)
    current = {}

    def forward(xb, yb):
        current["x"], current["y"] = xb, yb
        return program.forward(xb, yb)

    return forward, lambda _: program.backward(current["x"], current["y"]), program.adam


def torch_step(sizes, batch, threads, fused):
    import torch
    from bench_mlp import torch_model

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch_model(torch.nn, sizes)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True if fused else None)
    cross_entropy = torch.nn.functional.cross_entropy

    def forward(xb, yb):
        opt.zero_grad()
        return cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb))

    return forward, lambda loss: loss.backward(), opt.step


def summarize(rounds):
    """Median phases per system, and minigrad / each other system per round."""
    import statistics

    out = {}
    for name, rows in rounds.items():
        phases = [statistics.median(r[i] for r in rows) for i in range(3)]
        out[name] = {"forward": phases[0], "backward": phases[1], "optimizer": phases[2],
                     "step": statistics.median(sum(r) for r in rows)}
    out["ratios"] = {}
    for name, rows in rounds.items():
        if name != "minigrad":
            ratios = [sum(a) / sum(b) for a, b in zip(rounds["minigrad"], rows)]
            out["ratios"][name] = {"median": statistics.median(ratios), "min": min(ratios),
                                   "max": max(ratios)}
    return out


def choose_systems(text):
    """The systems named in ``text``, minigrad first; torch ones dropped (with a
    message) when torch is not importable."""
    import importlib.util

    systems = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown or len(systems) < 2 or systems[0] != "minigrad":
        raise SystemExit(f"bench_step: --systems is minigrad then one or more of "
                         f"{', '.join(SYSTEMS[1:])}; got {text!r}")
    if importlib.util.find_spec("torch") is None:
        skipped = [s for s in systems if s.startswith("torch")]
        if skipped:
            print(f"PyTorch is not importable: skipping {', '.join(skipped)}", file=sys.stderr)
        systems = [s for s in systems if not s.startswith("torch")]
    if len(systems) < 2:
        raise SystemExit("bench_step: nothing to compare minigrad with")
    return systems


def main(argv=None):
    args = parse(argv)
    systems = choose_systems(args.systems)
    if "numpy" not in sys.modules:  # the BLAS reads these once, when numpy is loaded
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    summary = summarize(measure(args, systems))
    sizes, batch = TINY if args.tiny else FULL
    kind = "CPU" if args.threads == 1 else "wall"
    print(f"MLP {'-'.join(map(str, sizes))}, batch {batch}, {args.threads} thread(s): "
          f"{kind} ms per step, medians of {args.rounds} interleaved rounds of {args.block} steps")
    print(f"{'':12s} {'forward':>8s} {'backward':>9s} {'optimizer':>10s} {'step':>7s}")
    for name in systems:
        s = summary[name]
        print(f"{name:12s} {s['forward']:8.3f} {s['backward']:9.3f} {s['optimizer']:10.3f} "
              f"{s['step']:7.3f}")
    for name, r in summary["ratios"].items():
        print(f"minigrad / {name} per round: median {r['median']:.3f} "
              f"(min {r['min']:.3f}, max {r['max']:.3f})")
    if args.json:
        from results import write_atomic

        write_atomic(args.json, json.dumps({"args": vars(args), "summary": summary}, indent=1))
    return summary


if __name__ == "__main__":
    main()
