"""float32 stays float32 when a float32 graph meets float64 constants.

Every public function of ``minigrad.functions`` has a case below (a new one
without a case fails ``test_every_public_function_has_a_dtype_case``). A case
calls the function with float32 Variables and, wherever it takes a second
operand or a number, numpy float64 constants: arrays (made on the device under
test by ``k``), ``np.float64`` / ``np.int64`` scalars. By the weak-constant rule
(docs/autodiff.md) every output is float32, and every gradient is float32
without the engine having to cast one: a cast would mean that some backward
rule computed in float64.
"""
from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

import numpy as np
import pytest

import minigrad
from minigrad import F, Variable, core
from tests.gradcase import away_from

f64 = np.float64


@dataclasses.dataclass
class DtypeCase:
    """``fn(k, *xs)``: the function under test on float32 Variables ``xs`` (made
    from the host arrays of ``make(rng)``); ``k(host)`` puts a host constant
    (float64, or int64 labels) on the device."""

    fn: Callable
    make: Callable[[np.random.Generator], list]


def one(*shape, low=-2.0, high=2.0):
    return lambda rng: [rng.uniform(low, high, shape)]


def unary(fn, *shape, make=None):
    return DtypeCase(lambda k, x: fn(x), make or one(*(shape or (2, 3))))


def probs(rng):
    p = rng.uniform(0.1, 1.0, (4, 3))
    return [p / p.sum(axis=1, keepdims=True)]


def one_hot(n=4, c=3):
    return np.eye(c)[np.arange(n) % c]


CASES = {
    # arithmetic: constants on either side, numpy scalars of both kinds
    "add": DtypeCase(lambda k, x: (x + k(np.ones((2, 3))), f64(2) + x, x + np.int64(1),
                                   F.add(x, [1.0, 2.0, 3.0])), one(2, 3)),
    "sub": DtypeCase(lambda k, x: (x - k(np.ones(3)), f64(1) - x, x - np.int64(1)), one(2, 3)),
    "mul": DtypeCase(lambda k, x: (x * k(np.full((2, 3), 2.0)), f64(2) * x, x * np.int64(3),
                                   x * k(np.arange(3))), one(2, 3)),
    "div": DtypeCase(lambda k, x: (x / k(np.full(3, 2.0)), f64(2) / x, x / np.int64(2)),
                     one(2, 3, low=0.5)),
    "neg": unary(F.neg),
    "pow": DtypeCase(lambda k, x: (x ** f64(2), x ** np.int64(3), x ** f64(0.5),
                                   x ** k(np.full(3, 1.5)), f64(2) ** x), one(2, 3, low=0.5)),
    "astype": DtypeCase(lambda k, x: F.astype(x, np.float32), one(3)),
    # elementwise math
    "exp": unary(F.exp),
    "log": unary(F.log, make=one(2, 3, low=0.5)),
    "sqrt": unary(F.sqrt, make=one(2, 3, low=0.5)),
    "square": unary(F.square),
    "abs": unary(F.abs),
    "sin": unary(F.sin),
    "cos": unary(F.cos),
    "tanh": unary(F.tanh),
    "sigmoid": unary(F.sigmoid),
    "maximum": DtypeCase(lambda k, x: (F.maximum(x, k(np.zeros(3))), F.maximum(f64(0), x)),
                         one(2, 3)),
    "minimum": DtypeCase(lambda k, x: (F.minimum(x, k(np.zeros(3))), F.minimum(x, np.int64(0))),
                         one(2, 3)),
    "clip": DtypeCase(lambda k, x: (F.clip(x, f64(-0.5), f64(0.5)),
                                    F.clip(x, np.float32(-1), np.int64(1))), one(2, 3)),
    "where": DtypeCase(lambda k, x: (F.where(x.data > 0, x, k(np.zeros(3))),
                                     F.where(x.data > 0, f64(1), x)), one(2, 3)),
    # shapes and reductions: a float32 input, no constants to meet
    "reshape": unary(lambda x: F.reshape(x, (3, 2))),
    "transpose": unary(F.transpose),
    "matrix_transpose": unary(F.matrix_transpose),
    "expand_dims": unary(lambda x: F.expand_dims(x, 0)),
    "squeeze": unary(F.squeeze, 1, 3),
    "flatten": unary(F.flatten),
    "broadcast_to": unary(lambda x: F.broadcast_to(x, (4, 2, 3))),
    "sum_to": unary(lambda x: F.sum_to(x, (1, 3))),
    "getitem": unary(lambda x: x[np.int64(1), :2]),
    "concatenate": DtypeCase(lambda k, x: F.concatenate([x, x * f64(2)], axis=np.int64(0)),
                             one(2, 3)),
    "stack": DtypeCase(lambda k, x: F.stack([x, x + f64(1)]), one(2, 3)),
    "split": unary(lambda x: tuple(F.split(x, 3, axis=1))),
    "sum": unary(F.sum),
    "mean": unary(lambda x: F.mean(x, axis=0)),
    "max": unary(lambda x: F.max(x, axis=1)),
    "min": unary(F.min),
    "logsumexp": unary(lambda x: F.logsumexp(x, axis=1)),
    # linear algebra, convolution, pooling: float64 weights as constants
    "matmul": DtypeCase(lambda k, x: (x @ k(np.ones((3, 2))), F.matmul(k(np.ones((4, 2))), x)),
                        one(2, 3)),
    "dense": DtypeCase(lambda k, x: F.dense(x, k(np.ones((3, 2))), k(np.ones(2))), one(4, 3)),
    "linear": DtypeCase(lambda k, x: F.linear(x, k(np.ones((2, 3))), k(np.ones(2))), one(4, 3)),
    "linear_relu": DtypeCase(lambda k, x: F.linear_relu(x, k(np.ones((3, 2))), k(np.ones(2))),
                             one(4, 3)),
    "conv2d": DtypeCase(lambda k, x: F.conv2d(x, k(np.ones((2, 1, 3, 3))), k(np.ones(2)),
                                              padding=1), one(1, 1, 4, 4)),
    "conv2d_relu": DtypeCase(lambda k, x: F.conv2d_relu(x, k(np.ones((2, 1, 3, 3))),
                                                        k(np.ones(2)), padding=1),
                             one(1, 1, 4, 4)),
    "conv_transpose2d": DtypeCase(
        lambda k, x: F.conv_transpose2d(x, k(np.ones((1, 2, 3, 3))), k(np.ones(2))),
        one(1, 1, 3, 3)),
    "im2col": unary(lambda x: F.im2col(x, 2), make=one(1, 2, 3, 3)),
    "col2im": unary(lambda x: F.col2im(x, (1, 1, 3, 3), 2), make=one(4, 4, 1)),
    "max_pool2d": unary(lambda x: F.max_pool2d(x, 2), make=one(1, 1, 4, 4)),
    "avg_pool2d": unary(lambda x: F.avg_pool2d(x, 2, padding=1), make=one(1, 1, 4, 4)),
    # activations: numpy-scalar slopes
    "relu": unary(F.relu),
    "leaky_relu": unary(lambda x: F.leaky_relu(x, f64(0.2))),
    "prelu": DtypeCase(lambda k, x: F.prelu(x, k(np.full(3, 0.25))), one(2, 3)),
    "rrelu": unary(lambda x: (F.rrelu(x, f64(0.1), f64(0.3), training=True),
                              F.rrelu(x, f64(0.1), f64(0.3), training=False))),
    "elu": unary(lambda x: F.elu(x, f64(0.5))),
    "selu": unary(F.selu),
    "erf": unary(F.erf),
    "gelu": unary(lambda x: (F.gelu(x), F.gelu(x, approximate="tanh"))),
    "softplus": unary(F.softplus),
    "softmax": unary(F.softmax),
    "log_softmax": unary(F.log_softmax),
    "dropout": unary(lambda x: F.dropout(x, f64(0.5), training=True)),
    "batch_norm": DtypeCase(
        lambda k, x: tuple(
            F.batch_norm(x, k(np.zeros(3)), k(np.ones(3)), k(np.ones(3)), k(np.zeros(3)),
                         training=training, momentum=f64(0.1), eps=f64(1e-5))
            for training in (True, False)), one(4, 3)),
    # losses: float64 targets and numpy-scalar hyperparameters
    "mse_loss": DtypeCase(lambda k, y: F.mse_loss(y, k(np.ones((4, 3)))), one(4, 3)),
    "l1_loss": DtypeCase(
        lambda k, y: F.l1_loss(y, k(away_from(np.zeros((4, 3)), [0.0]))), one(4, 3)),
    "huber_loss": DtypeCase(lambda k, y: F.huber_loss(y, k(np.zeros((4, 3))), delta=f64(0.5)),
                            one(4, 3)),
    "mean_squared_error": DtypeCase(lambda k, y: F.mse(k(np.ones((4, 3))), y), one(4, 3)),
    "mean_absolute_error": DtypeCase(
        lambda k, y: F.mae(k(away_from(np.zeros((4, 3)), [0.0])), y), one(4, 3)),
    "huber": DtypeCase(lambda k, y: F.huber(k(np.zeros((4, 3))), y, delta=f64(0.5)), one(4, 3)),
    "binary_cross_entropy": DtypeCase(
        lambda k, p: F.binary_cross_entropy(p, k(np.ones((4, 3))), k(np.full(3, 2.0))),
        one(4, 3, low=0.1, high=0.9)),
    "binary_crossentropy": DtypeCase(
        lambda k, p: F.binary_crossentropy(k(np.ones((4, 3))), p, label_smoothing=f64(0.1)),
        one(4, 3, low=0.1, high=0.9)),
    "binary_cross_entropy_with_logits": DtypeCase(
        lambda k, y: F.binary_cross_entropy_with_logits(
            y, k(np.full((4, 3), 0.5)), k(np.ones(3)), pos_weight=k(np.full(3, 2.0))),
        one(4, 3)),
    "cross_entropy": DtypeCase(
        lambda k, y: (F.cross_entropy(y, k(one_hot()), label_smoothing=f64(0.1)),
                      F.cross_entropy(y, k(np.arange(4) % 3), k(np.array([1.0, 2.0, 0.5])),
                                      ignore_index=1, label_smoothing=f64(0.1))),
        one(4, 3)),
    "nll_loss": DtypeCase(
        lambda k, y: (F.nll_loss(y, k(np.arange(4) % 3)),
                      F.nll_loss(y, k(np.arange(4) % 3), k(np.array([1.0, 2.0, 0.5])),
                                 ignore_index=1, reduction="sum")),
        one(4, 3)),
    "categorical_crossentropy": DtypeCase(
        lambda k, p: F.categorical_crossentropy(k(one_hot()), p, label_smoothing=f64(0.1)), probs),
    "sparse_categorical_crossentropy": DtypeCase(
        lambda k, p: F.sparse_categorical_crossentropy(k(np.arange(4) % 3), p), probs),
}

# Public functions that are not differentiable array functions, and why.
NOT_DIFFERENTIABLE = {
    "get_loss": "returns a loss function by name",
    "accuracy": "a metric: returns a Python float",
    "binary_accuracy": "a metric: per-sample values without a graph",
}


def test_metrics_take_numpy_scalar_thresholds(device):
    y = Variable(np.array([0.2, 0.7, 0.9], np.float32), device=device)
    t = minigrad.to_device(np.array([0.0, 0.0, 1.0]), device)
    assert F.binary_accuracy(t, y, threshold=f64(0.5)).item() == pytest.approx(2 / 3)
    assert F.binary_accuracy(t, y, threshold=f64(0.8)).item() == 1.0


def _public_functions():
    """Public name -> function of minigrad.functions; aliases share one function."""
    return {
        name: obj for name, obj in vars(F).items()
        if not name.startswith("_") and inspect.isfunction(obj)
        and obj.__module__.startswith("minigrad.functions.")
    }


def test_every_public_function_has_a_dtype_case():
    public = _public_functions()
    covered = {public[name] for name in CASES if name in public}
    missing = sorted(
        name for name, fn in public.items()
        if fn not in covered and name not in NOT_DIFFERENTIABLE
    )
    assert not missing, f"functions without a case in tests/functions/test_dtypes.py: {missing}"
    assert not set(CASES) - set(public), "cases for names that minigrad.functions lacks"


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_meets_float64_constants(name, device, monkeypatch):
    case = CASES[name]
    casts = []
    real_cast = core._cast
    monkeypatch.setattr(core, "_cast",
                        lambda g, dtype: casts.append(g.dtype) or real_cast(g, dtype))

    def k(host):  # host arrays are float64 (or int64 labels)
        return minigrad.to_device(np.asarray(host), device)

    hosts = case.make(np.random.default_rng(0))
    xs = [Variable(h.astype(np.float32), device=device) for h in hosts]
    ys = case.fn(k, *xs)
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    for y in ys:
        assert str(y.dtype).endswith("float32"), f"{name}: output dtype {y.dtype}"
        assert y.device == device
    loss = sum(F.sum(y) for y in ys if y.requires_grad)
    loss.backward()
    for x in xs:
        assert str(x.grad.dtype).endswith("float32"), f"{name}: gradient dtype {x.grad.dtype}"
    assert not casts, f"{name}: a backward rule made gradients of dtype {casts}"
