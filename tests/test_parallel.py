"""Elementwise work in threads: the same numbers as without, chunks that cover every
element once, and a plain call where threads cannot help."""

import numpy as np
import pytest

import minigrad
from minigrad import Parameter, Variable, optim, parallel


@pytest.fixture
def threads():
    def use(n):
        minigrad.set_num_threads(n)

    yield use
    minigrad.set_num_threads(1)


def test_chunks_cover_every_element_once(threads):
    threads(3)
    size = 3 * parallel.MIN_CHUNK + 5
    seen = np.zeros(size, np.int64)
    calls = []

    def kernel(a, scale):
        calls.append(a.size)
        a += scale

    parallel.elementwise(kernel, (seen,), 1)
    assert np.all(seen == 1)
    assert len(calls) == 3 and sum(calls) == size


def test_small_or_strided_arrays_take_one_call(threads):
    threads(4)
    calls = []

    def kernel(a):
        calls.append(a.shape)
        a *= 2

    small = np.ones(parallel.MIN_CHUNK)
    parallel.elementwise(kernel, (small,))
    strided = np.ones((4 * parallel.MIN_CHUNK, 2))[:, 0]  # no flat view of it exists
    parallel.elementwise(kernel, (strided,))
    assert calls == [small.shape, strided.shape]
    assert np.all(small == 2) and np.all(strided == 2)


def test_threaded_adam_matches_one_thread_bit_for_bit(threads):
    rng = np.random.default_rng(0)
    shape = (700, 300)  # 210,000 entries: three chunks with three threads
    grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    finals = []
    for n in (1, 3):
        threads(n)
        w = Parameter(np.ones(shape, np.float32))
        opt = optim.Adam([w], lr=0.1)
        for g in grads:
            w.grad = Variable(g)
            opt.step()
        finals.append((w.numpy().copy(), opt.state[w]["exp_avg"].copy()))
    np.testing.assert_array_equal(finals[0][0], finals[1][0])
    np.testing.assert_array_equal(finals[0][1], finals[1][1])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="set_num_threads"):
        minigrad.set_num_threads(bad)
    assert minigrad.get_num_threads() == 1


def test_adam_on_any_device_with_threads_set(threads, device):
    """Backends without flat views (array-api-strict, CuPy) update in one call."""
    threads(2)
    w = Parameter(minigrad.to_device(np.ones(4 * parallel.MIN_CHUNK, np.float32), device))
    opt = optim.Adam([w], lr=0.5)
    w.grad = Variable(minigrad.to_device(np.ones(4 * parallel.MIN_CHUNK, np.float32), device))
    opt.step()
    np.testing.assert_allclose(minigrad.backend.to_numpy(w.data), 0.5, rtol=1e-5)
