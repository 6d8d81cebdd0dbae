"""The GPU's random numbers: Philox4x32-10 by key, the state on the host.

Most tests run the GPU backend's random arithmetic on numpy (``HostKeyed``:
:class:`KeyedRandom` with the host twins as its kernels) or compile the kernel
source with the host C compiler; the ``gpu`` ones compare CuPy's kernels with
the host twins bit for bit.
"""
import ctypes
import math
import shutil
import subprocess

import numpy as np
import pytest

import minigrad
from minigrad import backend, nn, training
from minigrad.backend import philox, registry
from minigrad.backend.numpy_backend import NumpyBackend


class HostKeyed(philox.KeyedRandom, NumpyBackend):
    def _words(self, key, count, device):
        return philox.philox_words(key, count)

    def _keep(self, key, shape, threshold, device):
        return philox.keep_bits(key, math.prod(shape), threshold).reshape(shape)


def seeded(seed):
    gen = HostKeyed()
    gen.seed(seed)
    return gen


# -- the algorithm ---------------------------------------------------------------------
@pytest.mark.parametrize("counter, key, expected", [
    # Random123's known-answer vectors (kat_vectors, philox4x32 10 rounds)
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_known_answers(counter, key, expected):
    out = philox.philox4x32_10(np.array([counter], np.uint32), key[0] | key[1] << 32)
    assert out.dtype == np.uint32
    assert tuple(int(w) for w in out[0]) == expected


def test_words_are_blocks_of_four_by_counter():
    key = 0x0123456789ABCDEF
    words = philox.philox_words(key, 4 * 70000 + 3)
    counters = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [69999, 0, 0, 0]], np.uint32)
    blocks = philox.philox4x32_10(counters, key)
    np.testing.assert_array_equal(words[:8], blocks[:2].reshape(-1))
    np.testing.assert_array_equal(words[4 * 69999:4 * 70000], blocks[2])
    np.testing.assert_array_equal(philox.philox_words(key, 5), words[:5])  # a prefix
    assert not np.array_equal(philox.philox_words(key + 1, 8), words[:8])


def test_keep_bits_are_16_bit_halves_against_the_threshold():
    key, n = 99, 1001
    words = philox.philox_words(key, 501)
    halves = np.empty(1002, np.int64)
    halves[0::2], halves[1::2] = words & 0xFFFF, words >> 16
    for threshold in (0, 1, 40000, 65535, 65536):
        np.testing.assert_array_equal(philox.keep_bits(key, n, threshold),
                                      halves[:n] < threshold)
    assert philox.keep_bits(key, n, 65536).all() and not philox.keep_bits(key, n, 0).any()


# -- KeyedRandom: the draws ----------------------------------------------------------
def test_uniform_float32_uses_24_bits_and_keeps_the_range():
    u = seeded(0).uniform((200_000,), dtype=np.float32)
    assert u.dtype == np.float32 and u.shape == (200_000,)
    assert u.min() >= 0.0 and u.max() < 1.0
    np.testing.assert_array_equal(u * 2**24, np.floor(u * 2**24))
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    v = seeded(0).uniform((3, 4), -2.0, 3.0, dtype=np.float32)
    assert v.shape == (3, 4) and v.min() >= -2.0 and v.max() <= 3.0
    assert seeded(0).uniform(5).shape == seeded(0).normal(5).shape == (5,)  # numpy's size=5


def test_uniform_float64_uses_53_bits():
    u = seeded(1).uniform((100_000,), dtype=np.float64)
    assert u.dtype == np.float64 and 0.0 <= u.min() and u.max() < 1.0
    np.testing.assert_array_equal(u * 2**53, np.floor(u * 2**53))
    assert np.mean(u * 2**24 != np.floor(u * 2**24)) > 0.99  # finer than float32's grid


def test_normal_moments_and_dtypes():
    z = seeded(2).normal((200_000,), 1.5, 2.0, dtype=np.float32)
    assert z.dtype == np.float32 and np.isfinite(z).all()
    assert abs(z.mean() - 1.5) < 0.02 and abs(z.std() - 2.0) < 0.02
    standard = (seeded(2).normal((200_000,), dtype=np.float64))
    assert standard.dtype == np.float64
    assert abs(np.mean(standard**4) - 3.0) < 0.1  # Gaussian kurtosis, not uniform's 1.8
    assert seeded(2).normal(()).shape == ()


def test_keep_mask_probability_and_shape():
    mask = seeded(3).keep_mask((400, 250), 0.8)
    assert mask.dtype == bool and mask.shape == (400, 250)
    assert abs(mask.mean() - 0.8) < 0.005
    assert seeded(3).keep_mask((7,), 1.0).all()


def test_each_draw_takes_one_key_from_the_host_generator():
    gen, host = seeded(4), np.random.default_rng(4)
    for draw in (lambda: gen.uniform((5,)), lambda: gen.normal((2, 3)),
                 lambda: gen.keep_mask((9,), 0.5)):
        draw()
        host.bit_generator.random_raw()
        assert gen.rng_state() == host.bit_generator.state


def test_same_seed_same_draws_and_keys_do_not_repeat():
    a, b = seeded(5), seeded(5)
    for _ in range(2):
        np.testing.assert_array_equal(a.keep_mask((1000,), 0.5), b.keep_mask((1000,), 0.5))
        np.testing.assert_array_equal(a.uniform((10,)), b.uniform((10,)))
    assert not np.array_equal(a.keep_mask((1000,), 0.5), a.keep_mask((1000,), 0.5))


# -- the state lives on the host --------------------------------------------------------
def test_restoring_the_state_replays_every_kind_of_draw():
    gen = seeded(6)
    state = gen.rng_state()

    def draws():
        return [gen.uniform((4,)), gen.normal((3,), dtype=np.float64),
                gen.keep_mask((33,), 0.7), gen.integers(0, 9, (5,)), gen.permutation(6)]

    first = draws()
    gen.set_rng_state(state)
    for a, b in zip(first, draws()):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


@pytest.fixture
def keyed_cupy(monkeypatch):
    """A HostKeyed generator registered as minigrad's "cupy" backend, as if loaded."""
    gen = HostKeyed()
    monkeypatch.setitem(registry._BACKENDS, "cupy", gen)
    return gen


def test_manual_seed_reaches_the_keyed_backend(keyed_cupy):
    minigrad.manual_seed(7)
    first = keyed_cupy.keep_mask((50,), 0.5)
    minigrad.manual_seed(7)
    np.testing.assert_array_equal(keyed_cupy.keep_mask((50,), 0.5), first)
    np.testing.assert_array_equal(seeded(7).keep_mask((50,), 0.5), first)


def test_save_checkpoint_round_trip_replays_the_draws(keyed_cupy, tmp_path):
    model = nn.Sequential(nn.Dense(2, in_features=3))
    minigrad.manual_seed(8)
    keyed_cupy.keep_mask((10,), 0.5)
    path = str(tmp_path / "ck.npz")
    training.save_checkpoint(path, model, epoch=1)
    after = [keyed_cupy.keep_mask((64,), 0.5), keyed_cupy.uniform((8,))]
    minigrad.manual_seed(99)
    training.load_checkpoint(path, model)
    again = [keyed_cupy.keep_mask((64,), 0.5), keyed_cupy.uniform((8,))]
    for a, b in zip(after, again):
        np.testing.assert_array_equal(a, b)
    saved = training.load_checkpoint(path, restore_rng=False)["rng"]["cupy"]
    assert saved["bit_generator"] == "PCG64"  # numpy's format: the whole state is the host's


# -- the kernel source, compiled for the host ----------------------------------------------
_HARNESS = r"""
#include <stddef.h>
#define __device__
%(preamble)s
void words_kernel(unsigned long long key, unsigned int *out, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; ++i) {
#define word out[i]
        %(words)s
#undef word
    }
}
void keep_kernel(unsigned long long key, unsigned int threshold, unsigned char *out,
                 ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; ++i) {
#define keep out[i]
        %(keep)s
#undef keep
    }
}
"""


@pytest.fixture(scope="module")
def compiled_kernels(tmp_path_factory):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to check the kernel source with")
    folder = tmp_path_factory.mktemp("philox")
    source, library = folder / "philox.c", folder / "philox.so"
    source.write_text(_HARNESS % {"preamble": philox.CUDA_PREAMBLE,
                                  "words": philox.WORDS_OPERATION,
                                  "keep": philox.KEEP_OPERATION})
    subprocess.run([compiler, "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o",
                    str(library), str(source)], check=True)
    return ctypes.CDLL(str(library))


@pytest.mark.parametrize("key", [0, 1, 2**63 + 12345, 2**64 - 1])
def test_kernel_source_computes_the_host_twin(compiled_kernels, key):
    n = 4099
    words = np.empty(n, np.uint32)
    compiled_kernels.words_kernel(ctypes.c_ulonglong(key), words.ctypes.data_as(ctypes.c_void_p),
                                  ctypes.c_ssize_t(n))
    np.testing.assert_array_equal(words, philox.philox_words(key, n))
    for threshold in (0, 3000, 65536):
        keep = np.empty(n, np.uint8)
        compiled_kernels.keep_kernel(ctypes.c_ulonglong(key), ctypes.c_uint(threshold),
                                     keep.ctypes.data_as(ctypes.c_void_p), ctypes.c_ssize_t(n))
        np.testing.assert_array_equal(keep.astype(bool), philox.keep_bits(key, n, threshold))


# -- on a GPU: CuPy's kernels against the host twins ----------------------------------------
def _cuda_devices():
    return [d for d in minigrad.available_devices() if d.startswith("cuda")]


@pytest.mark.gpu
@pytest.mark.parametrize("n", [1, 7, 4096, 1_000_003])
def test_cupy_kernels_equal_the_host_twins(n):
    gpu = backend.get_backend("cuda")
    for device in _cuda_devices():
        key = 2**64 - 1 - n
        with gpu._on(device):
            words = gpu._words(key, n, device)
            keep = gpu._keep(key, (n,), 40000, device)
        assert backend.device_of(words) == backend.device_of(keep) == device
        np.testing.assert_array_equal(backend.to_numpy(words), philox.philox_words(key, n))
        np.testing.assert_array_equal(backend.to_numpy(keep), philox.keep_bits(key, n, 40000))


@pytest.mark.gpu
def test_cuda_draws_equal_the_host_keyed_draws_on_every_device():
    gpu = backend.get_backend("cuda")
    for device in _cuda_devices():
        gpu.seed(11)
        host = seeded(11)
        keep = gpu.keep_mask((129, 65), 0.3, device)
        assert backend.device_of(keep) == device and keep.shape == (129, 65)
        np.testing.assert_array_equal(backend.to_numpy(keep), host.keep_mask((129, 65), 0.3))
        mask = gpu.dropout_mask((31, 7), 0.75, np.float32, device)  # one kernel on CuPy
        assert backend.device_of(mask) == device and mask.dtype == np.float32
        np.testing.assert_array_equal(backend.to_numpy(mask),
                                      host.dropout_mask((31, 7), 0.75, np.float32))
        u = gpu.uniform((1000,), -1.0, 2.0, device=device)
        np.testing.assert_array_equal(backend.to_numpy(u), host.uniform((1000,), -1.0, 2.0))
        z = gpu.normal((1000,), dtype=np.float64, device=device)
        assert z.dtype == np.float64 and backend.device_of(z) == device
        np.testing.assert_allclose(backend.to_numpy(z), host.normal((1000,), dtype=np.float64),
                                   rtol=1e-12, atol=1e-12)
        assert gpu.rng_state() == host.rng_state()


@pytest.mark.gpu
def test_cuda_random_state_saves_with_a_checkpoint_and_replays(tmp_path):
    gpu = backend.get_backend("cuda")
    model = nn.Sequential(nn.Dense(2, in_features=3)).to("cuda")
    minigrad.manual_seed(12)
    path = str(tmp_path / "ck.npz")
    training.save_checkpoint(path, model)  # a bit generator's state() method could not be saved
    first = backend.to_numpy(gpu.keep_mask((1000,), 0.5, "cuda:0"))
    gpu.keep_mask((1000,), 0.5, "cuda:0")
    training.load_checkpoint(path, model)
    np.testing.assert_array_equal(backend.to_numpy(gpu.keep_mask((1000,), 0.5, "cuda:0")), first)
