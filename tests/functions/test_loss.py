"""Losses and metrics: gradient cases, hand computations, stability, errors, warnings."""
import math
import warnings

import numpy as np
import pytest

from minigrad import F, Variable
from tests.gradcase import GradCase, away_from, inputs, normal

LABELS = np.array([0, 2, 1, 2])


def labels(rng):
    return LABELS


def probabilities(n, c):
    def make(rng):
        p = rng.uniform(0.2, 1.0, (n, c))
        return p / p.sum(axis=1, keepdims=True)
    return make


def uniform(*shape, low=0.1, high=0.9):
    return lambda rng: rng.uniform(low, high, shape)


def residual_pair(*shape, points=(0.0,)):
    """Target t and prediction y whose residuals y - t keep away from ``points``."""
    def make(rng):
        t = rng.standard_normal(shape)
        return [t + away_from(rng.standard_normal(shape) * 2, points), t]
    return make


CASES = [
    GradCase("softmax_cross_entropy_labels", F.softmax_cross_entropy,
             inputs(normal(4, 3), labels)),
    GradCase("softmax_cross_entropy_soft_targets", F.softmax_cross_entropy,
             inputs(normal(4, 3), probabilities(4, 3))),
    GradCase("softmax_cross_entropy_smoothing_sum",
             lambda x, t: F.softmax_cross_entropy(x, t, label_smoothing=0.2, reduction="sum"),
             inputs(normal(4, 3), labels)),
    GradCase("softmax_cross_entropy_smoothing_soft_none",
             lambda x, t: F.softmax_cross_entropy(x, t, label_smoothing=0.1, reduction="none"),
             inputs(normal(4, 3), probabilities(4, 3))),
    GradCase("cross_entropy_labels", F.cross_entropy, inputs(probabilities(4, 3), labels)),
    GradCase("cross_entropy_probabilities", F.cross_entropy,
             inputs(probabilities(4, 3), probabilities(4, 3))),
    GradCase("binary_cross_entropy", F.binary_cross_entropy, inputs(uniform(3, 2), uniform(3, 2))),
    GradCase("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
             inputs(normal(3, 2), uniform(3, 2, low=0.0, high=1.0))),
    GradCase("binary_cross_entropy_with_logits_none",
             lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
             inputs(normal(5), uniform(5, low=0.0, high=1.0))),
    GradCase("mean_squared_error", F.mean_squared_error, residual_pair(3, 2)),
    GradCase("mean_absolute_error_sum", lambda y, t: F.mae(y, t, reduction="sum"),
             residual_pair(3, 2)),
    GradCase("huber", lambda y, t: F.huber(y, t, delta=1.0),
             residual_pair(4, 3, points=(-1, 0, 1))),
    GradCase("huber_delta_none", lambda y, t: F.huber(y, t, delta=0.5, reduction="none"),
             residual_pair(6, points=(-0.5, 0, 0.5))),
]


def on(device, a, dtype=np.float64):
    a = np.asarray(a)
    return Variable(a.astype(dtype) if a.dtype.kind == "f" else a, device=device)


def log_softmax(x):
    s = x - x.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0], [0.0, 0.0, 5.0]])


def test_softmax_cross_entropy_by_hand(device):
    expected = -log_softmax(LOGITS)[np.arange(4), LABELS]
    x = on(device, LOGITS)
    for target in (on(device, LABELS), on(device, np.eye(3)[LABELS]), LABELS, LABELS.tolist()):
        loss = F.softmax_cross_entropy(x, target, reduction="none")
        assert loss.shape == (4,)
        np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    total = F.softmax_cross_entropy(x, LABELS, reduction="sum").item()
    assert total == pytest.approx(expected.sum())
    assert F.softmax_cross_entropy(x, LABELS).item() == pytest.approx(expected.mean())


def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot_over_n(device):
    x = on(device, LOGITS)
    F.softmax_cross_entropy(x, on(device, LABELS)).backward()
    p = np.exp(log_softmax(LOGITS))
    np.testing.assert_allclose(x.grad.numpy(), (p - np.eye(3)[LABELS]) / 4, rtol=1e-12)


def test_label_smoothing_by_hand(device):
    eps, c = 0.1, 3
    target = (1 - eps) * np.eye(c)[LABELS] + eps / c
    expected = -(target * log_softmax(LOGITS)).sum(axis=1).mean()
    x = on(device, LOGITS)
    loss = F.softmax_cross_entropy(x, on(device, LABELS), label_smoothing=eps)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), (np.exp(log_softmax(LOGITS)) - target) / 4)
    onehot = F.softmax_cross_entropy(on(device, LOGITS), np.eye(c)[LABELS], label_smoothing=eps)
    assert onehot.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_is_stable_for_huge_logits(device, dtype):
    x = on(device, [[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4]], dtype)
    loss = F.softmax_cross_entropy(x, on(device, [0, 0]), reduction="none")
    loss.sum().backward()
    assert str(loss.dtype).endswith(np.dtype(dtype).name)
    np.testing.assert_allclose(loss.numpy(), [0.0, 2e4 + math.log(2)], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [-1, 0.5, 0.5]], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_with_logits_is_stable(device, dtype):
    x = on(device, [1e4, -1e4, 1e4, -1e4], dtype)
    t = on(device, [1.0, 0.0, 0.0, 1.0], dtype)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0, 0, 1e4, 1e4])
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 1, -1])


def test_binary_cross_entropy_with_logits_by_hand(device):
    x = np.array([-2.0, -0.3, 0.0, 1.5])
    t = np.array([0.0, 1.0, 0.5, 1.0])
    s = 1 / (1 + np.exp(-x))
    expected = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    loss = F.binary_cross_entropy_with_logits(on(device, x), on(device, t), reduction="none")
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    p = F.binary_cross_entropy(on(device, s), on(device, t), reduction="none")
    np.testing.assert_allclose(p.numpy(), expected, rtol=1e-9)


def test_probability_losses_clip_the_log(device):
    p = on(device, [[1.0, 0.0], [0.0, 1.0]])
    loss = F.cross_entropy(p, on(device, [0, 0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [-math.log(1 - 1e-7), -math.log(1e-7)], rtol=1e-9)
    bce = F.binary_cross_entropy(on(device, [0.0, 1.0]), on(device, [1.0, 1.0]), reduction="sum")
    assert bce.item() == pytest.approx(-math.log(1e-7) - math.log(1 - 1e-7))


def test_cross_entropy_matches_softmax_cross_entropy(device):
    p = np.exp(log_softmax(LOGITS))
    a = F.categorical_crossentropy(on(device, p), on(device, np.eye(3)[LABELS]))
    b = F.softmax_cross_entropy(on(device, LOGITS), on(device, LABELS))
    assert a.item() == pytest.approx(b.item(), rel=1e-9)


def test_regression_losses_by_hand(device):
    y = np.array([[0.5, 3.0], [-1.0, 0.2]])
    t = np.array([[0.0, 1.0], [-0.6, 0.2]])
    r = y - t
    huber = np.where(np.abs(r) <= 1, 0.5 * r**2, np.abs(r) - 0.5)
    yv, tv = on(device, y), on(device, t)
    assert F.mse(yv, tv).item() == pytest.approx((r**2).mean())
    assert F.mean_absolute_error(yv, tv, reduction="sum").item() == pytest.approx(np.abs(r).sum())
    np.testing.assert_allclose(F.huber_loss(yv, tv, reduction="none").numpy(), huber)
    assert F.huber(yv, t, delta=2.0).item() == pytest.approx(
        np.where(np.abs(r) <= 2, 0.5 * r**2, 2 * (np.abs(r) - 1)).mean())


def test_targets_from_the_host_and_integer_targets(device):
    y = on(device, [[1.0, 2.0]], np.float32)
    loss = F.mse(y, np.array([[0, 4]]))  # int64 numpy target, moved and cast
    assert loss.item() == pytest.approx(2.5) and str(loss.dtype).endswith("float32")


def test_losses_keep_float32(device):
    x = on(device, LOGITS, np.float32)
    for loss in (F.softmax_cross_entropy(x, LABELS, label_smoothing=0.1),
                 F.binary_cross_entropy_with_logits(x, np.ones((4, 3))),
                 F.cross_entropy(F.softmax(x), np.eye(3)[LABELS]),
                 F.huber(x, np.zeros((4, 3)))):
        assert str(loss.dtype).endswith("float32")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_reductions_agree(device, reduction):
    x = on(device, LOGITS)
    full = F.softmax_cross_entropy(x, LABELS, reduction="none").numpy()
    out = F.softmax_cross_entropy(x, LABELS, reduction=reduction).numpy()
    expected = {"mean": full.mean(), "sum": full.sum(), "none": full}[reduction]
    np.testing.assert_allclose(out, expected)
    bce = F.binary_cross_entropy_with_logits(x, np.ones((4, 3)), reduction=reduction)
    assert bce.shape == ((4, 3) if reduction == "none" else ())


def test_errors_name_the_loss_and_the_shapes(device):
    x = on(device, LOGITS)
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: label 3 is out of range \[0, 3"):
        F.softmax_cross_entropy(x, on(device, [0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"label -1 is out of range"):
        F.cross_entropy(F.softmax(x), [0, -1, 2, 2])
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: .*\(4,\).*\(3,\)"):
        F.softmax_cross_entropy(x, on(device, [0, 1, 2]))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: .*\(4, 3\).*\(4, 2\)"):
        F.softmax_cross_entropy(x, np.ones((4, 2)) / 2)
    with pytest.raises(ValueError, match="class labels need an integer dtype"):
        F.softmax_cross_entropy(x, np.array([0.0, 1.0, 2.0, 2.0]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        F.softmax_cross_entropy(on(device, [1.0, 2.0]), [0])
    with pytest.raises(ValueError, match="reduction"):
        F.softmax_cross_entropy(x, LABELS, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.softmax_cross_entropy(x, LABELS, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"mean_squared_error: .*\(4, 1\).*\(4,\)"):
        F.mse(on(device, np.ones((4, 1))), on(device, np.ones(4)))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy_with_logits(on(device, np.ones((4, 1))), np.ones(4))
    with pytest.raises(ValueError, match="delta"):
        F.huber(x, x, delta=0.0)


def test_warns_when_logits_look_like_probabilities(device):
    probs = F.softmax(on(device, LOGITS))
    with pytest.warns(UserWarning, match="softmax_cross_entropy: the logits look like prob"):
        F.softmax_cross_entropy(probs, LABELS)
    sig = F.sigmoid(on(device, [-2.0, 1.0, 3.0]))
    with pytest.warns(UserWarning, match="binary_cross_entropy_with_logits: the logits look"):
        F.binary_cross_entropy_with_logits(sig, [0.0, 1.0, 1.0])
    with pytest.warns(UserWarning, match="cross_entropy: .* not probabilities"):
        F.cross_entropy(on(device, LOGITS), LABELS)
    with pytest.warns(UserWarning, match="binary_cross_entropy: .* not probabilities"):
        F.binary_cross_entropy(on(device, [-2.0, 1.0]), [0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax_cross_entropy(on(device, LOGITS), LABELS)
        F.softmax_cross_entropy(on(device, np.full((2, 3), 0.5)), [0, 1])  # rows sum to 1.5
        F.binary_cross_entropy_with_logits(on(device, [0.2, 0.9]), [1.0, 1.0])
        F.binary_cross_entropy_with_logits(on(device, [-0.2, 0.9]), [0.0, 1.0])
        F.cross_entropy(probs, LABELS)


def test_accuracy(device):
    x = on(device, LOGITS)  # argmax: 0, 2, 1, 2
    assert F.accuracy(x, on(device, LABELS)) == 1.0
    assert F.accuracy(F.softmax(x), np.eye(3)[[0, 1, 1, 0]]) == 0.5
    assert F.accuracy(x, [1, 1, 1, 1]) == 0.25
    assert isinstance(F.accuracy(x, LABELS), float)
    assert F.binary_accuracy(on(device, [0.2, 0.7, 0.9]), [0.0, 0.0, 1.0]) == pytest.approx(2 / 3)
    assert F.binary_accuracy(on(device, [-1.0, 2.0]), [0.0, 1.0], threshold=0.0) == 1.0
    with pytest.raises(ValueError, match="accuracy"):
        F.accuracy(x, [0, 1])


def test_get_loss_and_aliases():
    assert F.get_loss("categorical_crossentropy") is F.cross_entropy
    assert F.get_loss("sparse_categorical_crossentropy") is F.cross_entropy
    assert F.get_loss("cross_entropy_with_logits") is F.softmax_cross_entropy
    assert F.get_loss("binary_crossentropy") is F.binary_cross_entropy
    assert F.get_loss("MSE") is F.mean_squared_error
    assert F.get_loss("mae") is F.mean_absolute_error
    assert F.get_loss("huber") is F.huber
    assert F.get_loss(F.huber) is F.huber
    assert F.categorical_crossentropy is F.cross_entropy and F.huber_loss is F.huber
    with pytest.raises(ValueError, match="unknown loss 'hinge'; valid names: .*mse"):
        F.get_loss("hinge")


def test_matches_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 4)) * 3
    labels = rng.integers(0, 4, 5)
    soft = rng.uniform(0.1, 1, (5, 4))
    soft /= soft.sum(axis=1, keepdims=True)
    xt = torch.tensor(x, requires_grad=True)
    for target, torch_target in ((labels, torch.tensor(labels)), (soft, torch.tensor(soft))):
        for eps in (0.0, 0.2):
            xt.grad = None
            expected = tf.cross_entropy(xt, torch_target, label_smoothing=eps)
            expected.backward()
            ours = Variable(x)
            loss = F.softmax_cross_entropy(ours, target, label_smoothing=eps)
            loss.backward()
            assert loss.item() == pytest.approx(expected.item(), rel=1e-10)
            np.testing.assert_allclose(ours.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    y, t = rng.standard_normal(6) * 2, rng.standard_normal(6)
    pairs = [
        (F.huber(Variable(y), t, delta=0.7),
         tf.huber_loss(torch.tensor(y), torch.tensor(t), delta=0.7)),
        (F.binary_cross_entropy_with_logits(Variable(y), (t > 0) * 1.0),
         tf.binary_cross_entropy_with_logits(torch.tensor(y), torch.tensor((t > 0) * 1.0))),
        (F.mse(Variable(y), t), tf.mse_loss(torch.tensor(y), torch.tensor(t))),
        (F.mae(Variable(y), t), tf.l1_loss(torch.tensor(y), torch.tensor(t))),
    ]
    for ours, theirs in pairs:
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-10)
