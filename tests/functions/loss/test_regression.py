"""mse_loss, l1_loss and huber_loss, as PyTorch defines them."""
import math

import numpy as np
import pytest

from minigrad import F, Variable
from tests.functions.loss.reference import on
from tests.gradcase import GradCase, away_from


def residual_pair(*shape, points=(0.0,)):
    """Target t and prediction y whose residuals y - t keep away from ``points``."""
    def make(rng):
        t = rng.standard_normal(shape)
        return [t + away_from(rng.standard_normal(shape) * 2, points), t]
    return make


CASES = [
    GradCase("mse_loss", F.mse_loss, residual_pair(3, 2)),
    GradCase("l1_loss_sum", lambda y, t: F.l1_loss(y, t, reduction="sum"), residual_pair(3, 2)),
    GradCase("huber_loss", F.huber_loss, residual_pair(4, 3, points=(-1, 0, 1))),
    GradCase("huber_loss_delta_none", lambda y, t: F.huber_loss(y, t, "none", 0.5),
             residual_pair(6, points=(-0.5, 0, 0.5))),
]

Y = np.array([[0.5, 3.0], [-1.0, 0.2]])
T = np.array([[0.0, 1.0], [-0.6, 0.2]])


def test_by_hand(device):
    r = Y - T
    huber = np.where(np.abs(r) <= 1, 0.5 * r**2, np.abs(r) - 0.5)
    y, t = on(device, Y), on(device, T)
    assert F.mse_loss(y, t).item() == pytest.approx((r**2).mean())
    assert F.l1_loss(y, t, reduction="sum").item() == pytest.approx(np.abs(r).sum())
    np.testing.assert_allclose(F.huber_loss(y, t, reduction="none").numpy(), huber)
    np.testing.assert_allclose(F.huber_loss(y, t, "none").numpy(), huber)  # PyTorch's order
    assert F.huber_loss(y, T, delta=2.0).item() == pytest.approx(
        np.where(np.abs(r) <= 2, 0.5 * r**2, 2 * (np.abs(r) - 1)).mean())


def test_targets_from_the_host_and_integer_targets(device):
    y = on(device, [[1.0, 2.0]], np.float32)
    loss = F.mse_loss(y, np.array([[0, 4]]))  # int64 numpy target, moved and cast
    assert loss.item() == pytest.approx(2.5) and str(loss.dtype).endswith("float32")


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss])
def test_mean_of_an_empty_batch_is_nan_with_a_warning(device, loss):
    y = on(device, np.zeros((0, 3)))
    with pytest.warns(RuntimeWarning, match=f"{loss.__name__}: mean of empty slice"):
        value = loss(y, np.zeros((0, 3)))
    assert math.isnan(value.item())
    value.backward()
    assert y.grad.shape == (0, 3)
    assert loss(y, np.zeros((0, 3)), reduction="sum").item() == 0.0


def test_errors(device):
    with pytest.raises(ValueError, match=r"mse_loss: .*\(4, 1\).*\(4,\)"):
        F.mse_loss(on(device, np.ones((4, 1))), on(device, np.ones(4)))
    with pytest.raises(ValueError, match="delta"):
        F.huber_loss(on(device, Y), T, delta=0.0)
    with pytest.raises(ValueError, match="reduction"):
        F.huber_loss(on(device, Y), T, 0.5)  # delta passed where PyTorch has reduction
    with pytest.raises(TypeError):
        F.mse_loss(on(device, Y), T, None, None, "sum")  # size_average, reduce: not here


def test_matches_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(4)
    y, t = rng.standard_normal(6) * 2, rng.standard_normal(6)
    pairs = [
        (F.huber_loss(Variable(y), t, delta=0.7),
         tf.huber_loss(torch.tensor(y), torch.tensor(t), delta=0.7)),
        (F.mse_loss(Variable(y), t), tf.mse_loss(torch.tensor(y), torch.tensor(t))),
        (F.l1_loss(Variable(y), t), tf.l1_loss(torch.tensor(y), torch.tensor(t))),
    ]
    for ours, theirs in pairs:
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-10)
