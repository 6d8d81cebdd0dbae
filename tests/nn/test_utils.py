import math

import numpy as np
import pytest

from minigrad import F, Variable, nn
from minigrad.nn.utils import fold_batchnorm, fold_batchnorms, grad_norms


def _x(device, n=32, d=10, seed=0):
    data = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return Variable(data, device=device)


def test_grad_norms_are_per_layer_l2_norms(device):
    model = nn.Sequential(nn.Dense(4, in_features=3, activation="tanh"), nn.ReLU(),
                          nn.Dense(2, in_features=4, name="out")).to(device)
    F.sum(model(_x(device, d=3)) ** 2).backward()
    norms = grad_norms(model)
    assert list(norms) == ["0", "out"]
    first = model[0]
    squares = (first.W.grad.numpy() ** 2).sum() + (first.b.grad.numpy() ** 2).sum()
    expected = math.sqrt(float(squares))
    assert norms["0"] == pytest.approx(expected, rel=1e-5)
    assert isinstance(norms["out"], float)
    model.zero_grad()
    assert grad_norms(model) == {}
    single = nn.Dense(2, in_features=3).to(device)
    F.sum(single(_x(device, d=3))).backward()
    assert list(grad_norms(single)) == ["Dense"]


def _first_over_last(initializer, activation, device, depth=10, width=10):
    model = nn.Sequential(*[nn.Dense(width, activation=activation, kernel_initializer=initializer)
                            for _ in range(depth)]).to(device)
    y = model(_x(device, n=64, d=width))
    F.mean(y * y).backward()
    norms = grad_norms(model)
    return norms["0"] / norms[str(depth - 1)]


def test_sigmoid_with_naive_init_vanishes_but_he_relu_does_not(device):
    # The reference notes' per-layer gradient table: with N(0, 1) weights and
    # sigmoid (derivative <= 1/4), the first layer learns orders of magnitude slower.
    # Over 40 seeds: sigmoid at most 3e-3, He + ReLU between 0.13 and 2.
    vanishing = _first_over_last(nn.init.normal(std=1.0), "sigmoid", device)
    assert vanishing < 1e-2
    healthy = _first_over_last("he_normal", "relu", device)
    assert 0.05 < healthy < 20


def _trained_bn_model(device):
    model = nn.Sequential(nn.Dense(6, in_features=5), nn.BatchNorm(momentum=0.5), nn.ReLU(),
                          nn.Dense(4, use_bias=False), nn.BatchNorm(), nn.Dense(2)).to(device)
    for seed in range(5):  # move running statistics and give gamma/beta non-trivial values
        model(_x(device, d=5, seed=seed))
    for bn in (model[1], model[4]):
        bn.gamma.data = bn.gamma.data * 1.5
        bn.beta.data = bn.beta.data + 0.3
    return model


def test_fold_batchnorm_matches_eval_mode(device):
    model = _trained_bn_model(device).eval()
    x = _x(device, d=5, seed=7)
    folded = fold_batchnorm(model[0], model[1])
    assert isinstance(folded, nn.Dense) and folded.W.device == device
    np.testing.assert_allclose(folded(x).numpy(), model[1](model[0](x)).numpy(),
                               rtol=1e-4, atol=1e-5)


def test_fold_batchnorms_in_a_sequential(device):
    model = _trained_bn_model(device).eval()
    x = _x(device, d=5, seed=7)
    fast = fold_batchnorms(model)
    assert [type(m).__name__ for m in fast] == ["Dense", "ReLU", "Dense", "Dense"]
    assert fast[3] is model[5]
    assert fast[2].b is not None  # the BatchNorm's shift became the bias
    np.testing.assert_allclose(fast(x).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-5)


def test_fold_batchnorm_errors():
    bn = nn.BatchNorm(3)
    with pytest.raises(ValueError, match="activation"):
        fold_batchnorm(nn.Dense(3, in_features=2, activation="relu"), bn)
    with pytest.raises(ValueError, match="3 features"):
        fold_batchnorm(nn.Dense(4, in_features=2), bn)
    with pytest.raises(ValueError, match="built"):
        fold_batchnorm(nn.Dense(3), bn)
    with pytest.raises(TypeError, match="Dense, BatchNorm"):
        fold_batchnorm(bn, bn)

