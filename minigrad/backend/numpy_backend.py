"""numpy: the CPU backend and the default."""
from __future__ import annotations

import numpy as np

from minigrad.backend.base import Backend


class NumpyBackend(Backend):
    name = "numpy"
    xp = np
    array_types = (np.ndarray, np.generic)
    single_device = True

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
