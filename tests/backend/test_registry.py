"""Devices, namespaces, transfer, scatter-add and seeded random numbers."""

import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.backend import philox


def test_device_strings():
    assert backend.normalize_device(None) == "cpu"
    assert backend.normalize_device("cuda") == "cuda:0"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        backend.normalize_device("tpu")


def test_namespace_and_device_of(device):
    a = backend.to_device(np.ones(3), device)
    assert backend.device_of(a) == device
    xp = backend.namespace(a)
    assert backend.device_of(xp.exp(a)) == device
    np.testing.assert_array_equal(backend.to_numpy(a), np.ones(3))


def test_scatter_add_accumulates_repeated_indices(device):
    b = backend.get_backend(device)
    target = backend.zeros(
        (4,),
        backend.namespace(backend.to_device(np.ones(1), device)).float64,
        backend.to_device(np.ones(1), device),
    )
    b.scatter_add(
        target,
        backend.to_device(np.array([0, 2, 2]), device),
        backend.to_device(np.ones(3), device),
    )
    np.testing.assert_array_equal(backend.to_numpy(target), [1.0, 0.0, 2.0, 0.0])


def test_manual_seed_reproduces_draws(device):
    gen = backend.get_backend(device)
    minigrad.manual_seed(3)
    a = backend.to_numpy(gen.normal((4,), device=device))
    minigrad.manual_seed(3)
    b = backend.to_numpy(gen.normal((4,), device=device))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32


def test_strict_draws_as_the_gpu_does():
    """The strict backend draws by key like CuPy (minigrad.backend.philox), so the
    suite on it shows that no test depends on a device drawing the CPU's numbers."""
    minigrad.manual_seed(3)
    host = backend.to_numpy(backend.get_backend("cpu").keep_mask((64,), 0.5))
    minigrad.manual_seed(3)
    strict = backend.get_backend("strict")
    key = np.random.default_rng(3).bit_generator.random_raw()
    mask = backend.to_numpy(strict.keep_mask((64,), 0.5, device="strict:2"))
    np.testing.assert_array_equal(mask, philox.keep_bits(key, 64, 32768))
    assert not np.array_equal(mask, host)


def test_keep_mask_probability(device):
    mask = backend.to_numpy(backend.get_backend(device).keep_mask((100_000,), 0.8, device=device))
    assert mask.dtype == bool and abs(mask.mean() - 0.8) < 0.01


def test_rng_state_round_trip():
    b = backend.get_backend("cpu")
    state = b.rng_state()
    first = backend.to_numpy(b.uniform((3,)))
    b.set_rng_state(state)
    np.testing.assert_array_equal(first, backend.to_numpy(b.uniform((3,))))


def test_cuda_is_unavailable_or_works():
    if "cuda:0" in minigrad.available_devices():
        x = minigrad.Variable(np.ones(3), device="cuda")
        assert x.device == "cuda:0"
    else:
        with pytest.raises(RuntimeError, match="gpu|cupy|CUDA"):
            minigrad.Variable(np.ones(3), device="cuda").data + 1
