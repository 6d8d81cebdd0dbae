import warnings

import numpy as np
import pytest

import minigrad
from minigrad import F, Parameter, Variable, nn
from minigrad.backend import to_numpy


def _batch(device, shape=(16, 3), seed=0):
    rng = np.random.default_rng(seed)
    data = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    return data, Variable(data, device=device)


def test_training_normalizes_with_batch_statistics(device):
    bn = nn.BatchNorm(3).to(device)
    data, x = _batch(device)
    y = bn(x).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(0), 1, atol=1e-3)  # biased variance in the formula


def test_running_statistics_follow_momentum(device):
    bn = nn.BatchNorm(3, momentum=0.1).to(device)
    data, x = _batch(device)
    bn(x)
    n = data.shape[0]
    np.testing.assert_allclose(to_numpy(bn.running_mean), 0.1 * data.mean(0), rtol=1e-5)
    unbiased = data.var(0) * n / (n - 1)
    np.testing.assert_allclose(to_numpy(bn.running_var), 0.9 + 0.1 * unbiased, rtol=1e-5)


def test_eval_uses_running_statistics(device):
    bn = nn.BatchNorm(3, momentum=0.5).to(device)
    for seed in range(4):
        bn(_batch(device, seed=seed)[1])
    mean, var = to_numpy(bn.running_mean), to_numpy(bn.running_var)
    data, x = _batch(device, seed=10)
    bn.eval()
    expected = (data - mean) / np.sqrt(var + bn.eps)
    np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(to_numpy(bn.running_mean), mean)  # not updated in eval
    with minigrad.eval_mode():  # the global flag too
        bn.train()
        np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_nchw_input_is_normalized_per_channel(device):
    bn = nn.BatchNorm2d()
    data, x = _batch(device, shape=(4, 3, 5, 5))
    y = bn(x).numpy()
    assert bn.num_features == 3 and bn.gamma.shape == (3,)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(to_numpy(bn.running_mean), 0.1 * data.mean(axis=(0, 2, 3)),
                               rtol=1e-5)


def test_gamma_and_beta_are_learned(device):
    bn = nn.BatchNorm(3).to(device)
    F.sum(bn(_batch(device)[1]) * 2.0).backward()
    assert bn.gamma.grad is not None and bn.beta.grad is not None
    np.testing.assert_allclose(bn.beta.grad.numpy(), np.full(3, 32.0))


def test_buffers_are_state_but_not_parameters():
    bn = nn.BatchNorm(4)
    assert [n for n, _ in bn.named_parameters()] == ["gamma", "beta"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var"]
    assert not isinstance(bn.running_mean, Parameter)
    assert list(bn.state_dict()) == ["gamma", "beta", "running_mean", "running_var"]
    assert nn.BatchNorm1d is nn.BatchNorm and nn.BatchNorm2d is nn.BatchNorm


def test_channel_mismatch_and_bad_arguments(device):
    bn = nn.BatchNorm(3, name="bn1")
    with pytest.raises(ValueError, match="'bn1': expected 3 channels on axis 1.*\\(4, 5\\)"):
        bn(_batch(device, shape=(4, 5))[1])
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm(momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm(eps=0)


def test_batchnormalization_has_keras_convention_and_defaults(device):
    # Keras: running <- momentum running + (1 - momentum) batch, with the biased variance
    bn = nn.BatchNormalization()
    assert (bn.axis, bn.momentum, bn.epsilon) == (1, 0.99, 1e-3)
    x = np.random.default_rng(0).normal(3.0, 2.0, (16, 4))
    y = bn.to(device)(Variable(x, device=device))
    np.testing.assert_allclose(to_numpy(bn.running_mean), 0.01 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(bn.running_var), 0.99 + 0.01 * x.var(0), rtol=1e-5)
    np.testing.assert_allclose(y.numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-4)
    torch_style = nn.BatchNorm().to(device)
    torch_style(Variable(x, device=device))
    np.testing.assert_allclose(to_numpy(torch_style.running_mean), 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(torch_style.running_var), 0.9 + 0.1 * x.var(0, ddof=1),
                               rtol=1e-5)


def test_batchnormalization_takes_kerass_arguments():
    bn = nn.BatchNormalization(1, 0.9, 1e-5, num_features=3)
    assert (bn.momentum, bn.eps, bn.num_features) == (0.9, 1e-5, 3)
    assert repr(bn) == "BatchNormalization(3, axis=1, momentum=0.9, epsilon=1e-05)"
    with pytest.raises(TypeError, match="axis must be an int"):
        nn.BatchNormalization(axis="channels")
    with pytest.raises(ValueError, match=r"BatchNormalization: axis 4 is out of range.*\(2, 3\)"):
        nn.BatchNormalization(4)(np.ones((2, 3), np.float32))


def test_momentum_of_the_other_convention_warns():
    with pytest.warns(UserWarning, match=r"Keras' momentum=0.99 is BatchNorm\(momentum=0.01\)"):
        nn.BatchNorm(momentum=0.99)
    with pytest.warns(UserWarning, match=r"PyTorch's momentum=0.1 is "
                                         r"BatchNormalization\(momentum=0.9\)"):
        nn.BatchNormalization(momentum=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.BatchNorm(momentum=0.1), nn.BatchNorm(momentum=1.0), nn.BatchNormalization()
