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

    def scatter_add(self, target, key, values) -> None:
        np.add.at(target, key, values)

    def zeros(self, shape, dtype, device=None):
        return np.zeros(shape, dtype=dtype)
