"""Batch normalization: gradient cases (first and second order), statistics, running
averages, the evaluation path and errors."""
import numpy as np
import pytest

import minigrad
from minigrad import F, Variable, backend
from tests.gradcase import GradCase, inputs, normal, positive


def eval_with_running_stats(x, gamma, beta):
    stats = {"dtype": x.dtype, "device": x.device}
    return F.batch_norm(x, backend.as_array([0.1, -0.2, 0.3], **stats),
                        backend.as_array([0.5, 1.5, 2.0], **stats), gamma, beta)


CASES = [
    GradCase("batch_norm_2d", lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
             inputs(normal(5, 3), positive(3), normal(3))),
    GradCase("batch_norm_nchw", lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
             inputs(normal(2, 3, 2, 2), positive(3), normal(3))),
    GradCase("batch_norm_channels_last",
             lambda x, g, b: F.batch_norm(x, None, None, g, b, True, axis=-1),
             inputs(normal(2, 2, 3), positive(3), normal(3))),
    GradCase("batch_norm_no_affine", lambda x: F.batch_norm(x, training=True),
             inputs(normal(4, 2))),
    GradCase("batch_norm_eval", eval_with_running_stats,
             inputs(normal(4, 3), positive(3), normal(3))),
]


def on(device, a, dtype=np.float64):
    return Variable(np.asarray(a, dtype=dtype), device=device)


def by_hand(x, gamma, beta, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_training_normalises_each_channel(device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 4, 4)) * 3 + 2
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    y = F.batch_norm(on(device, x), weight=on(device, gamma), bias=on(device, beta),
                     training=True).numpy()
    shape = (1, 3, 1, 1)
    np.testing.assert_allclose(y, by_hand(x, gamma.reshape(shape), beta.reshape(shape), (0, 2, 3)))
    plain = F.batch_norm(on(device, x[:, :, 0, 0]), training=True).numpy()
    np.testing.assert_allclose(plain.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(plain.var(axis=0), 1, rtol=1e-4)


def test_running_statistics_update(device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 2)) * [1.0, 4.0] + [5.0, -1.0]
    mean_buf = backend.as_array([1.0, 2.0], dtype=np.float64, device=device)  # an array: in place
    var_var = on(device, [1.0, 1.0])  # a Variable: gets new data
    F.batch_norm(on(device, x), mean_buf, var_var, training=True, momentum=0.2)
    expected_mean = 0.8 * np.array([1.0, 2.0]) + 0.2 * x.mean(axis=0)
    np.testing.assert_allclose(backend.to_numpy(mean_buf), expected_mean)
    np.testing.assert_allclose(var_var.numpy(), 0.8 + 0.2 * x.var(axis=0, ddof=1))  # unbiased


def test_eval_uses_running_statistics_and_leaves_them_alone(device):
    x = np.array([[1.0, 2.0], [3.0, -4.0]])
    rm, rv = on(device, [0.5, -1.0]), on(device, [4.0, 0.25])
    gamma, beta = on(device, [2.0, 1.0]), on(device, [0.0, 1.0])
    y = F.batch_norm(on(device, x), rm, rv, gamma, beta, eps=0.0).numpy()  # eval: the default
    with minigrad.eval_mode():
        np.testing.assert_array_equal(
            F.batch_norm(on(device, x), rm, rv, gamma, beta, None, eps=0.0).numpy(), y)
    np.testing.assert_allclose(y, [[0.5, 7.0], [2.5, -5.0]])
    np.testing.assert_array_equal(rm.numpy(), [0.5, -1.0])
    np.testing.assert_array_equal(rv.numpy(), [4.0, 0.25])


def test_eval_without_running_statistics_uses_the_batch(device):
    x = np.random.default_rng(2).standard_normal((5, 2))
    y = F.batch_norm(on(device, x)).numpy()
    np.testing.assert_allclose(y, by_hand(x, 1.0, 0.0, (0,)))


def test_fused_gradient_matches_the_composite(device):
    rng = np.random.default_rng(3)
    xh, gh, wh = rng.standard_normal((6, 3)), rng.uniform(0.5, 2, 3), rng.standard_normal((6, 3))
    x, gamma, beta = on(device, xh), on(device, gh), on(device, np.zeros(3))
    (F.batch_norm(x, None, None, gamma, beta, True) * on(device, wh)).sum().backward()
    xc = Variable(xh)
    mu = xc.mean(axis=0, keepdims=True)
    var = ((xc - mu) ** 2).mean(axis=0, keepdims=True)
    ((xc - mu) / (var + 1e-5) ** 0.5 * gh * wh).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xc.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert beta.grad.numpy() == pytest.approx(wh.sum(axis=0))


def test_float32_stays_float32_with_float32_buffers(device):
    x = on(device, np.random.default_rng(4).standard_normal((4, 2)), np.float32)
    rm = backend.as_array([0.0, 0.0], dtype=np.float32, device=device)
    rv = backend.as_array([1.0, 1.0], dtype=np.float32, device=device)
    y = F.batch_norm(x, rm, rv, training=True)
    assert str(y.dtype).endswith("float32") and str(rm.dtype).endswith("float32")


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 2, 2))
    g, b = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    xt = torch.tensor(x, requires_grad=True)
    gt, bt = torch.tensor(g, requires_grad=True), torch.tensor(b, requires_grad=True)
    expected = torch.nn.functional.batch_norm(xt, trm, trv, gt, bt, training=True, momentum=0.3)
    (expected ** 2).sum().backward()
    xv, gv, bv = Variable(x), Variable(g), Variable(b)
    y = F.batch_norm(xv, rm, rv, gv, bv, training=True, momentum=0.3)  # PyTorch's order
    (y ** 2).sum().backward()
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-12)
    for ours, theirs in ((xv, xt), (gv, gt), (bv, bt)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_errors(device):
    x = on(device, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"batch_norm: weight has shape \(2,\), expected \(3,\)"):
        F.batch_norm(x, weight=on(device, [1.0, 1.0]), training=True)
    with pytest.raises(ValueError, match="more than one value per channel"):
        F.batch_norm(on(device, np.ones((1, 3))), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(x, running_mean=on(device, np.zeros(3)), training=True)
    with pytest.raises(ValueError, match=r"running_var has shape \(2,\)"):
        F.batch_norm(x, on(device, np.zeros(3)), on(device, np.ones(2)))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        F.batch_norm(x, axis=2)
    with pytest.raises(ValueError, match="momentum"):
        F.batch_norm(x, momentum=1.5)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        F.batch_norm(on(device, np.ones(3)))
