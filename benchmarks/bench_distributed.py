"""Data-parallel training on MPI: allreduce bandwidth, and the MLP step on 1 rank x 2
threads against 2 ranks x 1 thread, split into compute and communication.

Run it as one plain process; it starts the measurements itself, each in a process
(or ``mpiexec -n 2`` job) of its own, because the BLAS reads its thread count once:

1. ``allreduce``: ``MPI.Allreduce`` of float32 buffers from 4 KB to 64 MB between 2
   ranks: median time, algorithm bandwidth (bytes / time) and bus bandwidth
   (``2 (n-1)/n`` bytes / time, what each rank sends and receives: the NCCL-tests
   convention);
2. ``step``: one training step of bench_mlp.py's MLP (784-512-512-10, ReLU, dropout
   0.2, Adam, float32) at global batches 128 and 512: one process with 2 BLAS
   threads and a plain Adam, against 2 processes with 1 thread each, local batch
   half the global, and a DistributedOptimizer. Phases per step (median ms):
   compute (forward, backward), communication (``synchronize()``: the gradient
   buckets' allreduce, including any wait for the slower rank) and the update;
3. bucket sizes (1 KB: one message per parameter, up to 25 MB: one for the whole
   2.7 MB of gradients) and fp16 compression, at global batch 128.

The report goes to RESULTS.md (section ``distributed``) unless ``--no-write``.

    python benchmarks/bench_distributed.py                 # about 2 minutes on 2 cores
    python benchmarks/bench_distributed.py --steps 20 --no-write
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
SIZES_KB = [4, 64, 1024, 4096, 16384, 65536]
BATCHES = [128, 512]
BUCKETS_MB = [0.001, 0.25, 2.0, 25.0]


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=40, help="timed steps per run (default 40)")
    p.add_argument("--rounds", type=int, default=3,
                   help="runs of every setting, interleaved (default 3)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    p.add_argument("--repeat", type=int, default=20,
                   help="allreduce calls per message size (default 20)")
    p.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    p.add_argument("--json", help="also write every figure to this file")
    p.add_argument("--worker", choices=["allreduce", "step", "device-allreduce"],
                   help=argparse.SUPPRESS)
    p.add_argument("--device", default=None, help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=128, help=argparse.SUPPRESS)
    p.add_argument("--bucket-mb", type=float, default=25.0, help=argparse.SUPPRESS)
    p.add_argument("--compression", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# -- the measurements (in worker processes) ------------------------------------------------------

def allreduce_worker(args):
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rows = []
    for kb in SIZES_KB:
        buf = np.ones(kb * 256, np.float32)
        times = []
        for i in range(args.repeat + 3):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            if i >= 3:
                times.append(time.perf_counter() - t0)
        seconds = max(comm.allgather(statistics.median(times)))  # the slower rank's
        n = comm.size
        rows.append({"kb": kb, "ms": seconds * 1e3, "algbw_gbs": kb * 1024 / seconds / 1e9,
                     "busbw_gbs": 2 * (n - 1) / n * kb * 1024 / seconds / 1e9})
    return {"allreduce": rows} if comm.rank == 0 else None


def step_worker(args):
    import numpy as np

    import minigrad
    from minigrad import Variable, nn, optim
    from minigrad import distributed as dist
    from minigrad import functions as F

    comm = dist.init()
    local = args.batch // comm.size
    minigrad.manual_seed(comm.rank)
    model = nn.Sequential(nn.Dense(512, activation="relu"), nn.Dropout(0.2),
                          nn.Dense(512, activation="relu"), nn.Dropout(0.2), nn.Dense(10))
    rng = np.random.default_rng(comm.rank)
    x = rng.random((8 * local, 784), dtype=np.float32)
    y = rng.integers(0, 10, 8 * local)
    model(Variable(x[:1]))
    adam = optim.Adam(model.parameters(), lr=1e-3)
    distributed = comm.size > 1
    opt = dist.DistributedOptimizer(adam, comm=comm, bucket_mb=args.bucket_mb,
                                    compression=args.compression) if distributed else adam
    dist.broadcast_parameters(model, comm=comm)
    phases = []
    for step in range(args.warmup + args.steps):
        lo = step % 8 * local
        t0 = time.perf_counter()
        model.zero_grad()
        F.softmax_cross_entropy(model(Variable(x[lo:lo + local])), y[lo:lo + local]).backward()
        t1 = time.perf_counter()
        if distributed:
            comm.barrier()  # the wait for the slower rank, kept apart from the transfer
        t2 = time.perf_counter()
        if distributed:
            opt.synchronize()
        t3 = time.perf_counter()
        opt.step()
        t4 = time.perf_counter()
        if step >= args.warmup:
            phases.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3))
    names = ("compute", "wait", "comm", "update")
    medians = {name: statistics.median(p[i] for p in phases) * 1e3
               for i, name in enumerate(names)}
    medians["step"] = statistics.median(sum(p) for p in phases) * 1e3
    per_rank = comm.allgather_obj(medians)
    slowest = max(per_rank, key=lambda r: r["step"])
    if comm.rank:
        return None
    return {"batch": args.batch, "ranks": comm.size, **slowest,
            "images_per_s": args.batch / slowest["step"] * 1e3}


def device_allreduce_worker(args):
    """``comm.allreduce`` of arrays on ``--device`` (default: GPU ``local_rank``): NCCL for
    CuPy arrays when every rank has a GPU of its own, else host buffers over MPI."""
    import warnings

    from minigrad import backend
    from minigrad import distributed as dist

    comm = dist.init()
    device = args.device
    if device is None:
        count = backend.get_backend("cuda").xp.cuda.runtime.getDeviceCount()
        device = f"cuda:{comm.local_rank % count}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback's warning: the path is reported below
        path = "NCCL" if comm.uses_nccl(device) else "MPI, host buffers"
    engine = backend.get_backend(device)
    rows = []
    for kb in (64, 4096, 65536):
        x = engine.zeros((kb * 256,), engine.xp.float32, device)
        for i in range(args.repeat + 3):
            if i == 3:
                backend.to_numpy(x[:1])  # waits for the device's queue
                comm.barrier()
                t0 = time.perf_counter()
            x = comm.allreduce(x)
        backend.to_numpy(x[:1])
        seconds = max(comm.allgather_obj((time.perf_counter() - t0) / args.repeat))
        rows.append({"kb": kb, "ms": seconds * 1e3,
                     "algbw_gbs": kb * 1024 / seconds / 1e9})
    if comm.rank:
        return None
    return {"device": device, "ranks": comm.size, "path": path, "allreduce": rows}


# -- running the workers -------------------------------------------------------------------------

def mpiexec():
    beside = pathlib.Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("bench_distributed: no mpiexec found (pip install mpi4py mpich)")
    return found


def run_worker(args, kind, ranks, threads, **options):
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads),
           "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, str(HERE / "bench_distributed.py"), "--worker", kind,
               "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--repeat", str(args.repeat)]
    for key, value in options.items():
        if value is not None:
            command += [f"--{key.replace('_', '-')}", str(value)]
    if ranks > 1:
        command = [mpiexec(), "-n", str(ranks), *command]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"bench_distributed: {' '.join(command)} failed:\n{proc.stdout}\n"
                         f"{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(args):
    """Every setting ``--rounds`` times, the settings interleaved round by round, so that
    a change in the machine's load falls on all of them alike."""
    load_before = os.getloadavg()[0]
    figures = {"allreduce": run_worker(args, "allreduce", 2, 1)["allreduce"]}
    settings = [("mlp", dict(batch=batch), ranks, threads)
                for batch in BATCHES for ranks, threads in ((1, 2), (2, 1))]
    settings += [("buckets", dict(batch=128, bucket_mb=bucket), 2, 1) for bucket in BUCKETS_MB]
    settings += [("compression", dict(batch=128, compression="fp16"), 2, 1)]
    runs = [[] for _ in settings]
    for round_ in range(args.rounds):
        for k, (_, options, ranks, threads) in enumerate(settings):
            row = run_worker(args, "step", ranks, threads, **options)
            runs[k].append(row)
            print(f"round {round_ + 1}: {options} on {ranks} x {threads}: "
                  f"{row['step']:.2f} ms/step", flush=True)
    for (table, options, ranks, threads), rows in zip(settings, runs):
        summary = {key: statistics.median(r[key] for r in rows)
                   for key in ("compute", "wait", "comm", "update", "step")}
        summary.update(options, ranks=ranks, threads=threads,
                       step_range=(min(r["step"] for r in rows), max(r["step"] for r in rows)),
                       images_per_s=options["batch"] / summary["step"] * 1e3)
        figures.setdefault(table, []).append(summary)
    figures["load"] = (load_before, os.getloadavg()[0])
    return figures


# -- the report ------------------------------------------------------------------------------------

PARAMETER_BYTES = [10 * 4, 512 * 10 * 4, 512 * 4, 512 * 512 * 4, 512 * 4, 784 * 512 * 4]


def _bucket_count(bucket_mb):
    """How many buckets the MLP's gradients make (reverse order; see buckets.py)."""
    count, used = 0, None
    for size in PARAMETER_BYTES:
        if used is None or used + size > bucket_mb * 2**20:
            count, used = count + 1, 0
        used += size
    return count


def machine():
    import numpy as np

    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import mpi4py
        from mpi4py import MPI
        library = (f"{' '.join(MPI.Get_library_version().split()[:3])}, "
                   f"mpi4py {mpi4py.__version__}")
    except ImportError:
        library = "no mpi4py"
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, numpy "
            f"{np.__version__}, {library}")


def report(figures, command):
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = ["## Data-parallel training on MPI (CPU)", "",
             f"Written by `benchmarks/bench_distributed.py` on {when}.", "", "Command:", "",
             "```", command, "```", "",
             f"Machine: {machine()}. Load average before / after: {figures['load'][0]:.2f} / "
             f"{figures['load'][1]:.2f} (other jobs share this machine).", "",
             "### Allreduce of float32 between 2 ranks (one machine, shared memory)", "",
             "| message | median ms | algorithm bandwidth GB/s | bus bandwidth GB/s |",
             "|---|---|---|---|"]
    for r in figures["allreduce"]:
        size = f"{r['kb'] // 1024} MB" if r["kb"] >= 1024 else f"{r['kb']} KB"
        lines.append(f"| {size} | {r['ms']:.3f} | {r['algbw_gbs']:.2f} | {r['busbw_gbs']:.2f} |")
    lines += ["", "### MLP training step (784-512-512-10, dropout, Adam), equal global batch", "",
              f"Median ms per step (of {figures['rounds']} runs of {figures['steps_per_run']} "
              "steps, each the median of its steps, the slower rank's): compute is forward and "
              "backward; wait, a barrier before the averaging (the slower rank's lead); "
              "communication, the gradient averaging (`synchronize()`: flatten, one 2.7 MB "
              "allreduce, unflatten); update, the Adam step.", "",
              "| global batch | processes x threads | compute | wait | communication | update "
              "| step (range) | images/s |", "|---|---|---|---|---|---|---|---|"]
    for r in figures["mlp"]:
        lines.append(f"| {r['batch']} | {r['ranks']} x {r['threads']} | {r['compute']:.2f} | "
                     f"{r['wait']:.2f} | {r['comm']:.2f} | {r['update']:.2f} | "
                     f"{r['step']:.2f} ({r['step_range'][0]:.1f}-{r['step_range'][1]:.1f}) | "
                     f"{r['images_per_s']:.0f} |")
    lines += ["", "### Bucket size and fp16 compression (2 processes x 1 thread, global batch 128)",
              "", "| setting | buckets | communication ms | step ms |", "|---|---|---|---|"]
    for r in figures["buckets"]:
        lines.append(f"| bucket_mb={r['bucket_mb']:g} | {_bucket_count(r['bucket_mb'])} | "
                     f"{r['comm']:.2f} | {r['step']:.2f} |")
    for r in figures["compression"]:
        lines.append(f"| bucket_mb=25, compression=fp16 | 1 | {r['comm']:.2f} | "
                     f"{r['step']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse(argv)
    if args.worker:
        worker = {"allreduce": allreduce_worker, "step": step_worker,
                  "device-allreduce": device_allreduce_worker}[args.worker]
        figures = worker(args)
        if figures is not None:  # rank 0's
            print(json.dumps(figures), flush=True)
        return figures
    figures = measure(args)
    figures.update(rounds=args.rounds, steps_per_run=args.steps)
    command = "python benchmarks/bench_distributed.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]))
    text = report(figures, command.strip())
    print(text)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(figures, indent=1))
    if not args.no_write:
        sys.path.insert(0, str(HERE))
        import results

        results.update_section(results.RESULTS, "distributed", text)
        print(f"\nwritten to {results.RESULTS}")
    return figures


if __name__ == "__main__":
    main()
