"""The hand-written numpy baseline of bench_mlp.py computes what minigrad computes:
its loss and gradients match minigrad's autodiff, its Adam matches the textbook rule."""

import math
import os
import sys

import numpy as np
import pytest

from minigrad import F, Parameter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
from numpy_mlp import NumpyMLP  # noqa: E402


def _batch(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def test_loss_and_gradients_match_minigrad_without_dropout():
    net = NumpyMLP(batch_size=16, rate=0.0)
    x, y = _batch()
    loss = net.forward(x, y)
    net.backward(x, y)
    params = [Parameter(p.astype(np.float64)) for p in net.params]
    h = x.astype(np.float64)
    for i in range(0, 4, 2):
        h = F.relu(F.dense(h, params[i], params[i + 1]))
    ref = F.softmax_cross_entropy(F.dense(h, params[4], params[5]), y)
    ref.backward()
    assert math.isclose(loss, ref.item(), rel_tol=1e-5)
    for got, p in zip(net.grads, params):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-3, atol=1e-6)


def test_dropout_mask_keeps_one_minus_rate_and_scales_the_survivors():
    net = NumpyMLP(batch_size=64, rate=0.2)
    z = np.ones((64, 512), np.float32)
    net._relu_dropout_mask(z, 0)
    mask = net.masks[0]
    assert set(np.unique(mask)) == {0.0, np.float32(1 / 0.8)}
    assert 0.78 < np.count_nonzero(mask) / mask.size < 0.82
    net._relu_dropout_mask(-z, 0)  # ReLU: nothing negative passes
    assert not np.any(net.masks[0])


@pytest.mark.parametrize("chunk", [0, 300])
def test_adam_matches_the_textbook_rule_over_many_steps(chunk):
    """600 steps on random gradients, through a fold of the scale of m (on the
    first 1000 entries of the flat buffers, to keep the test short), on the whole
    buffers and in slices of 300 (a short last one)."""
    net = NumpyMLP(batch_size=4, rate=0.0, chunk=chunk)
    net.flat_p, net.flat_g, net.m, net.v = (a[:1000].copy() for a in
                                            (net.flat_p, net.flat_g, net.m, net.v))
    rng = np.random.default_rng(1)
    p = net.flat_p.astype(np.float64)
    m = v = np.zeros_like(p)
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    for t in range(1, 601):
        g = rng.standard_normal(p.size).astype(np.float32) * 1e-2
        net.flat_g[...] = g
        net.adam()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g.astype(np.float64) ** 2
        p = p - lr / (1 - b1**t) * m / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(net.flat_p, p, rtol=1e-4, atol=1e-5)
    assert net.a > 0.9**600  # the scale was folded back into the buffer
    np.testing.assert_allclose(net.a * net.m, m, rtol=1e-3, atol=1e-9)
