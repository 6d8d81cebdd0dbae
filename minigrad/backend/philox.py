"""Random numbers on a device, keyed from the host: Philox4x32-10 by counter.

A GPU generator that keeps its state on the device (CuPy's ``Generator`` and
its cuRAND bit generators) cannot be saved with a checkpoint, cannot be
rewound, and belongs to the one device it was created on. Here the device
keeps no random state at all. Each draw takes one 64-bit *key* from the
backend's host ``numpy.random.Generator`` and computes its numbers as a pure
function of that key and of each number's position::

    word j of a draw = word (j mod 4) of Philox4x32-10(counter = j div 4, key)

so the host generator's state is the whole random state: it saves like
numpy's, restoring it replays every later draw exactly, and the same seed
gives the same numbers on every device. Paper: Salmon, Moraes, Dror and Shaw,
"Parallel Random Numbers: As Easy as 1, 2, 3", SC 2011 (Random123).

:data:`CUDA_PREAMBLE` is the device code (CuPy compiles it); the numpy
functions below compute the same words on the host, which is how the tests
check the GPU kernels bit for bit and how :class:`KeyedRandom`'s arithmetic is
tested on a machine without a GPU.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np  # the host twin of the device kernels

from minigrad.backend.base import keep_threshold

_M0, _M1 = 0xD2511F53, 0xCD9E8D57  # Philox4x32 multipliers
_W0, _W1 = 0x9E3779B9, 0xBB67AE85  # Weyl increments of the key
_LOW32 = 0xFFFFFFFF

# Plain C, so that a host C compiler can check it too; CuPy's kernels wrap
# WORDS_OPERATION and KEEP_OPERATION in a loop over the output index ``i``.
CUDA_PREAMBLE = r"""
__device__ void minigrad_philox(unsigned int c[4], unsigned int k0, unsigned int k1) {
    for (int r = 0; r < 10; ++r) {
        unsigned long long p0 = 0xD2511F53ull * c[0];
        unsigned long long p1 = 0xCD9E8D57ull * c[2];
        unsigned int c1 = c[1], c3 = c[3];
        c[0] = (unsigned int)(p1 >> 32) ^ c1 ^ k0;
        c[1] = (unsigned int)p1;
        c[2] = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
        c[3] = (unsigned int)p0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

__device__ unsigned int minigrad_philox_word(unsigned long long key, unsigned long long j) {
    unsigned long long block = j >> 2;
    unsigned int c[4];
    c[0] = (unsigned int)block;
    c[1] = (unsigned int)(block >> 32);
    c[2] = 0u;
    c[3] = 0u;
    minigrad_philox(c, (unsigned int)key, (unsigned int)(key >> 32));
    return c[j & 3];
}
"""
WORDS_OPERATION = "word = minigrad_philox_word(key, (unsigned long long)i);"
# element i keeps 16 bits of the stream: the low (i even) or high (i odd) half of word i / 2
KEEP_OPERATION = (
    "unsigned int w = minigrad_philox_word(key, ((unsigned long long)i) >> 1);"
    "keep = ((i & 1) ? (w >> 16) : (w & 0xFFFFu)) < threshold;"
)


def philox4x32_10(counters, key: int):
    """Philox4x32-10 of ``counters`` ((n, 4) uint32) under the 64-bit ``key``
    (its low word is Random123's key[0]): (n, 4) uint32."""
    c = [np.asarray(counters[:, j], dtype=np.uint64) for j in range(4)]
    k0, k1 = key & _LOW32, (key >> 32) & _LOW32
    for _ in range(10):
        p0, p1 = c[0] * np.uint64(_M0), c[2] * np.uint64(_M1)
        c = [(p1 >> 32) ^ c[1] ^ np.uint64(k0), p1 & _LOW32,
             (p0 >> 32) ^ c[3] ^ np.uint64(k1), p0 & _LOW32]
        k0, k1 = (k0 + _W0) & _LOW32, (k1 + _W1) & _LOW32
    return np.stack(c, axis=1).astype(np.uint32)


def philox_words(key: int, count: int) -> np.ndarray:
    """The first ``count`` uint32 words of the stream of ``key`` (host twin of the
    device kernel ``WORDS_OPERATION``)."""
    blocks = np.arange(-(-count // 4), dtype=np.uint64)
    counters = np.zeros((len(blocks), 4), np.uint64)
    counters[:, 0], counters[:, 1] = blocks & _LOW32, blocks >> 32
    return philox4x32_10(counters, key).reshape(-1)[:count]


def keep_bits(key: int, count: int, threshold: int) -> np.ndarray:
    """``count`` booleans, element i true when 16-bit chunk i of the stream of
    ``key`` is below ``threshold`` (host twin of ``KEEP_OPERATION``)."""
    words = philox_words(key, -(-count // 2))
    halves = np.stack([words & 0xFFFF, words >> 16], axis=1).reshape(-1)[:count]
    return halves < threshold


class KeyedRandom:
    """The random methods of a backend that draws on a device by key.

    Mixed in before :class:`~minigrad.backend.base.Backend`, whose ``_rng`` (a host
    ``numpy.random.Generator``) stays the only random state: ``seed``,
    ``rng_state`` and ``set_rng_state`` are Backend's, and ``integers`` and
    ``permutation`` stay host draws moved to the device (small, and the same
    numbers as on the CPU). A subclass supplies :meth:`_words` and
    :meth:`_keep` (one kernel each) and :meth:`_on` (the device context); the
    tests run this class on numpy with the host twins as its kernels.
    """

    def _next_key(self) -> int:
        """One 64-bit key from the host generator: one per device draw."""
        return int(self._rng.bit_generator.random_raw())

    def _on(self, device):
        """The context in which arrays for ``device`` are made."""
        return contextlib.nullcontext()

    def _words(self, key: int, count: int, device):
        """``philox_words(key, count)`` as a uint32 array on ``device``."""
        raise NotImplementedError

    def _keep(self, key: int, shape, threshold: int, device):
        """``keep_bits(key, prod(shape), threshold)`` shaped ``shape``, on ``device``."""
        raise NotImplementedError

    def _unit(self, shape, dtype, device):
        """Floats uniform in [0, 1) of ``shape``: 24 random bits each for float32 (one
        word), 53 for float64 (two words), so every value is a multiple of 2**-24 or
        2**-53 and the draw is exact in its dtype."""
        xp, n = self.xp, math.prod(shape)
        if dtype == xp.float64:
            w = self._words(self._next_key(), 2 * n, device)
            high, low = xp.astype(w[0::2] >> 5, xp.float64), xp.astype(w[1::2] >> 6, xp.float64)
            return xp.reshape((high * 67108864.0 + low) * 2.0**-53, shape)
        w = self._words(self._next_key(), n, device)
        return xp.reshape(xp.astype(w >> 8, xp.float32) * 2.0**-24, shape)

    def uniform(self, shape, low=0.0, high=1.0, dtype=None, device=None):
        xp = self.xp
        dtype = dtype or xp.float32
        with self._on(device):
            u = self._unit(_shape(shape), xp.float64 if dtype == xp.float64 else xp.float32,
                           device)
            return xp.astype(u * (high - low) + low, dtype, copy=False)

    def normal(self, shape, mean=0.0, std=1.0, dtype=None, device=None):
        """Box-Muller on two float64 uniforms per number: sqrt(-2 ln u1) cos(2 pi u2),
        u1 in (0, 1]; computed in float64, then cast to ``dtype``."""
        xp = self.xp
        dtype = dtype or xp.float32
        with self._on(device):
            u = self._unit((2, *_shape(shape)), xp.float64, device)
            z = xp.sqrt(-2.0 * xp.log(1.0 - u[0, ...])) * xp.cos((2 * math.pi) * u[1, ...])
            return xp.astype(z * std + mean, dtype, copy=False)

    def keep_mask(self, shape, keep_prob: float, device=None):
        """True with probability ``keep_prob`` (within 2**-16): 16 random bits per
        element against :func:`~minigrad.backend.base.keep_threshold`, in one kernel."""
        with self._on(device):
            return self._keep(self._next_key(), tuple(shape), keep_threshold(keep_prob), device)


def _shape(shape) -> tuple:
    """A shape as a tuple; an int ``n`` is ``(n,)``, as numpy's ``size=`` takes it."""
    return (shape,) if isinstance(shape, int) else tuple(shape)
