import re

import numpy as np
import pytest

import minigrad
from minigrad import Variable, nn


def _ones(device, shape=(200, 100)):
    return Variable(np.ones(shape, dtype=np.float32), device=device)


def test_training_drops_and_rescales(device):
    layer = nn.Dropout(0.25)
    y = layer(_ones(device)).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.02)
    assert y.mean() == pytest.approx(1.0, abs=0.03)


def test_eval_is_identity(device):
    layer = nn.Dropout(0.5).eval()
    x = _ones(device)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    with minigrad.eval_mode():
        np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), x.numpy())


def test_gradient_uses_the_same_mask(device):
    x = _ones(device, (30, 30))
    y = nn.Dropout(0.5)(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_mc_dropout_stays_active_at_prediction(device):
    model = nn.Sequential(nn.Dense(50, in_features=100), nn.Dropout(0.5, mc=True)).to(device)
    model.eval()
    x = _ones(device)
    with minigrad.no_grad(), minigrad.eval_mode():
        a, b = model(x).numpy(), model(x).numpy()
    assert (a == 0).mean() == pytest.approx(0.5, abs=0.03)
    assert not np.array_equal(a, b)  # each prediction samples a new sub-network
    mc = nn.MCDropout(0.3)
    assert isinstance(mc, nn.Dropout) and mc.mc and repr(mc) == "MCDropout(rate=0.3, mc=True)"


def test_pytorch_and_keras_ways_to_keep_dropout_on(device):
    model = nn.Sequential(nn.Dense(50, in_features=100), nn.Dropout(0.5)).to(device).eval()
    x = _ones(device)
    plain = model(x).numpy()
    assert model(x).numpy().tolist() == plain.tolist()
    model[1].train()  # PyTorch: re-enable only the dropout layers
    assert (model(x).numpy() == 0).any()
    assert (nn.Dropout(0.5).eval()(x, training=True).numpy() == 0).any()  # Keras


def test_zero_rate_is_identity_and_bad_rates_raise(device):
    x = _ones(device)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    for rate in (-0.1, 1.0, 1.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="rate must be in \\[0, 1\\)"):
            nn.Dropout(rate)


@pytest.mark.parametrize("rate", ["0.5", None, True, [0.5]])
def test_a_rate_that_is_not_a_number_is_named_with_its_type(rate):
    with pytest.raises(TypeError, match=f"rate must be a real number in \\[0, 1\\), got "
                                        f"{re.escape(repr(rate))} of type {type(rate).__name__}"):
        nn.Dropout(rate)


def test_mc_dropout_context_drops_in_evaluation_mode_without_changing_the_layer(device):
    layer = nn.Dropout(0.5).eval()
    x = _ones(device)
    with minigrad.eval_mode(), nn.mc_dropout():
        assert (layer(x).numpy() == 0).mean() == pytest.approx(0.5, abs=0.03)
    assert layer.mc is False and layer.training is False
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_p_is_pytorchs_name_of_the_rate():
    layer = nn.Dropout(p=0.2)
    assert layer.rate == layer.p == 0.2
    assert nn.Dropout(0.3).p == 0.3
    with pytest.raises(TypeError, match=r"rate= \(Keras\) or p= \(PyTorch\)"):
        nn.Dropout(0.3, p=0.2)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        nn.Dropout(p=1.5)
