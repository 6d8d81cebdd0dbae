"""Where the data tools draw their random permutations from."""
from __future__ import annotations

from minigrad import backend


def generator(seed=None, device=None):
    """``seed=None``: minigrad's global generator for ``device`` (seeded by
    ``minigrad.manual_seed``); an int: a private generator seeded with it."""
    if seed is None:
        return backend.get_backend(device)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    return backend.host_generator(seed)


def permutation(n: int, gen, device=None):
    """A random permutation of ``0..n-1`` from ``gen``, as an int64 array on ``device``."""
    return backend.to_device(gen.permutation(n), device or "cpu")


def to_list(indices) -> list[int]:
    """Python ints from an index array on any device (or from a list or range)."""
    if isinstance(indices, (list, range, tuple)):
        return [int(i) for i in indices]
    return backend.to_numpy(indices).tolist()
