"""binary_cross_entropy and binary_cross_entropy_with_logits, as PyTorch defines them."""
import math
import warnings

import numpy as np
import pytest

from minigrad import F, Variable
from tests.functions.loss.reference import on, uniform
from tests.gradcase import GradCase, inputs, normal

CASES = [
    GradCase("binary_cross_entropy", F.binary_cross_entropy,
             inputs(uniform(3, 2), uniform(3, 2))),
    GradCase("binary_cross_entropy_weight_sum",  # weights are constants, as in PyTorch
             lambda p, t: F.binary_cross_entropy(p, t, np.array([0.5, 2.0]), reduction="sum"),
             inputs(uniform(3, 2), uniform(3, 2))),
    GradCase("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
             inputs(normal(3, 2), uniform(3, 2, low=0.0, high=1.0))),
    GradCase("binary_cross_entropy_with_logits_none",
             lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
             inputs(normal(5), uniform(5, low=0.0, high=1.0))),
    GradCase("binary_cross_entropy_with_logits_weights",
             lambda x, t: F.binary_cross_entropy_with_logits(
                 x, t, np.array([[0.5], [2.0], [1.0], [1.5]]),
                 pos_weight=np.array([3.0, 1.0, 0.5])),
             inputs(normal(4, 3), uniform(4, 3, low=0.0, high=1.0))),
]


def bce(p, t):
    return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))


def test_binary_cross_entropy_by_hand(device):
    x = np.array([-2.0, -0.3, 0.0, 1.5])
    t = np.array([0.0, 1.0, 0.5, 1.0])
    s = 1 / (1 + np.exp(-x))
    expected = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    loss = F.binary_cross_entropy_with_logits(on(device, x), on(device, t), reduction="none")
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    p = F.binary_cross_entropy(on(device, s), on(device, t), reduction="none")
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-9)


def test_log_is_clamped_at_minus_100_as_in_pytorch(device):
    # PyTorch's BCELoss: a confident wrong prediction costs 100, and p = 0 or 1 gives
    # no log(0) warning and no nan, in value or gradient
    p = on(device, [0.0, 1.0, 0.0, 1.0, 1e-60])
    t = on(device, [1.0, 0.0, 0.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(p, t, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [100, 100, 0, 0, 100])
    assert np.isfinite(p.grad.numpy()).all()
    np.testing.assert_array_equal(p.grad.numpy()[[0, 1, 4]], [0, 0, 0])  # clamped: constant


def test_weights_multiply_each_element(device):
    p = np.array([[0.2, 0.7], [0.9, 0.4]])
    t = np.array([[0.0, 1.0], [1.0, 1.0]])
    w = np.array([2.0, 0.5])
    loss = F.binary_cross_entropy(on(device, p), on(device, t), on(device, w))
    assert loss.item() == pytest.approx((bce(p, t) * w).mean(), rel=1e-12)
    x = np.log(p / (1 - p))
    q = np.array([3.0, 1.0])
    expected = -(q * t * np.log(p) + (1 - t) * np.log(1 - p)) * w
    got = F.binary_cross_entropy_with_logits(on(device, x), t, w, reduction="sum", pos_weight=q)
    assert got.item() == pytest.approx(expected.sum(), rel=1e-10)
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast"):
        F.binary_cross_entropy(on(device, p), t, np.ones(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_with_logits_is_stable(device, dtype):
    x = on(device, [1e4, -1e4, 1e4, -1e4], dtype)
    t = on(device, [1.0, 0.0, 0.0, 1.0], dtype)
    for q in (None, [2.0, 2.0, 2.0, 2.0]):
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=q)
        loss.sum().backward()
        np.testing.assert_allclose(loss.numpy(), [0, 0, 1e4, 1e4 * (1 if q is None else 2)])
        x.cleargrad()


@pytest.mark.parametrize("loss", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_mean_of_an_empty_batch_is_nan_with_a_warning(device, loss):
    p = on(device, np.zeros((0, 2)))
    with pytest.warns(RuntimeWarning, match=f"{loss.__name__}: mean of empty slice"):
        value = loss(p, np.zeros((0, 2)))
    assert math.isnan(value.item())
    value.backward()
    assert p.grad.shape == (0, 2)


def test_errors_and_warnings(device):
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy_with_logits(on(device, np.ones((4, 1))), np.ones(4))
    with pytest.raises(TypeError):  # PyTorch's fourth positional argument is size_average
        F.binary_cross_entropy(on(device, [0.5]), [1.0], None, "sum")
    sig = F.sigmoid(on(device, [-2.0, 1.0, 3.0]))
    with pytest.warns(UserWarning, match="binary_cross_entropy_with_logits: the logits look"):
        F.binary_cross_entropy_with_logits(sig, [0.0, 1.0, 1.0])
    with pytest.warns(UserWarning, match="binary_cross_entropy: .* not probabilities"):
        F.binary_cross_entropy(on(device, [-2.0, 1.0]), [0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.binary_cross_entropy_with_logits(on(device, [0.2, 0.9]), [1.0, 1.0])
        F.binary_cross_entropy_with_logits(on(device, [-0.2, 0.9]), [0.0, 1.0])


def test_matches_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 3)) * 2
    t = (rng.standard_normal((6, 3)) > 0) * 1.0
    w, q = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 3)
    p = 1 / (1 + np.exp(-x))
    pairs = [
        (F.binary_cross_entropy(Variable(p), t, w),
         tf.binary_cross_entropy(torch.tensor(p), torch.tensor(t), torch.tensor(w))),
        (F.binary_cross_entropy(Variable(np.array([0.0, 1.0])), np.array([1.0, 0.0])),
         tf.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]))),
        (F.binary_cross_entropy_with_logits(Variable(x), t, w, pos_weight=q),
         tf.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(t), torch.tensor(w),
                                             pos_weight=torch.tensor(q))),
    ]
    for ours, theirs in pairs:
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)
