"""array-api-strict: a CPU stand-in for a separate device.

Its arrays refuse to combine with numpy arrays and with arrays of another of
its devices, and offer only what the array API standard specifies. Running the
test suite on it proves that minigrad never leaks a host array into device
code nor calls numpy on device data: the bugs a numpy library meets on a GPU.
It draws random numbers as the GPU does (:mod:`minigrad.backend.philox`, with
the host twins of the GPU kernels), so the tests also prove that nothing
depends on a device drawing the CPU's numbers.
"""
from __future__ import annotations

import math

import array_api_strict as xps
import numpy as np

from minigrad.backend import philox
from minigrad.backend.base import Backend

_DEVICES = {
    "strict": "CPU_DEVICE",
    "strict:0": "CPU_DEVICE",
    "strict:1": "device1",
    "strict:2": "device2",
}


class StrictBackend(philox.KeyedRandom, Backend):
    name = "strict"
    xp = xps
    array_types = (xps._array_object.Array,)

    def device_of(self, array) -> str:
        name = str(array.device).split("'")[1]
        return "strict" if name == "CPU_DEVICE" else "strict:" + name[-1]

    def _device(self, device):
        return xps.Device(_DEVICES[device or "strict"])

    def asarray(self, data, dtype=None, device=None):
        if isinstance(data, self.array_types):
            data = self.to_numpy(data)
        host = np.asarray(data)
        if dtype is not None:
            host = host.astype(self._host_dtype(dtype))
        return xps.asarray(host, device=self._device(device))

    def to_numpy(self, array):
        return np.from_dlpack(array).copy()

    def zeros(self, shape, dtype, device=None):
        return xps.zeros(shape, dtype=dtype, device=self._device(device))

    # the GPU kernels' host twins, on this device
    def _words(self, key, count, device):
        return self.asarray(philox.philox_words(key, count), device=device)

    def _keep(self, key, shape, threshold, device):
        bits = philox.keep_bits(key, math.prod(shape), threshold).reshape(shape)
        return self.asarray(bits, device=device)
