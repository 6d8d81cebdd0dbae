"""Where a training step's time goes, Function by Function, on any device.

Runs ``bench_gpu``'s MLP or CNN step (same weights, batches and Adam) with
every Function's forward and backward timed between two device
synchronisations, so that each figure is that operation's own device time
(plus one launch). ``optimizer`` is ``Adam.step``; ``rest`` is the step's
wall time minus the outermost parts: the engine, zero_grad and Python
between ops. Calls made inside another (a backward rule calling Functions)
are listed too, indented, and their time is also inside their caller's.
The synchronisations make the total larger than an unsynchronised step, so
read the table for shares, not for the step time (``bench_gpu.py`` gives that).

    python benchmarks/profile_ops.py --model cnn --batch 1024 --device cuda
    python benchmarks/profile_ops.py --model mlp --batch 128 --device cpu
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["mlp", "cnn"], default="cnn")
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--device", default="cuda", help="cpu, strict or cuda[:N] (default cuda)")
    p.add_argument("--steps", type=int, default=10, help="timed steps (default 10)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    return p.parse_args(argv)


def all_subclasses(cls):
    found, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


class OpTimer:
    """Patches ``Function.__call__`` and every ``backward`` to time the outermost calls."""

    def __init__(self, sync):
        self.sync = sync
        self.seconds = collections.Counter()
        self.calls = collections.Counter()
        self.depth = 0
        self.on = False

    def timed(self, key, run):
        if not self.on:
            return run()
        key = (*key, self.depth)
        self.sync()
        started = time.perf_counter()
        self.depth += 1
        try:
            return run()
        finally:
            self.depth -= 1
            self.sync()
            self.seconds[key] += time.perf_counter() - started
            self.calls[key] += 1

    def install(self):
        from minigrad import core

        timer, call = self, core.Function.__call__

        def timed_call(func, *inputs):
            return timer.timed((type(func).__name__, "forward"), lambda: call(func, *inputs))

        core.Function.__call__ = timed_call
        for cls in all_subclasses(core.Function):
            if "backward" in cls.__dict__:
                cls.backward = self._wrap_backward(cls.__name__, cls.__dict__["backward"])

    def _wrap_backward(self, name, backward):
        timer = self

        def timed_backward(func, *gys):
            return timer.timed((name, "backward"), lambda: backward(func, *gys))

        return timed_backward


def main(argv=None):
    args = parse(argv)
    import bench_gpu
    from minigrad.backend import normalize_device

    args.device = normalize_device(args.device)

    weights = bench_gpu.initial_weights(args.model, 0)
    batches = bench_gpu.host_batches(args.model, args.batch, 0)
    system = bench_gpu.MinigradSystem(args.model, weights, batches, args.device)
    timer = OpTimer(system.sync)
    timer.install()
    step = system.opt.step

    def timed_step():
        return timer.timed(("Adam.step", "optimizer"), step)

    system.opt.step = timed_step
    for _ in range(args.warmup):
        system.step()
    system.sync()
    timer.on = True
    started = time.perf_counter()
    for _ in range(args.steps):
        system.step()
    system.sync()
    total = (time.perf_counter() - started) / args.steps * 1e3
    timer.on = False

    rows = sorted(timer.seconds.items(), key=lambda kv: -kv[1])
    parts = sum(s for key, s in rows if key[2] == 0) / args.steps * 1e3
    print(f"{args.model} batch {args.batch} on {args.device}: {total:.3f} ms per synchronised "
          f"step (mean of {args.steps})")
    print("| op | pass | ms per step | share | calls per step |")
    print("|---|---|---|---|---|")
    for (name, kind, depth), seconds in rows:
        ms = seconds / args.steps * 1e3
        inside = "&nbsp;&nbsp;" * depth + ("inside: " if depth else "")
        print(f"| {inside}{name} | {kind} | {ms:.3f} | {ms / total:.0%} | "
              f"{timer.calls[(name, kind, depth)] / args.steps:g} |")
    print(f"| rest | engine, zero_grad, Python | {total - parts:.3f} | "
          f"{(total - parts) / total:.0%} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
