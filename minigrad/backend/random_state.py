"""The states of every backend's random generator, to save in a checkpoint and restore."""
from __future__ import annotations

from minigrad.backend.registry import _BACKENDS, get_backend

_DEVICE_OF_BACKEND = {"numpy": "cpu", "strict": "strict", "cupy": "cuda"}


def rng_states() -> dict:
    """``{backend name: generator state}`` for every backend loaded so far."""
    return {name: b.rng_state() for name, b in _BACKENDS.items()}


def set_rng_states(states: dict) -> list:
    """Restore what :func:`rng_states` returned; returns the names of backends
    that could not be loaded on this machine (their states are skipped)."""
    skipped = []
    for name, state in states.items():
        try:
            backend = get_backend(_DEVICE_OF_BACKEND[name])
        except (KeyError, RuntimeError):
            skipped.append(name)
            continue
        backend.set_rng_state(state)
    return skipped
