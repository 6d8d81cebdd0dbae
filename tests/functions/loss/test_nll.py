"""nll_loss (PyTorch's, on log-probabilities): gradient cases, PyTorch's formula for
class weights and ignore_index, agreement with cross_entropy, errors."""
import warnings

import numpy as np
import pytest

from minigrad import F
from tests.functions.loss.reference import LABELS, LOGITS, labels, log_softmax, on
from tests.gradcase import GradCase, inputs, normal

WEIGHT = np.array([0.5, 2.0, 1.25])

CASES = [
    GradCase("nll_loss", F.nll_loss, inputs(normal(4, 3), labels())),
    GradCase("nll_loss_weight_sum", lambda x, t: F.nll_loss(x, t, WEIGHT, reduction="sum"),
             inputs(normal(4, 3), labels())),
    GradCase("nll_loss_weight_ignore_index",
             lambda x, t: F.nll_loss(x, t, WEIGHT, ignore_index=1),
             inputs(normal(5, 3), labels(0, 1, 2, 1, 2))),
    GradCase("nll_loss_nd_none", lambda x, t: F.nll_loss(x, t, reduction="none"),
             inputs(normal(2, 3, 2, 2), labels([[0, 2], [1, -100]], [[2, 2], [0, 1]]))),
    GradCase("nll_loss_of_log_softmax", lambda x, t: F.nll_loss(F.log_softmax(x, axis=1), t),
             inputs(normal(4, 3), labels())),
    GradCase("nll_loss_unbatched", F.nll_loss, inputs(normal(4), lambda rng: np.array(2))),
]


def torch_nll_loss(x, t, weight=None, ignore_index=-100, reduction="mean"):
    """torch.nn.NLLLoss as documented: l_n = -w_(y_n) x_(n, y_n), 0 where y_n is
    ignore_index; the mean divides by sum_n w_(y_n) over the elements kept."""
    w = np.ones(x.shape[1]) if weight is None else np.asarray(weight, float)
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    picked = np.take_along_axis(x, safe[:, None], axis=1)[:, 0]
    losses = -w[safe] * picked * keep
    return {"none": losses, "sum": losses.sum(),
            "mean": losses.sum() / (w[safe] * keep).sum()}[reduction]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_matches_pytorchs_formula(device, reduction, weight, ignore_index):
    x = log_softmax(np.random.default_rng(1).standard_normal((6, 3)))
    t = np.array([0, 2, 1, 2, 0, 1])
    got = F.nll_loss(on(device, x), on(device, t), weight, ignore_index=ignore_index,
                     reduction=reduction)
    np.testing.assert_allclose(got.numpy(), torch_nll_loss(x, t, weight, ignore_index,
                                                           reduction), rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"weight": WEIGHT}, {"ignore_index": 0},
                                     {"weight": WEIGHT, "ignore_index": 2, "reduction": "sum"}])
def test_of_log_softmax_is_cross_entropy(device, options):
    x = on(device, LOGITS)
    nll = F.nll_loss(F.log_softmax(x, axis=1), LABELS, **options)
    np.testing.assert_allclose(nll.numpy(), F.cross_entropy(x, LABELS, **options).numpy(),
                               rtol=1e-12)


def test_classes_on_axis_one_of_nd_input(device):
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    t = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    got = F.nll_loss(on(device, x), on(device, t), reduction="none")
    np.testing.assert_allclose(got.numpy(), -np.take_along_axis(x, t[:, None], 1)[:, 0])


def test_float32_stays_float32(device):
    x = on(device, LOGITS, np.float32)
    loss = F.nll_loss(x, LABELS, WEIGHT)
    loss.backward()
    assert str(loss.dtype).endswith("float32") and str(x.grad.dtype).endswith("float32")


def test_every_label_ignored_gives_nan_with_a_warning(device):
    with pytest.warns(RuntimeWarning, match="nll_loss: the mean over no targets"):
        loss = F.nll_loss(on(device, LOGITS), np.full(4, -100))
    assert np.isnan(loss.item())


@pytest.mark.parametrize("target, error, match", [
    (np.array([0, 3, 1, 2]), ValueError, r"nll_loss: label 3 is out of range \[0, 3\)"),
    (np.array([0, 1]), ValueError, r"class indices must have shape \(4,\)"),
    (np.eye(3)[LABELS], TypeError, "integer class indices, got float64"),
])
def test_bad_targets_are_clear_errors(target, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            F.nll_loss(on("cpu", LOGITS), target)
    with pytest.raises(ValueError, match=r"weight must have one entry per class"):
        F.nll_loss(on("cpu", LOGITS), LABELS, np.ones(2))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.nll_loss(on("cpu", LOGITS), LABELS, reduction="avg")


def test_get_loss_knows_the_name():
    assert F.get_loss("nll_loss") is F.nll_loss
