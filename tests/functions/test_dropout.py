"""Inverted dropout: gradient case, train/eval behaviour, keep rate and scale."""
import numpy as np
import pytest

import minigrad
from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal


def seeded_dropout(x):
    # re-seeding before the draw gives every evaluation of the check the same mask,
    # so the numerical gradient sees the function whose backward is checked
    minigrad.manual_seed(11)
    return F.dropout(x, 0.4, training=True)


CASES = [
    GradCase("dropout", seeded_dropout, inputs(normal(6, 5))),
]


def test_gradient_case_draws_a_real_mask(device):
    y = seeded_dropout(Variable(np.ones((6, 5)), device=device)).numpy()
    assert 0 < (y == 0).sum() < y.size  # some dropped, some kept: the check is not trivial


def test_eval_is_identity(device):
    x = Variable(np.arange(6.0), device=device)
    assert F.dropout(x, 0.5, training=False) is x
    with minigrad.eval_mode():
        assert F.dropout(x, 0.5) is x
    assert F.dropout(x, 0.0, training=True) is x


def test_training_zeroes_and_scales(device):
    x = Variable(np.random.default_rng(0).uniform(1, 2, (50, 40)), device=device)
    y = F.dropout(x, 0.25)  # training is the default mode
    yh, xh = y.numpy(), x.numpy()
    kept = yh != 0
    np.testing.assert_allclose(yh[kept], xh[kept] / 0.75)
    y.backward(minigrad.to_device(np.full(y.shape, 2.0), device))
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * kept / 0.75)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_keep_rate_and_expected_scale(device, rate):
    n = 200_000
    y = F.dropout(Variable(np.ones(n, np.float32), device=device), rate, training=True).numpy()
    keep = 1 - rate
    # five standard deviations of the binomial fraction and of the mean of y
    assert abs((y != 0).mean() - keep) < 5 * np.sqrt(keep * rate / n)
    assert abs(y.mean() - 1) < 5 * np.sqrt(rate / keep / n)
    assert y.dtype == np.float32


def test_monte_carlo_dropout_in_eval_mode(device):
    x = Variable(np.ones(1000), device=device)
    with minigrad.eval_mode():
        y = F.dropout(x, 0.5, training=True).numpy()
    assert (y == 0).any() and (y == 2).any()


def test_masks_follow_the_seed(device):
    x = Variable(np.ones(100), device=device)
    minigrad.manual_seed(5)
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()
    minigrad.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout(x, 0.5).numpy())
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None, True])
def test_rejects_bad_rates(rate):
    with pytest.raises(ValueError, match=r"dropout: rate must be a number in \[0, 1\)"):
        F.dropout(Variable(np.ones(3)), rate)
