"""Monte-Carlo dropout prediction."""
import numpy as np
import pytest

import minigrad
from minigrad import F, nn
from minigrad.training.tools import mc_predict
from tests.training.helpers import Gate, hold_during


def _model(device, rate=0.5):
    model = nn.Sequential(nn.Dense(16, activation="relu", in_features=4), nn.Dropout(rate),
                          nn.Dense(3, in_features=16))
    return model.to(device)


def test_mean_and_std_over_stochastic_passes(device, rng):
    model = _model(device)
    x = rng.normal(size=(10, 4)).astype(np.float32)
    before = model.predict(x)
    mean, std, samples = mc_predict(model, x, T=20, batch_size=4, return_samples=True)
    assert mean.shape == std.shape == (10, 3) and samples.shape == (20, 10, 3)
    assert mean.dtype == np.float32
    assert (std > 0).mean() > 0.5                     # the passes differ
    np.testing.assert_allclose(mean, samples.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, samples.std(axis=0), rtol=1e-4, atol=1e-6)
    # the model is given back as it was: deterministic, in its own mode, mc off
    np.testing.assert_array_equal(model.predict(x), before)
    assert all(m.training for m in model.modules())
    assert model[1].mc is False


def test_a_predict_in_another_thread_stays_deterministic(rng):
    """Thread B is held in the middle of mc_predict while thread A predicts with the
    same model: A's predictions have no dropout."""
    gate = Gate()
    model = nn.Sequential(gate, nn.Dense(16, in_features=4), nn.Dropout(0.5))
    x = rng.normal(size=(10, 4)).astype(np.float32)
    before = model.predict(x)
    thread, errors = hold_during(gate, lambda: mc_predict(model, x, T=2))
    try:
        during = [model.predict(x) for _ in range(3)]
    finally:
        gate.release.set()
        thread.join()
    assert not errors
    for out in during:
        np.testing.assert_array_equal(out, before)


def test_the_mean_is_unbiased_for_a_linear_head(device, rng):
    # inverted dropout keeps E[output] = the evaluation output when what follows is linear
    model = nn.Sequential(nn.Dropout(0.3), nn.Dense(2, in_features=5)).to(device)
    x = rng.normal(size=(3, 5)).astype(np.float32)
    mean, std = mc_predict(model, x, T=2000)
    np.testing.assert_allclose(mean, model.predict(x), atol=5 * float(std.max()) / 2000 ** 0.5)


def test_transform_averages_probabilities(rng):
    model = _model("cpu")
    x = rng.normal(size=(6, 4)).astype(np.float32)
    mean, _ = mc_predict(model, x, T=5, transform=F.softmax)
    np.testing.assert_allclose(mean.sum(axis=1), 1.0, rtol=1e-5)


def test_batch_norm_stays_in_evaluation_mode(rng):
    model = nn.Sequential(nn.Dense(8, in_features=4), nn.BatchNorm1d(8), nn.Dropout(0.2),
                          nn.Dense(2, in_features=8))
    x = rng.normal(size=(6, 4)).astype(np.float32)
    model.predict(x)
    stats = [minigrad.backend.to_numpy(b).copy() for b in model.buffers()]
    mc_predict(model, x, T=3)
    for old, new in zip(stats, model.buffers()):
        np.testing.assert_array_equal(old, minigrad.backend.to_numpy(new))


def test_an_mc_dropout_layer_keeps_its_flag(rng):
    model = nn.Sequential(nn.Dense(4, in_features=3), nn.MCDropout(0.5))
    mc_predict(model, rng.normal(size=(2, 3)).astype(np.float32), T=2)
    assert model[1].mc is True


def test_bad_input(rng):
    x = rng.normal(size=(2, 4)).astype(np.float32)
    with pytest.raises(ValueError, match="no Dropout layer"):
        mc_predict(nn.Sequential(nn.Dense(2, in_features=4)), x)
    with pytest.raises(ValueError, match="T must be"):
        mc_predict(_model("cpu"), x, T=0)
