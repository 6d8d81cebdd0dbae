"""Each kernel special case of an array backend against the generic form it replaces.

:class:`minigrad.backend.base.Backend` writes every kernel once with the array
API; the backends override some of them for their library (the ``UfuncKernels``
mixin of numpy and CuPy, numpy_backend.py's and cupy_backend.py's own methods).
A special case stays only where it measurably beats the generic form. This
script finds the overrides by introspection (each public method of ``Backend``
whose function on the backend's class is not Backend's) and times each
against the generic form, ``Backend.<method>(backend, *args)``, on the same
arguments: ``CASES`` holds them, at the shapes of bench_gpu.py's training
steps (the MLP 784-512-512-10 with dropout 0.2, the CNN 28x28 -> conv 32 3x3 ->
pool 2 -> conv 64 3x3 -> pool 2 -> Dense 128 -> 10) at ``--batch`` (default
1024). An override without a case is listed as "no case", so that a new
special case is noticed; a case for a method that ``Backend`` does not have
(yet) is never run.

Timing: interleaved rounds, a block of the special case then a block of the
generic form, each ``reps`` calls (the same number for both, about
``--block-seconds`` of work) between two device synchronisations (CuPy: its
current stream; numpy and array-api-strict have nothing to wait for). Per
call: the block's time / ``reps``. Reported for each argument set: the median
ms per call with its range over the rounds, special / generic per round
(median and range), whether the two agree, and a verdict: the special case
*keeps its place* where the median ratio is at most ``KEEP_AT_MOST`` (0.97: a
gain of 3% at least, the bar issue 25 set for special cases in shared code;
smaller differences are within the drift of interleaved rounds), else *no
measured gain*.

In-place methods (the arguments they write are in ``WRITES``: names ending in
``_`` and ``scatter_add``) get fresh copies of those arguments for every call,
made before the block, outside its time, for both forms alike. Such a block
holds at most ``--copy-mib`` of copies (fewer calls than ``--block-seconds``
asks for, where a call is fast and its arrays large): 2048 MiB on a GPU, whose
memory pool hands out the arrays of the timed calls as before; 64 MiB on the
CPU, where more live copies push glibc's heap past what it keeps
(numpy_backend.keep_freed_memory) and every array a timed call allocates comes
back through page faults (with 256 MiB of copies, the generic relu_ and
adam_update_ took 5 times as long as with 64 and as in a training step).

Agreement: the two results (the return value, or the written arrays where it
is None) on the host, same shape and dtype and ``allclose`` at float32's
tolerance: ``rtol`` 1e-5 and ``atol`` 1e-4 times the largest magnitude, for
long sums added in another order (channel_sum's 692,224 terms at batch 1024
differ by 2e-5 of the largest sum); a misplaced element or a lost block of
terms differs by more. Random draws start from the same random state; where
the backend draws on the device by design (CuPy's and array-api-strict's
Philox streams against the generic host draw), the numbers differ, and the
check is of the law: means and standard deviations within five standard
errors ("same law").

    python benchmarks/bench_kernels.py --json kernels.json          # CuPy, GPU 0
    python benchmarks/bench_kernels.py --device cpu                  # numpy's special cases
    python benchmarks/bench_kernels.py --device cpu --batch 8 --rounds 2 --block-seconds 0.005
"""
from __future__ import annotations

import argparse
import functools
import inspect
import json
import math
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KEEP_AT_MOST = 0.97  # special / generic, median over the rounds
# Backend's interface and random state: abstract there, or nothing to time
NOT_KERNELS = {"device_of", "asarray", "to_numpy", "seed", "rng_state", "set_rng_state"}
DRAWS = {"uniform", "normal", "integers", "permutation", "keep_mask", "dropout_mask"}

# bench_gpu.py's models: the MLP's hidden width and largest weight, the CNN's images
HIDDEN, CLASSES, LARGEST_WEIGHT = 512, 10, (784, 512)
CONV1 = {"channels": 32, "in": 28, "out": 26}  # 1 -> 32 channels, 3x3, no padding
POOL1 = 13  # max pooling 2x2 of conv1's 26x26
CONV2 = {"channels": 64, "in": POOL1, "out": 11}  # 32 -> 64 channels, 3x3
KERNEL, ONE = (3, 3), (1, 1)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda", help='"cuda" (default), "cuda:N", "cpu", "strict"')
    p.add_argument("--batch", type=int, default=1024, help="the training steps' batch (1024)")
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    p.add_argument("--block-seconds", type=float, default=0.04,
                   help="about this long per block of calls (default 0.04)")
    p.add_argument("--warmup", type=int, default=2, help="untimed calls of each form first (2)")
    p.add_argument("--copy-mib", type=float,
                   help="at most this many MiB of fresh copies per block of an in-place "
                        "method (default 2048 on a GPU, 64 on the CPU)")
    p.add_argument("--methods", help="comma-separated: only these methods (default all)")
    p.add_argument("--dtype", default="float32", help="floating dtype of the arrays (float32)")
    p.add_argument("--json", help="write the results to this file (after each method)")
    args = p.parse_args(argv)
    if args.batch < 1 or args.rounds < 1 or args.warmup < 0:
        p.error("--batch and --rounds are at least 1, --warmup at least 0")
    if args.copy_mib is None:
        args.copy_mib = 2048 if args.device.startswith("cuda") else 64
    return args


# -- the arguments of each method ------------------------------------------------------------
class Inputs:
    """Arrays for the cases: drawn on the host from one seeded generator (every
    device gets the same numbers), then moved to ``device``."""

    def __init__(self, backend, device, dtype_name):
        self.backend, self.device = backend, device
        self.host_dtype = np.dtype(dtype_name)
        self.dtype = getattr(backend.xp, dtype_name)
        self.rng = np.random.default_rng(0)

    def put(self, host):
        return self.backend.asarray(host, device=self.device)

    def draw(self, shape):
        """Standard normal host numbers in the dtype (drawn in float32 where that is
        at least as wide as needed: twice as fast for the largest arrays)."""
        wide = np.float64 if self.host_dtype.itemsize > 4 else np.float32
        return self.rng.standard_normal(shape, dtype=wide).astype(self.host_dtype, copy=False)

    def normal(self, shape, scale=1.0):
        host = self.draw(shape)
        if scale != 1.0:
            host *= scale
        return self.put(host)

    def channels_last(self, shape, relu=False):
        """An (N, C, H, W) array whose memory is (N, H, W, C), as conv2d makes it."""
        n, c, h, w = shape
        host = self.draw((n, h, w, c))
        if relu:
            np.maximum(host, 0, out=host)
        return self.backend.xp.permute_dims(self.put(host), (0, 3, 1, 2))

    def labels(self, n, classes=CLASSES):
        return self.put(self.rng.integers(0, classes, n))

    def probabilities(self, n):
        logits = self.rng.standard_normal((n, CLASSES))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return self.put((e / e.sum(axis=1, keepdims=True)).astype(self.host_dtype))

    def scalar(self, value):
        return self.put(np.asarray(value, self.host_dtype))


def _max_pool_grad(n, a):
    """The CNN's first pooling: x the ReLU'd conv1 output (ties where a window is all
    zeros), y its maxima as max_pool2d makes them, gy channels-last as conv2's input
    gradient."""
    import minigrad

    x = a.channels_last((n, CONV1["channels"], CONV1["out"], CONV1["out"]), relu=True)
    with minigrad.no_grad():
        y = minigrad.F.max_pool2d(minigrad.Variable(x), 2).data
    gy = a.channels_last((n, CONV1["channels"], POOL1, POOL1))
    return x, y, gy, (2, 2), (2, 2), ONE


def _adam_update(n, a):
    p, m, g = (a.normal(LARGEST_WEIGHT, s) for s in (0.05, 1e-3, 1e-3))
    v = a.put(np.square(a.draw(LARGEST_WEIGHT) * 1e-3))
    return p, m, v, g, 0.9, 0.999, 1e-8, 1e-3


def _matmul_tn(n, a):
    """conv weight gradients: im2col's columns^T times the output gradient's rows."""
    shapes = [(CONV1, 9), (CONV2, 9 * CONV1["channels"])]
    return [(a.normal((n * c["out"] ** 2, width)), a.normal((n * c["out"] ** 2, c["channels"])))
            for c, width in shapes]


def _conv_input_grad(n, a):
    """conv2's input gradient: g_rows (N*11*11, 64), W (64, 32, 3, 3), no padding."""
    rows = n * CONV2["out"] ** 2
    return (a.normal((rows, CONV2["channels"])),
            a.normal((CONV2["channels"], CONV1["channels"], *KERNEL), 0.05),
            KERNEL, ONE, ONE, (CONV2["out"],) * 2, (CONV2["in"],) * 2)


# method -> function(batch, Inputs) -> its arguments (a tuple), or a list of tuples
# for several shapes; most decisive first
CASES = {
    "conv_input_grad": _conv_input_grad,
    "bias_relu_": lambda n, a: (a.normal((n * CONV1["out"] ** 2, CONV1["channels"])),
                                a.normal((CONV1["channels"],), 0.1)),
    "windows": lambda n, a: (a.normal((n, CONV2["in"], CONV2["in"], CONV1["channels"])),
                             KERNEL, ONE, ONE, (CONV2["out"],) * 2),
    "max_pool_grad": _max_pool_grad,
    "matmul_tn": _matmul_tn,
    "channel_sum": lambda n, a: (a.channels_last((n, CONV1["channels"], CONV1["out"],
                                                  CONV1["out"])),),
    "adam_update_": _adam_update,
    "softmax_nll": lambda n, a: (a.normal((n, CLASSES)), a.labels(n)),
    "softmax_nll_grad": lambda n, a: (a.probabilities(n), a.labels(n), a.scalar(1.0 / n)),
    "relu_": lambda n, a: (a.normal((n, HIDDEN)),),
    "where_positive": lambda n, a: (a.normal((n, HIDDEN)), a.normal((n, HIDDEN))),
    "dropout_mask": lambda n, a: ((n, HIDDEN), 0.8, a.dtype, a.device),
    "keep_mask": lambda n, a: ((n, HIDDEN), 0.8, a.device),
    "scatter_add": lambda n, a: (a.put(np.zeros((1000, 64), a.host_dtype)),
                                 a.labels(n, 1000), a.normal((n, 64))),
    "uniform": lambda n, a: (LARGEST_WEIGHT, -0.07, 0.07, a.dtype, a.device),
    "normal": lambda n, a: (LARGEST_WEIGHT, 0.0, 0.05, a.dtype, a.device),
    # a loss's checks: the labels' minimum and maximum and the logits' minimum
    "host_values": lambda n, a: ([a.put(np.asarray(0)), a.put(np.asarray(CLASSES - 1)),
                                  a.scalar(-3.5)],),
    "copy": lambda n, a: (a.normal(LARGEST_WEIGHT),),
    "zeros": lambda n, a: ((n, CONV2["in"], CONV2["in"], CONV1["channels"]), a.dtype, a.device),
}
# the positions of the arguments each in-place method writes
WRITES = {"bias_relu_": (0,), "adam_update_": (0, 1, 2), "relu_": (0,), "scatter_add": (0,)}


def special_cases(backend):
    """(overridden, generic only): the public methods of Backend that ``backend``'s
    class overrides, in CASES order, then the others."""
    from minigrad.backend.base import Backend

    methods = [name for name, f in vars(Backend).items()
               if inspect.isfunction(f) and not name.startswith("_") and name not in NOT_KERNELS]
    overridden = [m for m in methods if getattr(type(backend), m) is not vars(Backend)[m]]
    ordered = [m for m in CASES if m in overridden] + [m for m in overridden if m not in CASES]
    return ordered, [m for m in methods if m not in overridden]


# -- timing and agreement --------------------------------------------------------------------
def synchronizer(device):
    if device.startswith("cuda"):
        import cupy

        return cupy.cuda.get_current_stream().synchronize
    return lambda: None


def block_seconds(form, arg_sets, sync):
    """Wall seconds of ``form`` called on each argument set, between two syncs."""
    sync()
    start = time.perf_counter()
    for args in arg_sets:
        form(*args)
    sync()
    return time.perf_counter() - start


def describe(args, backend):
    """The shapes of the array arguments (of the shape asked for, for a draw; the
    number of arrays, for a list of them)."""
    shapes = [tuple(a.shape) for a in args if isinstance(a, backend.array_types)]
    if not shapes and isinstance(args[0], list):
        return f"{len(args[0])} arrays"
    return " ".join("x".join(map(str, s)) if s else "()" for s in shapes or [args[0]])


def host_outputs(result, args, written, backend):
    """What a call produced, as numpy arrays: its return value, else what it wrote."""
    if result is None:
        arrays = [args[i] for i in written]
    else:
        arrays = list(result) if isinstance(result, tuple) else [result]
    return [np.asarray(backend.to_numpy(a) if isinstance(a, backend.array_types) else a)
            for a in arrays]


def agreement(special, generic, draw):
    """"yes", "same law" (a draw's numbers differ by design, its law does not) or
    "NO: ..." for two lists of host arrays."""
    if len(special) != len(generic):
        return f"NO: {len(special)} results against {len(generic)}"
    law = False
    for s, g in zip(special, generic):
        if s.shape != g.shape or s.dtype != g.dtype:
            return f"NO: {s.dtype}{list(s.shape)} against {g.dtype}{list(g.shape)}"
        if s.dtype == bool or np.issubdtype(s.dtype, np.integer):
            same = np.array_equal(s, g)
        else:
            scale = float(np.max(np.abs(g))) if g.size else 0.0
            same = np.allclose(s, g, rtol=1e-5, atol=1e-4 * scale)
        if same:
            continue
        if not (draw and same_law(s, g)):
            return f"NO: largest difference {np.max(np.abs(s.astype(float) - g)):.3g}"
        law = True
    return "same law" if law else "yes"


def same_law(a, b):
    """Means and standard deviations of two large samples within five standard errors."""
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    n = min(a.size, b.size)
    error = math.sqrt((a.var() + b.var()) / n)  # of the difference of the means
    return (abs(a.mean() - b.mean()) <= 5 * error
            and abs(a.std() - b.std()) <= 5 * error / math.sqrt(2) + 1e-12)


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(backend, name, args, opts, sync):
    """One method on one argument set: ms per call of each form per round, ratios,
    agreement."""
    from minigrad.backend.base import Backend

    forms = (getattr(backend, name), functools.partial(getattr(Backend, name), backend))
    written = WRITES.get(name, ())
    if name.endswith("_") and not written:
        raise ValueError(f"{name} writes in place: say which arguments in WRITES")

    def fresh():
        return tuple(backend.copy(a) if i in written else a for i, a in enumerate(args))

    for _ in range(opts.warmup):
        for form in forms:
            form(*fresh())
    state, outputs = backend.rng_state(), []
    for form in forms:  # each draw starts from the same random state
        backend.set_rng_state(state)
        call_args = fresh()
        outputs.append(host_outputs(form(*call_args), call_args, written, backend))
    agree = agreement(*outputs, draw=name in DRAWS)

    once = statistics.mean(block_seconds(form, [fresh()], sync) for form in forms)
    reps = max(3, round(opts.block_seconds / max(once, 1e-7)))
    if written:
        per_call = sum(math.prod(args[i].shape) for i in written) * np.dtype(opts.dtype).itemsize
        reps = max(1, min(reps, int(opts.copy_mib * 2**20 // per_call)))
    ms = ([], [])
    for _ in range(opts.rounds):
        for form, times in zip(forms, ms):
            arg_sets = [fresh() for _ in range(reps)] if written else [args] * reps
            times.append(1e3 * block_seconds(form, arg_sets, sync) / reps)
            del arg_sets  # the copies go before the next block makes its own
    return {"method": name, "shape": describe(args, backend), "reps": reps,
            "special_ms": spread(ms[0]), "generic_ms": spread(ms[1]),
            "ratio": spread([a / b for a, b in zip(*ms)]), "agree": agree}


def verdict(row):
    if "ratio" not in row:
        return "not measured"
    if row["agree"] not in ("yes", "same law"):
        return "RESULTS DIFFER"
    return "keeps its place" if row["ratio"]["median"] <= KEEP_AT_MOST else "no measured gain"


def table(summary):
    """The results as markdown lines, a verdict per row, then the overrides without a case."""
    lines = ["| method | shape | special ms | generic ms | special / generic | agree | verdict |",
             "|---|---|---|---|---|---|---|"]
    for row in summary["results"]:
        if "ratio" not in row:
            lines.append(f"| {row['method']} | {row['shape']} | | | | {row['agree']} | "
                         f"{verdict(row)} |")
            continue
        s, g, r = row["special_ms"], row["generic_ms"], row["ratio"]
        lines.append(
            f"| {row['method']} | {row['shape']} | {s['median']:.3f} ({s['min']:.3f}-"
            f"{s['max']:.3f}) | {g['median']:.3f} ({g['min']:.3f}-{g['max']:.3f}) | "
            f"{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f}) | {row['agree']} | "
            f"{verdict(row)} |")
    if summary["no_case"]:
        lines += ["", "No case (add one to CASES in bench_kernels.py): "
                  + ", ".join(summary["no_case"])]
    return lines


def environment(device):
    env = {"device": device, "python": sys.version.split()[0], "numpy": np.__version__}
    if device.startswith("cuda"):
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
        env.update(gpu=name.decode() if isinstance(name, bytes) else name,
                   cupy=cupy.__version__, cuda_runtime=cupy.cuda.runtime.runtimeGetVersion())
    return env


def run(opts):
    from minigrad.backend import get_backend

    backend = get_backend(opts.device)
    inputs, sync = Inputs(backend, opts.device, opts.dtype), synchronizer(opts.device)
    overridden, generic_only = special_cases(backend)
    summary = {"environment": environment(opts.device), "args": vars(opts), "results": [],
               "no_case": [m for m in overridden if m not in CASES],
               "generic_only": generic_only, "keep_at_most": KEEP_AT_MOST}
    print(json.dumps(summary["environment"]), flush=True)

    def save():
        if opts.json:
            from results import write_atomic

            write_atomic(opts.json, json.dumps(summary, indent=1))

    print(f"special cases of {type(backend).__name__}: {', '.join(overridden)}", flush=True)
    chosen = opts.methods.split(",") if opts.methods else overridden
    for name in overridden:
        if name not in CASES or name not in chosen:
            continue
        made = CASES[name](opts.batch, inputs)
        for args in made if isinstance(made, list) else [made]:
            started = time.perf_counter()
            try:
                row = measure(backend, name, args, opts, sync)
            except Exception as e:  # noqa: BLE001 -- e.g. a changed signature: reported
                row = {"method": name, "shape": describe(args, backend),
                       "agree": f"ERROR: {type(e).__name__}: {e}".replace("|", "/")[:200]}
            summary["results"].append(row)
            print(table({"results": [row], "no_case": []})[-1]
                  + f" ({time.perf_counter() - started:.1f} s)", flush=True)
            save()
    save()
    print("\n".join(table(summary)))
    print(f"generic only on this backend: {', '.join(generic_only) or '-'}")
    return summary


def main(argv=None):
    opts = parse(argv)
    sys.path.insert(0, HERE)
    from minigrad.backend import normalize_device

    opts.device = normalize_device(opts.device)
    if not opts.device.startswith("cuda"):
        return run(opts)
    import cupy

    with cupy.cuda.Device(int(opts.device.split(":")[1])):
        return run(opts)


if __name__ == "__main__":
    main()
