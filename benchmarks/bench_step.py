"""minigrad's MLP training step against the hand-written numpy program, interleaved in one process.

bench_mlp.py trains each system in a process of its own, one after the other,
so a change in the machine's load between two processes moves their ratio (a
few percent from run to run on a shared machine). Here blocks of steps of the
two programs alternate in one process, on the same batches of synthetic data,
and each round gives its own ratio. Times are milliseconds per step
(forward with the loss / backward / optimizer; minigrad's forward includes
``zero_grad``), medians over the rounds: CPU time with one BLAS thread (the
least disturbed by other jobs), wall time with more (CPU time would count the
BLAS threads spinning while numpy's one-threaded loops run).

The network is bench_mlp.py's (784-512-512-10, ReLU, dropout 0.2, Adam, batch
128). ``--tiny`` makes it 8-4-4-3 at batch 2, where the arrays cost next to
nothing: what is left is the fixed Python cost of a step.

    python benchmarks/bench_step.py                   # 12 rounds of 40 steps, 1 BLAS thread
    python benchmarks/bench_step.py --tiny            # the fixed cost per step
    python benchmarks/bench_step.py --threads 2 --rounds 20 --json step.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

FULL = ((784, 512, 512, 10), 128)
TINY = ((8, 4, 4, 3), 2)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=12, help="rounds (default 12)")
    p.add_argument("--block", type=int, default=40, help="steps per block (default 40)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps of each (default 20)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--tiny", action="store_true", help="8-4-4-3 at batch 2: the fixed cost")
    p.add_argument("--json", help="also write the figures to this file")
    return p.parse_args(argv)


def measure(args):
    """``{"minigrad": [[fwd, bwd, opt] per round], "numpy": [...]}`` in ms per step."""
    import numpy as np

    import minigrad
    from minigrad import F, nn, optim
    from numpy_mlp import NumpyMLP

    sizes, batch = TINY if args.tiny else FULL
    inputs, width, _, classes = sizes
    minigrad.manual_seed(0)
    model = nn.Sequential(
        nn.Dense(width, activation="relu", in_features=inputs), nn.Dropout(0.2),
        nn.Dense(width, activation="relu", in_features=width), nn.Dropout(0.2),
        nn.Dense(classes, in_features=width),
    )
    opt = optim.Adam(model.parameters(), lr=1e-3)
    program = NumpyMLP(batch_size=batch, sizes=sizes)
    rng = np.random.default_rng(0)
    n = 64 * batch
    x = rng.random((n, inputs), dtype=np.float32)
    y = rng.integers(0, classes, n)
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
                out = forward(xb, yb)
                t1 = clock()
                backward(out, xb, yb)
                t2 = clock()
                update()
                t3 = clock()
                phases[0] += t1 - t0
                phases[1] += t2 - t1
                phases[2] += t3 - t2
            return phases
        return run

    def minigrad_forward(xb, yb):
        opt.zero_grad()
        return F.softmax_cross_entropy(model(xb), yb)

    blocks = {
        "minigrad": timed(minigrad_forward, lambda loss, xb, yb: loss.backward(), opt.step),
        "numpy": timed(program.forward, lambda _, xb, yb: program.backward(xb, yb),
                       program.adam),
    }
    for run in blocks.values():
        run(args.warmup)
    rounds = {name: [] for name in blocks}
    for _ in range(args.rounds):
        for name, run in blocks.items():
            rounds[name].append([1e3 * t / args.block for t in run(args.block)])
    return rounds


def summarize(rounds):
    import statistics

    out = {}
    for name, rows in rounds.items():
        phases = [statistics.median(r[i] for r in rows) for i in range(3)]
        out[name] = {"forward": phases[0], "backward": phases[1], "optimizer": phases[2],
                     "step": statistics.median(sum(r) for r in rows)}
    ratios = [sum(a) / sum(b) for a, b in zip(rounds["minigrad"], rounds["numpy"])]
    out["ratio"] = {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}
    return out


def main(argv=None):
    args = parse(argv)
    if "numpy" not in sys.modules:  # the BLAS reads these once, when numpy is loaded
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    summary = summarize(measure(args))
    sizes, batch = TINY if args.tiny else FULL
    kind = "CPU" if args.threads == 1 else "wall"
    print(f"MLP {'-'.join(map(str, sizes))}, batch {batch}, {args.threads} BLAS thread(s): "
          f"{kind} ms per step, medians of {args.rounds} interleaved rounds of {args.block} steps")
    print(f"{'':10s} {'forward':>8s} {'backward':>9s} {'optimizer':>10s} {'step':>7s}")
    for name in ("minigrad", "numpy"):
        s = summary[name]
        print(f"{name:10s} {s['forward']:8.3f} {s['backward']:9.3f} {s['optimizer']:10.3f} "
              f"{s['step']:7.3f}")
    r = summary["ratio"]
    print(f"minigrad / numpy per round: median {r['median']:.3f} "
          f"(min {r['min']:.3f}, max {r['max']:.3f})")
    if args.json:
        from results import write_atomic

        write_atomic(args.json, json.dumps({"args": vars(args), "summary": summary}, indent=1))
    return summary


if __name__ == "__main__":
    main()
