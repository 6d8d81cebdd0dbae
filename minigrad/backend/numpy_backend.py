"""numpy: the CPU backend and the default."""
from __future__ import annotations

import numpy as np

from minigrad.backend.base import Backend, UfuncKernels


class NumpyBackend(UfuncKernels, Backend):
    name = "numpy"
    xp = np
    array_types = (np.ndarray, np.generic)
    single_device = True
    # Adam in slices of 64K elements (256 KB in float32): about 3% off minigrad's
    # optimizer phase, 13% off the numpy program's flat one (docs/performance.md)
    adam_chunk = 65536

    def device_of(self, array) -> str:
        return "cpu"

    def asarray(self, data, dtype=None, device=None):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return np.asarray(array)

    def softmax_nll(self, x, labels):
        # the same numbers as the generic form, in fewer and cheaper calls: ndarray
        # methods skip numpy's Python wrappers, a fancy index replaces the one-hot mask
        shifted = x - x.max(axis=1, keepdims=True)
        picked = shifted[np.arange(len(labels)), labels]
        probs = np.exp(shifted, out=shifted)
        total = probs.sum(axis=1, keepdims=True)
        probs /= total
        losses = np.log(total[:, 0])
        losses -= picked
        return losses, probs

    def softmax_nll_grad(self, probs, labels, g):
        grad = probs * g
        grad[np.arange(len(labels)), labels] -= g if g.ndim == 0 else g[:, 0]
        return grad

    def scatter_add(self, target, key, values) -> None:
        np.add.at(target, key, values)

    def zeros(self, shape, dtype, device=None):
        return np.zeros(shape, dtype=dtype)
