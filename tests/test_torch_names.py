"""The PyTorch names of issue 24 compared with PyTorch itself (skipped without torch):
tensor factories' dtypes, Variable methods, nll_loss and the loss modules."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import F, Variable, nn

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((2, 3, 4))


def _same(ours, theirs):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_factory_dtypes_are_torchs():
    pairs = [(mg.tensor([1.5]), torch.tensor([1.5])), (mg.tensor([1]), torch.tensor([1])),
             (mg.tensor([True]), torch.tensor([True])), (mg.arange(3), torch.arange(3)),
             (mg.arange(0, 1, 0.5), torch.arange(0, 1, 0.5)), (mg.zeros(2), torch.zeros(2)),
             (mg.ones(2, 3), torch.ones(2, 3)), (mg.rand(2), torch.rand(2)),
             (mg.randn(2), torch.randn(2))]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert ours.shape == tuple(theirs.shape) and not ours.requires_grad
    assert mg.arange(2, 9, 3).tolist() == torch.arange(2, 9, 3).tolist()


@pytest.mark.parametrize("method, args, kwargs", [
    ("transpose", (0, 1), {}), ("transpose", (-1, 0), {}), ("transpose", (2, 1), {}),
    ("permute", (2, 0, 1), {}), ("view", (6, 4), {}), ("flatten", (), {}),
    ("flatten", (1,), {}), ("flatten", (0, 1), {}), ("sum", (), {"dim": 1, "keepdim": True}),
    ("mean", (), {"dim": (0, 2)}), ("softmax", (), {"dim": 1}), ("log_softmax", (), {"dim": 0}),
    ("exp", (), {}), ("relu", (), {}), ("float", (), {}), ("long", (), {}),
])
def test_methods_match_torch(method, args, kwargs):
    ours = getattr(Variable(X), method)(*args, **kwargs)
    theirs = getattr(torch.tensor(X), method)(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape)
    _same(ours.double(), theirs.double())


def test_a_matrix_transpose_is_torchs():
    m = X[0]
    _same(Variable(m).transpose(0, 1), torch.tensor(m).transpose(0, 1))
    assert Variable(m).transpose(0, 1).tolist() == torch.tensor(m).transpose(0, 1).tolist()


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_and_min_with_dim_match_torch(name, keepdim):
    values, indices = getattr(Variable(X), name)(dim=2, keepdim=keepdim)
    t_values, t_indices = getattr(torch.tensor(X), name)(dim=2, keepdim=keepdim)
    _same(values, t_values)
    assert indices.tolist() == t_indices.tolist()
    arg = "argmax" if name == "max" else "argmin"
    assert getattr(Variable(X), arg)(dim=1, keepdim=keepdim).tolist() == \
        getattr(torch.tensor(X), arg)(dim=1, keepdim=keepdim).tolist()
    assert getattr(Variable(X), arg)().item() == getattr(torch.tensor(X), arg)().item()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"weight": [0.5, 2.0, 1.25]}, {"ignore_index": 1},
                                     {"weight": [0.5, 2.0, 1.25], "ignore_index": 0}])
def test_nll_loss_matches_torch(reduction, options):
    logp = torch.log_softmax(torch.tensor(np.random.default_rng(1).standard_normal((3, 3, 2))),
                             dim=1)
    target = np.array([[0, 2], [1, 1], [2, 0]])
    weight = options.get("weight")
    theirs = torch.nn.functional.nll_loss(
        logp, torch.tensor(target), None if weight is None else torch.tensor(weight).double(),
        ignore_index=options.get("ignore_index", -100), reduction=reduction)
    ours = F.nll_loss(Variable(logp.numpy()), target, weight,
                      ignore_index=options.get("ignore_index", -100), reduction=reduction)
    _same(ours, theirs)


def test_loss_modules_match_torch():
    rng = np.random.default_rng(2)
    x, b = rng.standard_normal((4, 3)), (rng.random((4, 3)) > 0.5).astype(np.float64)
    p, labels, w = 1 / (1 + np.exp(-x)), np.array([0, 2, 1, 2]), np.array([0.5, 2.0, 1.25])
    tx, tb, tp, tl, tw = (torch.tensor(a) for a in (x, b, p, labels, w))
    pairs = [
        (nn.CrossEntropyLoss(w, ignore_index=1, label_smoothing=0.1)(x, labels),
         torch.nn.CrossEntropyLoss(tw, ignore_index=1, label_smoothing=0.1)(tx, tl)),
        (nn.NLLLoss(w, reduction="sum")(F.log_softmax(Variable(x), dim=1), labels),
         torch.nn.NLLLoss(tw, reduction="sum")(torch.log_softmax(tx, dim=1), tl)),
        (nn.MSELoss()(x, b), torch.nn.MSELoss()(tx, tb)),
        (nn.L1Loss(reduction="none")(x, b), torch.nn.L1Loss(reduction="none")(tx, tb)),
        (nn.BCELoss(w)(p, b), torch.nn.BCELoss(tw)(tp, tb)),
        (nn.BCEWithLogitsLoss(pos_weight=w)(x, b),
         torch.nn.BCEWithLogitsLoss(pos_weight=tw)(tx, tb)),
        (nn.HuberLoss("sum", 0.5)(x, b), torch.nn.HuberLoss("sum", 0.5)(tx, tb)),
    ]
    for ours, theirs in pairs:
        _same(ours, theirs)


def test_batchnorm_keeps_torchs_running_statistics():
    x = np.random.default_rng(3).normal(2.0, 3.0, (16, 4))
    ours, theirs = nn.BatchNorm1d(4, momentum=0.1, eps=1e-5), torch.nn.BatchNorm1d(4).double()
    ours(Variable(x))
    theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-6)
