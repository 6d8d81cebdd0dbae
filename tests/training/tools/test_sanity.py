"""Sanity checks: initial loss near log(C), and overfitting one batch."""
import functools
import math

import numpy as np
import pytest

from minigrad import nn, optim
from minigrad.training.tools import SanityCheckError, check_initial_loss, overfit_one_batch
from tests.training.helpers import compiled_mlp, mlp, weights


def _batch(rng, n=16, classes=4):
    x = (0.1 * rng.normal(size=(n, 6))).astype(np.float32)
    return x, np.arange(n) % classes


def test_initial_loss_of_a_fresh_classifier_is_log_c(device, rng):
    x, y = _batch(rng)
    result = check_initial_loss(mlp(device, classes=4), x, y, loss="softmax_cross_entropy")
    assert result and result.ok
    assert result.expected == pytest.approx(math.log(4))
    assert abs(result.loss - math.log(4)) < 0.2 * math.log(4)
    assert "log(4) = 1.3863" in result.message


def test_initial_loss_too_high_says_what_to_check(rng):
    x, y = _batch(rng)
    model = nn.Sequential(nn.Dense(4, kernel_initializer=nn.init.normal(std=30.0)))
    model.compile(optimizer="sgd", loss="softmax_cross_entropy")
    result = check_initial_loss(model, x, y, num_classes=4)
    assert not result and "too high" in result.message
    with pytest.raises(SanityCheckError, match="softmax applied twice"):
        check_initial_loss(model, x, y, raise_error=True)


def test_initial_loss_too_low(rng):
    x, y = _batch(rng)
    model = nn.Sequential(nn.Dense(4, in_features=6))
    model.compile(optimizer="sgd", loss="softmax_cross_entropy")
    result = check_initial_loss(model, x, y, num_classes=400)
    assert not result.ok and "too low" in result.message


def test_overfit_one_batch_with_a_model_function(device, rng):
    x, y = _batch(rng)
    x = rng.normal(size=x.shape).astype(np.float32)
    model_fn = functools.partial(compiled_mlp, device, hidden=32, classes=4,
                                 optimizer=functools.partial(optim.Adam, lr=0.02))
    result = overfit_one_batch(model_fn, x, y, steps=150)
    assert result.ok, result.message
    assert len(result.losses) == 150
    assert result.final_loss <= 0.02 * result.initial_loss


def test_overfit_one_batch_fails_with_a_tiny_learning_rate_and_restores_a_module(rng):
    x, y = _batch(rng)
    model = compiled_mlp(classes=4, dropout=0.2)
    model(x[:1])
    before = weights(model)
    result = overfit_one_batch(model, x, y, steps=20,
                               optimizer=functools.partial(optim.SGD, lr=1e-6))
    assert not result.ok and "cannot even memorise" in result.message
    after = weights(model)
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)
    with pytest.raises(SanityCheckError):
        overfit_one_batch(model, x, y, steps=5, optimizer="sgd", raise_error=True)


def test_bad_arguments(rng):
    x, y = _batch(rng)
    with pytest.raises(ValueError, match="steps must be"):
        overfit_one_batch(compiled_mlp, x, y, steps=0)
    with pytest.raises(ValueError, match="num_classes must be"):
        check_initial_loss(compiled_mlp(), x, y, num_classes=1)
    with pytest.raises(ValueError, match="give loss="):
        check_initial_loss(mlp(), x, y)
