"""The Keras-classic MLP written by hand in numpy: our proxy for numpy's physical limit.

784-512-512-10, ReLU, dropout 0.2 after each hidden layer, softmax cross-entropy,
Adam (PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8), batch 128,
Glorot-uniform weights and zero biases (Keras' defaults), float32 throughout.

What makes it tight (each trick is open to any numpy program, minigrad included):

* every array is preallocated once; matrix products write into their outputs
  (``np.matmul(..., out=)``), elementwise work is in place;
* the parameters and the gradients each live in one flat float32 buffer, the
  layers' arrays are views into it, so the gradient products land directly in
  the buffer that Adam reads;
* ReLU and dropout share one float mask ``M = (z > 0) & keep, scaled by
  1 / (1 - rate)``: forward ``h = z * M``, backward ``gz = gh * M``;
* the keep mask comes from raw random bits (the generator's 64-bit words read
  as 16-bit integers, compared with a threshold), not from uniform floats;
* Adam runs over the flat buffers with every operation writing into an
  existing buffer (``out=``), the bias corrections folded into two Python
  floats, and the moments stored scaled (``m = a M`` with a Python float ``a``,
  as minigrad's Adam does), which saves two of its twelve passes. It runs in
  slices of ``chunk`` = 64K elements (256 KB of each float32 array), so that a
  slice is still in the cache for the next pass: inside the training loop the
  update took 1.35 against 1.55 ms per step with whole-buffer passes (16K-element
  slices: 1.57 ms, their Python calls cost more than the cache saves); ``chunk=0``
  updates the whole buffers;
* every ``flush_every`` steps the moment buffers are flushed: entries below
  the smallest normal float32 become 0. Without it, moments of parameters whose
  gradient is mostly exactly zero decay into subnormal numbers, on which the
  CPU's elementwise arithmetic is many times slower.

    python benchmarks/numpy_mlp.py --epochs 5
"""
from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np

F32 = np.float32
TINY = float(np.finfo(F32).tiny)  # smallest normal float32, 1.1754944e-38
RESCALE = 1.0 / math.sqrt(float(np.finfo(F32).max))  # ~5.4e-20
SIZES = (784, 512, 512, 10)


class NumpyMLP:
    """The MLP, its gradients and Adam's state in preallocated float32 buffers."""

    def __init__(self, batch_size=128, rate=0.2, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 seed=0, chunk=65536, flush_every=50, sizes=SIZES):
        self.sizes = tuple(sizes)  # input, two hidden layers, classes
        if len(self.sizes) != 4 or self.sizes[1] != self.sizes[2]:
            raise ValueError(f"NumpyMLP: sizes are (inputs, width, width, classes), two hidden "
                             f"layers of one width (their buffers are shared); got {sizes}")
        self.rng = np.random.default_rng(seed)
        self.batch_size, self.rate = batch_size, rate
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.chunk, self.flush_every, self.t = chunk, flush_every, 0
        shapes = []
        for fan_in, fan_out in itertools.pairwise(self.sizes):
            shapes += [(fan_in, fan_out), (fan_out,)]
        total = sum(int(np.prod(s)) for s in shapes)
        self.flat_p, self.flat_g = np.zeros(total, F32), np.zeros(total, F32)
        self.m, self.v = np.zeros(total, F32), np.zeros(total, F32)
        self.params, self.grads, offset = [], [], 0
        for shape in shapes:
            n = int(np.prod(shape))
            self.params.append(self.flat_p[offset:offset + n].reshape(shape))
            self.grads.append(self.flat_g[offset:offset + n].reshape(shape))
            offset += n
        for W in self.params[0::2]:
            limit = math.sqrt(6.0 / (W.shape[0] + W.shape[1]))
            W[...] = self.rng.uniform(-limit, limit, W.shape)
        self._allocate(batch_size)
        self.tmp = np.empty(min(chunk or total, total), F32)
        self.tmp2 = np.empty_like(self.tmp)
        self.a = self.c = 1.0  # the scales of the moment buffers

    @property
    def n_params(self):
        return self.flat_p.size

    def _allocate(self, n):
        self.n = n
        h = self.sizes[1]
        self.z = [np.empty((n, width), F32) for width in self.sizes[1:]]  # pre-activations
        self.masks = [np.empty((n, h), F32) for _ in range(2)]
        self.keep = [np.empty((n, h), bool) for _ in range(2)]
        self.pos = np.empty((n, h), bool)
        self.gh = np.empty((n, h), F32)

    # -- one step ---------------------------------------------------------------------
    def forward(self, x, y):
        """Softmax probabilities into ``z[2]``; returns the mean cross-entropy."""
        if x.shape[0] != self.n:
            self._allocate(x.shape[0])
        W1, b1, W2, b2, W3, b3 = self.params
        a = x
        for i, (W, b) in enumerate(((W1, b1), (W2, b2))):
            z = np.matmul(a, W, out=self.z[i])
            z += b
            self._relu_dropout_mask(z, i)
            z *= self.masks[i]
            a = z
        z = np.matmul(a, W3, out=self.z[2])
        z += b3
        z -= z.max(axis=1, keepdims=True)
        picked = z[np.arange(self.n), y]
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)
        z /= total
        return float(np.mean(np.log(total[:, 0]) - picked))  # logsumexp - z_y

    def _relu_dropout_mask(self, z, i):
        keep = self.keep[i]
        # 64-bit raw draws seen as four 16-bit integers each: the cheapest random bits
        raw = self.rng.bit_generator.random_raw(-(-z.size // 4))
        bits = raw.view(np.uint16)[:z.size].reshape(z.shape)
        np.less(bits, round((1 - self.rate) * 65536), out=keep)
        np.greater(z, 0, out=self.pos)
        np.logical_and(keep, self.pos, out=keep)
        # dtype=F32: bool times a Python float would run a float64 loop (5x slower)
        np.multiply(keep, 1.0 / (1.0 - self.rate), out=self.masks[i], dtype=F32)

    def backward(self, x, y):
        """Gradients of the mean loss into the flat gradient buffer."""
        gW1, gb1, gW2, gb2, gW3, gb3 = self.grads
        _, _, W2, _, W3, _ = self.params
        h1, h2, g3 = self.z
        g3[np.arange(self.n), y] -= 1.0  # softmax - one_hot
        g3 *= 1.0 / self.n
        np.matmul(h2.T, g3, out=gW3)
        np.sum(g3, axis=0, out=gb3)
        g2 = np.matmul(g3, W3.T, out=self.gh)
        g2 *= self.masks[1]
        np.matmul(h1.T, g2, out=gW2)
        np.sum(g2, axis=0, out=gb2)
        g1 = np.matmul(g2, W2.T, out=h2)  # h2 is no longer needed
        g1 *= self.masks[0]
        np.matmul(x.T, g1, out=gW1)
        np.sum(g1, axis=0, out=gb1)

    def adam(self):
        """One Adam step over the flat buffers, whole or chunk by chunk (PyTorch's formula:
        ``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``), with the moments
        kept scaled as minigrad keeps them: ``m = a M`` and ``v = c V`` with Python floats
        ``a``, ``c``, so ``M += (1 - b1) / a * g`` replaces decaying ``m`` every step
        (ten passes instead of twelve); a scale below 1e-19 is folded into its buffer."""
        self.t += 1
        b1, b2, t = self.b1, self.b2, self.t
        a, c = self.a * b1, self.c * b2
        if a < RESCALE:
            self.m *= a
            a = 1.0
        if c < RESCALE:
            self.v *= c
            c = 1.0
        self.a, self.c = a, c
        k = math.sqrt((1.0 - b2) / c)  # Python floats: a numpy float64 would promote
        k_m = (1.0 - b1) / (a * k)
        r = math.sqrt(c / (1.0 - b2**t))
        step = self.lr * a / ((1.0 - b1**t) * r)
        eps = self.eps / r
        p, g, m, v, tmp, tmp2 = self.flat_p, self.flat_g, self.m, self.v, self.tmp, self.tmp2
        n = self.chunk or p.size
        for lo in range(0, p.size, n):
            hi = min(lo + n, p.size)
            gc, mc, vc, tc, uc = g[lo:hi], m[lo:hi], v[lo:hi], tmp[:hi - lo], tmp2[:hi - lo]
            np.multiply(gc, k, out=tc)
            np.multiply(tc, tc, out=uc)
            vc += uc
            tc *= k_m
            mc += tc
            np.sqrt(vc, out=tc)
            tc += eps
            np.divide(mc, tc, out=tc)
            tc *= step
            p[lo:hi] -= tc
        if self.flush_every and t % self.flush_every == 0:
            flush_subnormals(m)
            flush_subnormals(v)

    def predict(self, x, batch=1000):
        W1, b1, W2, b2, W3, b3 = self.params
        out = []
        for lo in range(0, len(x), batch):
            a = np.maximum(x[lo:lo + batch] @ W1 + b1, 0)
            a = np.maximum(a @ W2 + b2, 0)
            out.append(np.argmax(a @ W3 + b3, axis=1))
        return np.concatenate(out)


def flush_subnormals(a):
    """Set the entries of ``a`` whose magnitude is below the smallest normal float to 0."""
    np.copyto(a, 0, where=np.abs(a) < TINY)


def train(x, y, epochs=5, batch_size=128, seed=0, on_epoch=None):
    """Train on ``(x, y)`` (float32 images, int labels); returns the model and per-epoch
    ``{"seconds", "cpu_seconds", "steps", "forward", "backward", "optimizer", "loss"}``."""
    model = NumpyMLP(batch_size=batch_size, seed=seed)
    order_rng = np.random.default_rng(seed + 1)
    epochs_log = []
    for epoch in range(epochs):
        phases = [0.0, 0.0, 0.0]
        losses = []
        start, cpu = time.perf_counter(), time.process_time()
        order = order_rng.permutation(len(x))
        for lo in range(0, len(x), batch_size):
            idx = order[lo:lo + batch_size]
            xb, yb = x[idx], y[idx]
            t0 = time.perf_counter()
            losses.append(model.forward(xb, yb))
            t1 = time.perf_counter()
            model.backward(xb, yb)
            t2 = time.perf_counter()
            model.adam()
            t3 = time.perf_counter()
            phases[0] += t1 - t0
            phases[1] += t2 - t1
            phases[2] += t3 - t2
        record = {"seconds": time.perf_counter() - start,
                  "cpu_seconds": time.process_time() - cpu, "steps": len(losses),
                  "forward": phases[0], "backward": phases[1], "optimizer": phases[2],
                  "loss": float(np.mean(losses))}
        epochs_log.append(record)
        if on_epoch is not None:
            on_epoch(epoch, record)
    return model, epochs_log


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from minigrad import data
    (x, y), (x_test, y_test) = data.load_data("fashion-mnist", download=False, flatten=True)
    model, _ = train(x, y, args.epochs, seed=args.seed,
                     on_epoch=lambda e, r: print(f"epoch {e + 1}: {r['seconds']:.2f} s, "
                                                 f"loss {r['loss']:.4f}", flush=True))
    print(f"test accuracy {float(np.mean(model.predict(x_test) == y_test)):.4f}")


if __name__ == "__main__":
    main()
