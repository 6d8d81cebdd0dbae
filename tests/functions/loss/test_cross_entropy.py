"""cross_entropy (PyTorch's, on logits): gradient cases, PyTorch's formulas for class
weights, ignore_index, label smoothing and (N, C, d1, ...) inputs, stability, errors."""
import math
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import F, Variable
from tests.functions.loss.reference import (
    LABELS,
    LOGITS,
    labels,
    log_softmax,
    on,
    probabilities,
    torch_cross_entropy,
    uniform,
)
from tests.gradcase import GradCase, inputs, normal

WEIGHT = np.array([0.5, 2.0, 1.25])

CASES = [
    GradCase("cross_entropy_labels", F.cross_entropy, inputs(normal(4, 3), labels())),
    GradCase("cross_entropy_soft_targets", F.cross_entropy,
             inputs(normal(4, 3), probabilities(4, 3))),
    # rows that do not sum to 1 (multi-label scores): dx = softmax sum(t) - t, not softmax - t
    GradCase("cross_entropy_unnormalised_targets", F.cross_entropy,
             inputs(normal(4, 3), uniform(4, 3, low=0.0, high=1.0))),
    GradCase("cross_entropy_smoothing_sum",
             lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2, reduction="sum"),
             inputs(normal(4, 3), labels())),
    GradCase("cross_entropy_smoothing_soft_none",
             lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1, reduction="none"),
             inputs(normal(4, 3), probabilities(4, 3))),
    GradCase("cross_entropy_weight", lambda x, t: F.cross_entropy(x, t, WEIGHT),
             inputs(normal(4, 3), labels())),
    GradCase("cross_entropy_weight_soft", lambda x, t: F.cross_entropy(x, t, WEIGHT),
             inputs(normal(4, 3), probabilities(4, 3))),
    GradCase("cross_entropy_ignore_index",
             lambda x, t: F.cross_entropy(x, t, ignore_index=1),
             inputs(normal(5, 3), labels(0, 1, 2, 1, 2))),
    GradCase("cross_entropy_weight_ignore_smoothing",
             lambda x, t: F.cross_entropy(x, t, WEIGHT, label_smoothing=0.3),
             inputs(normal(5, 3), labels(0, -100, 2, 1, -100))),
    GradCase("cross_entropy_nd_labels_none",
             lambda x, t: F.cross_entropy(x, t, WEIGHT, reduction="none"),
             inputs(normal(2, 3, 2, 2), labels([[0, 2], [1, -100]], [[2, 2], [0, 1]]))),
    GradCase("cross_entropy_nd_probabilities",
             lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
             inputs(normal(2, 3, 4), probabilities(2, 3, 4, axis=1))),
    GradCase("cross_entropy_unbatched", F.cross_entropy,
             inputs(normal(4), lambda rng: np.array(2))),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [
    {}, {"weight": WEIGHT}, {"eps": 0.2}, {"ignore_index": 2}, {"weight": WEIGHT, "eps": 0.3},
    {"weight": WEIGHT, "ignore_index": 0, "eps": 0.1},
], ids=["plain", "weight", "smoothing", "ignore", "weight-smoothing", "all"])
def test_matches_pytorchs_formulas(device, reduction, options):
    # loss = sum_i w[y_i] l_i / sum_i w[y_i] over i not ignored (torch.nn.CrossEntropyLoss)
    x = np.random.default_rng(3).standard_normal((6, 3)) * 2
    t = np.array([0, 2, 1, 2, 0, 1])
    expected = torch_cross_entropy(x, t, options.get("weight"), options.get("ignore_index", -100),
                                   reduction, options.get("eps", 0.0))
    got = F.cross_entropy(on(device, x), on(device, t), options.get("weight"),
                          ignore_index=options.get("ignore_index", -100), reduction=reduction,
                          label_smoothing=options.get("eps", 0.0))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_weighted_mean_is_the_mean_weighted_by_the_target_class(device):
    x = on(device, LOGITS)
    per_sample = -log_softmax(LOGITS)[np.arange(4), LABELS]
    w = WEIGHT[LABELS]
    loss = F.cross_entropy(x, LABELS, WEIGHT)
    assert loss.item() == pytest.approx((w * per_sample).sum() / w.sum(), rel=1e-12)
    ignored = F.cross_entropy(x, np.array([0, -100, 1, 2]))
    assert ignored.item() == pytest.approx(per_sample[[0, 2, 3]].mean(), rel=1e-12)


def test_ignored_labels_get_no_gradient_and_leave_the_mean(device):
    x = on(device, LOGITS)
    F.cross_entropy(x, np.array([0, 7, 1, 7]), ignore_index=7).backward()
    p = np.exp(log_softmax(LOGITS))
    expected = np.zeros((4, 3))
    expected[[0, 2]] = (p[[0, 2]] - np.eye(3)[[0, 1]]) / 2
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-15)


def test_classes_on_axis_1_of_nd_input_equal_the_rows_case(device):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4, 5))
    t = rng.integers(0, 3, (2, 4, 5))
    t[1, 2, 3] = -100
    rows = np.moveaxis(x, 1, -1).reshape(-1, 3)
    xv = on(device, x)
    loss = F.cross_entropy(xv, on(device, t), WEIGHT, reduction="none")
    assert loss.shape == (2, 4, 5)
    flat = F.cross_entropy(on(device, rows), on(device, t.reshape(-1)), WEIGHT, reduction="none")
    np.testing.assert_allclose(loss.numpy().reshape(-1), flat.numpy(), rtol=1e-12)
    mean = F.cross_entropy(xv, on(device, t), WEIGHT)
    assert mean.item() == pytest.approx(torch_cross_entropy(x, t, WEIGHT), rel=1e-12)


def test_plain_labels_keep_the_fused_kernel_and_other_forms_leave_it(device, monkeypatch):
    backend = minigrad.backend.get_backend(device)
    calls = []
    kernel = backend.softmax_nll

    def counting(x, t):
        calls.append(x.shape)
        return kernel(x, t)
    monkeypatch.setattr(backend, "softmax_nll", counting)
    x = on(device, LOGITS)
    F.cross_entropy(x, on(device, LABELS)).backward()
    F.cross_entropy(x, on(device, LABELS), ignore_index=5)  # no label equals it
    assert calls == [(4, 3), (4, 3)]
    F.cross_entropy(x, on(device, LABELS), WEIGHT)
    F.cross_entropy(x, on(device, [0, -100, 1, 2]))
    assert len(calls) == 2


def test_gradient_is_softmax_minus_onehot_over_n(device):
    x = on(device, LOGITS)
    F.cross_entropy(x, on(device, LABELS)).backward()
    p = np.exp(log_softmax(LOGITS))
    np.testing.assert_allclose(x.grad.numpy(), (p - np.eye(3)[LABELS]) / 4, rtol=1e-12)


def test_by_hand_for_every_target_form(device):
    expected = -log_softmax(LOGITS)[np.arange(4), LABELS]
    x = on(device, LOGITS)
    for target in (on(device, LABELS), on(device, np.eye(3)[LABELS]), LABELS, LABELS.tolist()):
        loss = F.cross_entropy(x, target, reduction="none")
        assert loss.shape == (4,)
        np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    assert F.softmax_cross_entropy is F.cross_entropy


def test_label_smoothing_by_hand(device):
    eps, c = 0.1, 3
    target = (1 - eps) * np.eye(c)[LABELS] + eps / c
    expected = -(target * log_softmax(LOGITS)).sum(axis=1).mean()
    x = on(device, LOGITS)
    loss = F.cross_entropy(x, on(device, LABELS), label_smoothing=eps)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), (np.exp(log_softmax(LOGITS)) - target) / 4)
    onehot = F.cross_entropy(on(device, LOGITS), np.eye(c)[LABELS], label_smoothing=eps)
    assert onehot.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_for_huge_logits(device, dtype):
    x = on(device, [[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4]], dtype)
    loss = F.cross_entropy(x, on(device, [0, 0]), reduction="none")
    loss.sum().backward()
    assert str(loss.dtype).endswith(np.dtype(dtype).name)
    np.testing.assert_allclose(loss.numpy(), [0.0, 2e4 + math.log(2)], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [-1, 0.5, 0.5]], atol=1e-6)


def test_float32_stays_float32_with_float64_weights(device):
    x = on(device, LOGITS, np.float32)
    for loss in (F.cross_entropy(x, LABELS, WEIGHT, label_smoothing=np.float64(0.1)),
                 F.cross_entropy(x, np.eye(3)[LABELS], WEIGHT, label_smoothing=np.float64(0.2))):
        loss.backward()
        assert str(loss.dtype).endswith("float32") and str(x.grad.dtype).endswith("float32")


@pytest.mark.parametrize("make", [
    lambda device: (on(device, np.zeros((0, 3))), on(device, np.zeros(0, np.int64)), {}),
    lambda device: (on(device, LOGITS), on(device, [-100] * 4), {}),
    lambda device: (on(device, LOGITS), on(device, LABELS), {"weight": [0.0, 0.0, 0.0]}),
], ids=["empty-batch", "all-ignored", "zero-weights"])
def test_mean_over_no_targets_is_nan_with_a_warning_and_zero_gradient(device, make):
    x, t, options = make(device)
    with pytest.warns(RuntimeWarning, match="cross_entropy: the mean over no targets"):
        loss = F.cross_entropy(x, t, **options)
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(x.shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.cross_entropy(x, t, reduction="sum", **options).item() == 0.0


def test_errors_name_the_function_and_the_problem(device):
    x = on(device, LOGITS)
    with pytest.raises(ValueError, match=r"cross_entropy: label 3 is out of range \[0, 3\) .*"
                                         r"ignore_index=-100"):
        F.cross_entropy(x, on(device, [0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"label -1 is out of range"):
        F.cross_entropy(x, on(device, [0, -1, 2, -100]))
    with pytest.raises(ValueError, match=r"class indices must have shape \(4,\).*got \(3,\)"):
        F.cross_entropy(x, on(device, [0, 1, 2]))
    with pytest.raises(ValueError, match=r"probabilities must have the input's shape \(4, 3\)"):
        F.cross_entropy(x, np.ones((4, 2)) / 2)
    with pytest.raises(ValueError, match="class indices need an integer dtype"):
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0, 2.0]))
    with pytest.raises(ValueError, match=r"shape \(2, 4\) for input of shape \(2, 3, 4\)"):
        F.cross_entropy(on(device, np.zeros((2, 3, 4))), np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(3,\)"):
        F.cross_entropy(x, LABELS, [1.0, 2.0])
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        F.cross_entropy(x, LABELS, ignore_index=None)
    with pytest.raises(TypeError):  # PyTorch's fourth positional argument is size_average
        F.cross_entropy(x, LABELS, None, -100)
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, LABELS, reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, LABELS, label_smoothing=1.5)


def test_warns_when_the_input_looks_like_probabilities(device):
    probs = F.softmax(on(device, LOGITS))
    with pytest.warns(UserWarning, match="cross_entropy: the input looks like probabilities"):
        F.cross_entropy(probs, LABELS)
    with pytest.warns(UserWarning, match="looks like probabilities"):
        F.cross_entropy(F.softmax(on(device, np.zeros((2, 3, 4))), axis=1),
                        np.zeros((2, 4), np.int64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.cross_entropy(on(device, LOGITS), LABELS)
        F.cross_entropy(on(device, np.full((2, 3), 0.5)), [0, 1])  # rows sum to 1.5


def test_matches_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 4, 3)) * 3
    hard = rng.integers(0, 4, (5, 3))
    hard[0, 0] = -100
    soft = rng.uniform(0.1, 1, (5, 4, 3))
    soft /= soft.sum(axis=1, keepdims=True)
    w = rng.uniform(0.5, 2, 4)
    for target in (hard, soft):
        for eps in (0.0, 0.2):
            for weight in (None, w):
                xt = torch.tensor(x, requires_grad=True)
                expected = tf.cross_entropy(xt, torch.tensor(target), label_smoothing=eps,
                                            weight=None if weight is None else torch.tensor(w))
                expected.backward()
                ours = Variable(x)
                loss = F.cross_entropy(ours, target, weight, label_smoothing=eps)
                loss.backward()
                assert loss.item() == pytest.approx(expected.item(), rel=1e-10)
                np.testing.assert_allclose(ours.grad.numpy(), xt.grad.numpy(), rtol=1e-9,
                                           atol=1e-12)
