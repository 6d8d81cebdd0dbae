"""Array backends: the only package in minigrad that imports numpy or cupy.

A *device* string names where arrays live and which library computes on them:

============  ===========================================================
``"cpu"``      numpy (the default)
``"cuda"``     CuPy on the current GPU; ``"cuda:N"`` on GPU ``N``
``"strict"``   array-api-strict, a CPU stand-in for a separate device that
               refuses to mix with numpy arrays; ``"strict:1"`` and
               ``"strict:2"`` are two more such devices
============  ===========================================================

Everything outside this package asks for ``namespace(array)`` (the array-API
namespace the array belongs to) and uses the few helpers below for what the
array API standard lacks: scatter-add, seeded random numbers, host transfer.
"""
from __future__ import annotations

from minigrad.backend.base import Backend
from minigrad.backend.registry import (
    as_array,
    available_devices,
    backend_of,
    check_same_device,
    copy,
    default_float_dtype,
    device_of,
    ensure_array,
    get_backend,
    host_array,
    host_generator,
    host_values,
    is_array,
    is_floating,
    manual_seed,
    namespace,
    normalize_device,
    resolve_dtype,
    to_device,
    to_numpy,
    zeros,
)
from minigrad.backend.random_state import rng_states, set_rng_states

__all__ = [
    "as_array",
    "ensure_array",
    "zeros",
    "Backend",
    "available_devices",
    "backend_of",
    "check_same_device",
    "copy",
    "default_float_dtype",
    "device_of",
    "get_backend",
    "host_array",
    "host_generator",
    "host_values",
    "is_array",
    "is_floating",
    "manual_seed",
    "namespace",
    "normalize_device",
    "resolve_dtype",
    "rng_states",
    "set_rng_states",
    "to_device",
    "to_numpy",
]
