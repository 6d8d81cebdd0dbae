"""CuPy: arrays on a CUDA GPU."""
from __future__ import annotations

import cupy
import cupyx
import numpy as np

from minigrad.backend.base import Backend, UfuncKernels, keep_threshold


class CupyBackend(UfuncKernels, Backend):
    name = "cupy"
    xp = cupy
    array_types = (cupy.ndarray,)

    def __init__(self):
        super().__init__()
        self._gpu_rng = cupy.random.default_rng(0)

    def device_of(self, array) -> str:
        return f"cuda:{array.device.id}"

    @staticmethod
    def _device_id(device):
        return int(device.split(":")[1]) if device and ":" in device else 0

    def asarray(self, data, dtype=None, device=None):
        with cupy.cuda.Device(self._device_id(device)):
            return cupy.asarray(data, dtype=dtype)

    def copy(self, array):
        return array.copy()

    def zeros(self, shape, dtype, device=None):
        with cupy.cuda.Device(self._device_id(device)):
            return cupy.zeros(shape, dtype=dtype)

    def to_numpy(self, array):
        return cupy.asnumpy(array)

    def scatter_add(self, target, key, values) -> None:
        cupyx.scatter_add(target, key, values)

    def seed(self, seed):
        super().seed(seed)
        self._gpu_rng = cupy.random.default_rng(seed)

    def rng_state(self):
        return {"host": super().rng_state(), "gpu": self._gpu_rng.bit_generator.state}

    def set_rng_state(self, state):
        super().set_rng_state(state["host"])
        self._gpu_rng.bit_generator.state = state["gpu"]

    def uniform(self, shape, low=0.0, high=1.0, dtype=None, device=None):
        with cupy.cuda.Device(self._device_id(device)):
            x = self._gpu_rng.random(shape, dtype=dtype or cupy.float32)
            return x * (high - low) + low

    def normal(self, shape, mean=0.0, std=1.0, dtype=None, device=None):
        with cupy.cuda.Device(self._device_id(device)):
            return self._gpu_rng.standard_normal(shape, dtype=dtype or cupy.float32) * std + mean

    def keep_mask(self, shape, keep_prob, device=None):
        n = int(np.prod(shape, dtype=np.int64))
        with cupy.cuda.Device(self._device_id(device)):
            bits = self._gpu_rng.integers(0, 65536, size=n, dtype=cupy.int32).reshape(shape)
            return bits < keep_threshold(keep_prob)
