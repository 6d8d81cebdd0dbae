"""Keras-named losses: Keras' argument order (y_true, y_pred), per-sample results,
probabilities renormalised and clipped at 1e-7, from_logits, label smoothing."""
import warnings

import numpy as np
import pytest

from minigrad import F, Variable
from tests.functions.loss.reference import (
    LABELS,
    LOGITS,
    keras_binary_crossentropy,
    keras_categorical_crossentropy,
    labels,
    log_softmax,
    on,
    probabilities,
    uniform,
)
from tests.gradcase import GradCase, inputs, normal

CASES = [
    GradCase("categorical_crossentropy", F.categorical_crossentropy,
             inputs(probabilities(4, 3), uniform(4, 3, low=0.2, high=0.9))),
    GradCase("categorical_crossentropy_logits_smoothing_axis0",
             lambda t, x: F.categorical_crossentropy(t, x, True, 0.2, axis=0),
             inputs(probabilities(3, 4, axis=0), normal(3, 4))),
    GradCase("sparse_categorical_crossentropy",
             lambda y, t: F.sparse_categorical_crossentropy(t, y),
             inputs(uniform(4, 3, low=0.2, high=0.9), labels())),
    GradCase("sparse_categorical_crossentropy_logits_nd",
             lambda y, t: F.sparse_categorical_crossentropy(t, y, from_logits=True),
             inputs(normal(2, 2, 3), labels([0, 2], [1, 1]))),
    GradCase("binary_crossentropy", F.binary_crossentropy,
             inputs(uniform(3, 2), uniform(3, 2))),
    GradCase("binary_crossentropy_logits_smoothing",
             lambda t, x: F.binary_crossentropy(t, x, from_logits=True, label_smoothing=0.1),
             inputs(uniform(3, 2, low=0.0, high=1.0), normal(3, 2))),
    GradCase("keras_mean_squared_error", F.mse, inputs(normal(3, 2), normal(3, 2))),
    GradCase("keras_mean_absolute_error", F.mae,  # residuals away from the kink at 0
             lambda rng: [np.zeros((3, 2)),
                          rng.choice([-1, 1], (3, 2)) * rng.uniform(0.2, 2, (3, 2))]),
    GradCase("keras_huber", lambda t, y: F.huber(t, y, delta=0.5),
             lambda rng: [np.zeros(6), np.array([-2.0, -0.3, 0.2, 0.4, 0.7, 3.0])]),
]


def test_per_sample_losses_in_keras_argument_order(device):
    t = np.eye(3)[LABELS]
    p = np.exp(log_softmax(LOGITS))
    got = F.categorical_crossentropy(on(device, t), on(device, p))
    assert got.shape == (4,)
    np.testing.assert_allclose(got.numpy(), keras_categorical_crossentropy(t, p), rtol=1e-12)
    sparse = F.sparse_categorical_crossentropy(on(device, LABELS), on(device, p))
    np.testing.assert_allclose(sparse.numpy(), got.numpy(), rtol=1e-12)
    logits = F.categorical_crossentropy(t, on(device, LOGITS), from_logits=True,
                                        label_smoothing=0.1)
    np.testing.assert_allclose(logits.numpy(),
                               keras_categorical_crossentropy(t, LOGITS, True, 0.1), rtol=1e-12)
    y, target = np.array([[0.5, 3.0], [-1.0, 0.2]]), np.array([[0.0, 1.0], [-0.6, 0.2]])
    r = y - target
    np.testing.assert_allclose(F.mse(target, on(device, y)).numpy(), (r**2).mean(-1))
    np.testing.assert_allclose(F.mean_absolute_error(target, on(device, y)).numpy(),
                               np.abs(r).mean(-1))
    np.testing.assert_allclose(F.huber(target, on(device, y), 1.0).numpy(),
                               np.where(np.abs(r) <= 1, 0.5 * r**2, np.abs(r) - 0.5).mean(-1))


def test_probabilities_are_renormalised_and_clipped_as_in_keras(device):
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.6, 0.6], [0.0, 0.5, 0.5]])  # the first row sums to 1.4
    got = F.categorical_crossentropy(t, on(device, p)).numpy()
    np.testing.assert_allclose(got, [-np.log(0.6 / 1.4), -np.log(1e-7)], rtol=1e-12)
    np.testing.assert_allclose(got, keras_categorical_crossentropy(t, p), rtol=1e-12)
    b = F.binary_crossentropy([[1.0, 0.0]], on(device, [[0.0, 0.0]])).numpy()
    np.testing.assert_allclose(b, keras_binary_crossentropy(np.array([[1.0, 0.0]]),
                                                            np.zeros((1, 2))), rtol=1e-12)


def test_binary_crossentropy_options(device):
    rng = np.random.default_rng(2)
    t = (rng.uniform(size=(4, 3)) > 0.5) * 1.0
    x = rng.standard_normal((4, 3))
    got = F.binary_crossentropy(t, on(device, x), from_logits=True, label_smoothing=0.2)
    np.testing.assert_allclose(got.numpy(), keras_binary_crossentropy(t, x, True, 0.2),
                               rtol=1e-10)
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(F.binary_crossentropy(t, on(device, p), axis=0).numpy(),
                               keras_binary_crossentropy(t, p, axis=0), rtol=1e-12)


def test_ranks_are_aligned_as_keras_does(device):
    # targets (N,) with predictions (N, 1): row by row, never an (N, N) broadcast
    y = on(device, [[1.0], [2.0], [4.0]])
    loss = F.mse([1.0, 1.0, 1.0], y)
    np.testing.assert_allclose(loss.numpy(), [0.0, 1.0, 9.0])
    np.testing.assert_allclose(F.mse(on(device, [[1.0], [1.0]]), on(device, [0.0, 3.0])).numpy(),
                               [1.0, 4.0])
    sparse = F.sparse_categorical_crossentropy(LABELS.reshape(4, 1), on(device, LOGITS),
                                               from_logits=True)
    np.testing.assert_allclose(sparse.numpy(), -log_softmax(LOGITS)[np.arange(4), LABELS])
    floats = F.sparse_categorical_crossentropy(LABELS * 1.0, on(device, LOGITS), True)
    np.testing.assert_allclose(floats.numpy(), sparse.numpy())


def test_arguments_in_pytorchs_order_raise(device):
    logits = Variable(LOGITS, device=device)
    probs = F.softmax(logits)
    cases = [
        (F.categorical_crossentropy, probs, np.eye(3)[LABELS]),
        (F.sparse_categorical_crossentropy, probs, LABELS),
        (F.binary_crossentropy, F.sigmoid(logits), np.ones((4, 3))),
        (F.mse, logits, np.zeros((4, 3))),
        (F.mean_absolute_error, logits, np.zeros((4, 3))),
        (F.huber, logits, np.zeros((4, 3))),
    ]
    for loss, prediction, target in cases:
        with pytest.raises(ValueError, match=r"arguments look swapped: Keras' order is "
                                             rf"{loss.__name__}\(y_true, y_pred\)"):
            loss(prediction, target)
    with pytest.raises(TypeError, match="y_pred must hold floating predictions"):
        F.sparse_categorical_crossentropy(probs.data, LABELS)  # no gradient to tell
    with pytest.raises(TypeError, match="y_true must be integer class indices"):
        F.sparse_categorical_crossentropy(np.eye(3)[LABELS], probs)


def test_errors_and_warnings(device):
    p = F.softmax(on(device, LOGITS))
    with pytest.raises(ValueError, match=r"label 3 is out of range \[0, 3\)"):
        F.sparse_categorical_crossentropy([0, 1, 2, 3], p)
    with pytest.raises(ValueError, match="last axis"):
        F.sparse_categorical_crossentropy(LABELS, p, axis=0)
    with pytest.raises(ValueError, match=r"y_true must have shape \(4,\)"):
        F.sparse_categorical_crossentropy([0, 1], p)
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*\(4, 3\).*\(4, 2\)"):
        F.categorical_crossentropy(np.ones((4, 2)), p)
    with pytest.warns(UserWarning, match="categorical_crossentropy: the predictions leave"):
        F.categorical_crossentropy(np.eye(3)[LABELS], on(device, LOGITS))
    with pytest.warns(UserWarning, match="received from_logits=True, but y_pred looks like"):
        F.sparse_categorical_crossentropy(LABELS, p, from_logits=True)
    with pytest.warns(UserWarning, match="one class"):
        F.categorical_crossentropy(np.ones((2, 1)), on(device, np.ones((2, 1))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.categorical_crossentropy(np.eye(3)[LABELS], p)
        F.categorical_crossentropy(np.eye(3)[LABELS], on(device, LOGITS), from_logits=True)


def test_matches_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    p = np.exp(log_softmax(x)).astype(np.float32)
    t = np.eye(4, dtype=np.float32)[rng.integers(0, 4, 5)]
    pairs = [
        (F.categorical_crossentropy(t, Variable(p)), keras.losses.categorical_crossentropy(t, p)),
        (F.categorical_crossentropy(t, Variable(x), True, 0.1),
         keras.losses.categorical_crossentropy(t, x, from_logits=True, label_smoothing=0.1)),
        (F.binary_crossentropy(t, Variable(p)), keras.losses.binary_crossentropy(t, p)),
        (F.mse(t, Variable(x)), keras.losses.mean_squared_error(t, x)),
        (F.huber(t, Variable(x)), keras.losses.huber(t, x)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5)
