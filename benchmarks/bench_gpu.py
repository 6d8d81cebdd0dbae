"""minigrad on CuPy against PyTorch on CUDA: the MLP and the CNN training step, float32.

The MLP of bench_mlp.py (784-512-512-10, ReLU, dropout 0.2) and the CNN of
bench_cnn.py (two 3x3 convolutions with max pooling, Dense 128, Dense 10), each
with Adam (lr 1e-3) and softmax cross-entropy, at each batch size of
``--batches`` (default 128 and 1024). Both frameworks start from the same
weights (the first losses, without dropout, must agree) and cycle through the
same synthetic batches, made once and kept on the device, so no host transfer
is timed. PyTorch runs in true float32 (TF32 off for matmul and cuDNN), as CuPy
does by default.

Blocks of steps of each system alternate in one process (interleaved rounds,
as in bench_step.py), each block timed between two device synchronisations: the
time per step is the wall time of the host and device work together, which is
what a training loop pays. A step is ``zero_grad``, forward, loss,
``backward``, optimizer step. Reported: the median ms per step over the rounds
with its range, minigrad / PyTorch per round (median, min, max), and the peak
GPU memory of a few untimed steps: PyTorch's ``max_memory_allocated`` and, for
CuPy, the memory pool's largest ``used_bytes`` at any allocation (a
``cupy.cuda.MemoryHook``); both include the weights, the optimizer state and
the batches on the device.

Systems: ``minigrad``, ``torch`` (default ``Adam``, the multi-tensor one on CUDA)
and ``torch-fused`` (``Adam(fused=True)``); the torch ones only where torch is
importable. ``--device cpu`` runs the same code on numpy and PyTorch CPU (a dry
run of the script on a machine without a GPU).

    python benchmarks/bench_gpu.py --json gpu.json
    python benchmarks/bench_gpu.py --device cpu --batches 8 --rounds 2 --models mlp
"""
from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMS = ("minigrad", "torch", "torch-fused")
MODELS = ("mlp", "cnn")
MLP_SIZES = (784, 512, 512, 10)
POOL = 4  # distinct batches per configuration, used in turn


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda", help='"cuda" (default), "cuda:N" or "cpu"')
    p.add_argument("--models", default="mlp,cnn", help="comma-separated (default mlp,cnn)")
    p.add_argument("--batches", default="128,1024", help="batch sizes (default 128,1024)")
    p.add_argument("--systems", default=",".join(SYSTEMS),
                   help="minigrad first, then torch and/or torch-fused (default all)")
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    p.add_argument("--block-seconds", type=float, default=0.15,
                   help="about this long per block of steps (default 0.15)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    p.add_argument("--memory-steps", type=int, default=3,
                   help="untimed steps with the peak memory recorded (default 3)")
    p.add_argument("--json", help="write the results to this file")
    args = p.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.batches = [int(b) for b in args.batches.split(",") if b]
    args.systems = [s for s in args.systems.split(",") if s]
    if any(m not in MODELS for m in args.models) or not args.batches \
            or not args.systems or args.systems[0] != "minigrad" \
            or any(s not in SYSTEMS for s in args.systems):
        p.error(f"--models from {MODELS}, --systems minigrad then some of {SYSTEMS[1:]}")
    if importlib.util.find_spec("torch") is None:
        args.systems = ["minigrad"]
    return args


# -- one system: a step function, a synchronisation, a memory probe ---------------------
def initial_weights(model, seed):
    """Host float32 weights for ``model``: bench_cnn's for the CNN; Glorot-uniform
    kernels (in, out) and zero biases for the MLP."""
    import numpy as np

    if model == "cnn":
        from bench_cnn import initial_state

        return initial_state(seed)[0]
    rng = np.random.default_rng(seed)
    weights = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(MLP_SIZES)):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights[f"{2 * i}.W"] = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
        weights[f"{2 * i}.b"] = np.zeros(fan_out, np.float32)
    return weights


def host_batches(model, batch, seed):
    """``POOL`` batches of (images, labels): float32 in [0, 1) and int64 labels."""
    import numpy as np

    rng = np.random.default_rng(seed + 1)
    shape = (batch, 784) if model == "mlp" else (batch, 1, 28, 28)
    return [(rng.random(shape, dtype=np.float32), rng.integers(0, 10, batch))
            for _ in range(POOL)]


class System:
    """A model, its optimizer and loss, and a pool of batches on the device; the
    subclasses build them in their library (``no_grad`` is that library's)."""

    def first_loss(self):
        x, y = self.batches[0]
        self.model.eval()
        with self.no_grad():
            loss = self.loss(self.model(x), y).item()
        self.model.train()
        return loss

    def step(self):
        x, y = self.batches[self.turn % POOL]
        self.turn += 1
        self.opt.zero_grad()
        self.loss(self.model(x), y).backward()
        self.opt.step()


class MinigradSystem(System):
    def __init__(self, model, weights, batches, device):
        import minigrad
        from minigrad import F, nn, optim

        self.minigrad, self.device, self.no_grad = minigrad, device, minigrad.no_grad
        if model == "mlp":
            from bench_mlp import minigrad_model

            self.model = minigrad_model(nn, MLP_SIZES)
            self.model.load_state_dict(weights)
        else:
            from bench_cnn import minigrad_cnn

            self.model = minigrad_cnn(weights)
        self.model.to(device)
        self.opt = optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss = F.softmax_cross_entropy
        self.batches = [(minigrad.to_device(x, device), minigrad.to_device(y, device))
                        for x, y in batches]
        self.turn = 0

    def sync(self):
        if self.device.startswith("cuda"):
            import cupy

            cupy.cuda.Device(int(self.device.split(":")[1])).synchronize()

    def peak_memory(self, steps):
        """(peak bytes in use, bytes the memory pool holds) over ``steps`` steps."""
        if not self.device.startswith("cuda"):
            for _ in range(steps):
                self.step()
            return None, None
        import cupy

        pool = cupy.get_default_memory_pool()

        class PeakUsed(cupy.cuda.MemoryHook):
            name = "bench_gpu_peak_used"

            def __init__(self):
                self.peak = pool.used_bytes()

            def malloc_postprocess(self, **kwargs):
                self.peak = max(self.peak, pool.used_bytes())

        with PeakUsed() as hook:
            for _ in range(steps):
                self.step()
            self.sync()
        return hook.peak, pool.total_bytes()

    def release(self):
        del self.model, self.opt, self.batches
        if self.device.startswith("cuda"):
            import cupy

            self.sync()
            cupy.get_default_memory_pool().free_all_blocks()


class TorchSystem(System):
    def __init__(self, model, weights, batches, device, fused):
        import torch

        self.torch, self.no_grad = torch, torch.no_grad
        self.device = torch.device(device)
        if model == "mlp":
            from bench_mlp import torch_model

            self.model = torch_model(torch.nn, MLP_SIZES)
            linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
            with torch.no_grad():
                for i, layer in enumerate(linears):
                    layer.weight.copy_(torch.from_numpy(weights[f"{2 * i}.W"]).T)
                    layer.bias.copy_(torch.from_numpy(weights[f"{2 * i}.b"]))
        else:
            from bench_cnn import torch_cnn

            self.model = torch_cnn(torch, weights)
        self.model.to(self.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3,
                                    fused=True if fused else None)
        self.loss = torch.nn.functional.cross_entropy
        self.batches = [(torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device))
                        for x, y in batches]
        self.turn = 0

    def sync(self):
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)

    def peak_memory(self, steps):
        cuda = self.torch.cuda
        if self.device.type != "cuda":
            for _ in range(steps):
                self.step()
            return None, None
        self.sync()
        cuda.reset_peak_memory_stats(self.device)
        for _ in range(steps):
            self.step()
        self.sync()
        return cuda.max_memory_allocated(self.device), cuda.max_memory_reserved(self.device)

    def release(self):
        del self.model, self.opt, self.batches
        if self.device.type == "cuda":
            self.sync()
            self.torch.cuda.empty_cache()


def make_system(name, model, weights, batches, device):
    if name == "minigrad":
        return MinigradSystem(model, weights, batches, device)
    return TorchSystem(model, weights, batches, device, fused=name == "torch-fused")


# -- timing --------------------------------------------------------------------------------
def block_seconds(system, steps):
    """Wall seconds of ``steps`` steps, between two synchronisations."""
    system.sync()
    start = time.perf_counter()
    for _ in range(steps):
        system.step()
    system.sync()
    return time.perf_counter() - start


def measure(model, batch, args):
    """One configuration: every system's ms per step per round, first loss, memory."""
    import minigrad

    minigrad.manual_seed(0)
    weights, batches = initial_weights(model, 0), host_batches(model, batch, 0)
    systems = {name: make_system(name, model, weights, batches, args.device)
               for name in args.systems}
    result = {}
    for name, system in systems.items():
        loss = system.first_loss()
        for _ in range(args.warmup):
            system.step()
        per_step = block_seconds(system, 3) / 3
        peak, held = system.peak_memory(args.memory_steps)
        result[name] = {"first_loss": loss, "block": max(3, round(args.block_seconds / per_step)),
                        "peak_bytes": peak, "pool_bytes": held, "ms": []}
    for _ in range(args.rounds):
        for name, system in systems.items():
            steps = result[name]["block"]
            result[name]["ms"].append(1e3 * block_seconds(system, steps) / steps)
    for system in systems.values():
        system.release()
    return result


def summarize(result):
    """Medians and ranges per system; minigrad / each torch system per round."""
    out = {}
    for name, r in result.items():
        out[name] = {"median_ms": statistics.median(r["ms"]), "min_ms": min(r["ms"]),
                     "max_ms": max(r["ms"]), "peak_bytes": r["peak_bytes"],
                     "pool_bytes": r["pool_bytes"], "first_loss": r["first_loss"],
                     "block": r["block"], "rounds": len(r["ms"])}
    mine = result["minigrad"]["ms"]
    for name in result:
        if name != "minigrad":
            ratios = [a / b for a, b in zip(mine, result[name]["ms"])]
            out[name]["ratio"] = {"median": statistics.median(ratios), "min": min(ratios),
                                  "max": max(ratios)}
            ref = result[name]["first_loss"]
            out[name]["same_loss"] = abs(result["minigrad"]["first_loss"] - ref) \
                <= 1e-3 * abs(ref) + 1e-5
    return out


def environment(device):
    env = {"device": device, "python": sys.version.split()[0]}
    import numpy

    env["numpy"] = numpy.__version__
    if device.startswith("cuda"):
        import cupy

        index = int(device.split(":")[1]) if ":" in device else 0
        props = cupy.cuda.runtime.getDeviceProperties(index)
        env["gpu"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        env["cupy"] = cupy.__version__
        env["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    if importlib.util.find_spec("torch") is not None:
        import torch

        env["torch"] = torch.__version__
        env["torch_cuda"] = torch.version.cuda
    return env


def set_torch_precision(device):
    """True float32 in PyTorch: no TF32 in matmul or cuDNN convolutions."""
    if importlib.util.find_spec("torch") is None:
        return
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.set_float32_matmul_precision("highest")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)


def mib(n):
    return "-" if n is None else f"{n / 2**20:.0f}"


def table(results):
    """The report as markdown lines: one row per model, batch and system."""
    header = ("| model | batch | system | ms per step (median) | range | minigrad / this "
              "(median, min-max) | peak GPU MiB (in use / held) | first loss |")
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for key, summary in results.items():
        model, batch = key.split("@")
        for name, s in summary.items():
            ratio = s.get("ratio")
            ratio_text = (f"{ratio['median']:.2f} ({ratio['min']:.2f}-{ratio['max']:.2f})"
                          if ratio else "")
            loss = f"{s['first_loss']:.5f}" + ("" if s.get("same_loss", True) else " DIFFERS")
            lines.append(f"| {model} | {batch} | {name} | {s['median_ms']:.3f} | "
                         f"{s['min_ms']:.3f}-{s['max_ms']:.3f} | {ratio_text} | "
                         f"{mib(s['peak_bytes'])} / {mib(s['pool_bytes'])} | {loss} |")
    return lines


def main(argv=None):
    args = parse(argv)
    sys.path.insert(0, HERE)
    from minigrad.backend import normalize_device

    args.device = normalize_device(args.device)
    set_torch_precision(args.device)
    env = environment(args.device)
    print(json.dumps(env), flush=True)
    results = {}
    for model in args.models:
        for batch in args.batches:
            started = time.perf_counter()
            results[f"{model}@{batch}"] = summary = summarize(measure(model, batch, args))
            print(f"{model} batch {batch}: " + ", ".join(
                f"{name} {s['median_ms']:.3f} ms" for name, s in summary.items())
                + f" ({time.perf_counter() - started:.0f} s)", flush=True)
    print("\n".join(table(results)))
    if args.json:
        from results import write_atomic

        write_atomic(args.json, json.dumps({"environment": env, "args": vars(args),
                                            "results": results}, indent=1))
    return results


if __name__ == "__main__":
    main()
