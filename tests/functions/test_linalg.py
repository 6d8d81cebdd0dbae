"""matmul (numpy semantics, including 1-D and batched cases), dense (Keras' kernel
layout) and linear (PyTorch's weight layout), and the fused dense nodes."""

import numpy as np
import pytest

import minigrad
from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal

CASES = [
    GradCase("matmul", F.matmul, inputs(normal(2, 3), normal(3, 4))),
    GradCase("matmul_batched_broadcast", F.matmul, inputs(normal(2, 2, 3), normal(3, 4))),
    GradCase("matmul_vector_matrix", F.matmul, inputs(normal(3), normal(3, 4))),
    GradCase("matmul_matrix_vector", F.matmul, inputs(normal(2, 3), normal(3))),
    GradCase("matmul_vector_vector", F.matmul, inputs(normal(3), normal(3))),
    GradCase("matmul_operator", lambda a, b: a @ b, inputs(normal(2, 3), normal(3, 2))),
    GradCase("dense", F.dense, inputs(normal(4, 3), normal(3, 2), normal(2))),
    GradCase("dense_no_bias", F.dense, inputs(normal(4, 3), normal(3, 2))),
    GradCase("dense_3d_input", F.dense, inputs(normal(2, 4, 3), normal(3, 2), normal(2))),
    GradCase("linear", F.linear, inputs(normal(4, 3), normal(2, 3), normal(2))),
    GradCase("linear_3d_input", F.linear, inputs(normal(2, 4, 3), normal(2, 3))),
    # the pre-activations lie 1e-3 or more from ReLU's kink, far beyond the difference step
    GradCase("linear_relu", F.linear_relu, inputs(normal(4, 3), normal(3, 5), normal(5))),
    GradCase("linear_relu_no_bias", F.linear_relu, inputs(normal(2, 4, 3), normal(3, 5))),
]


def _same_as_apart(device, bias, fused, apart, n=64, d=4, k=32):
    """``fused(x, W[, b])`` and ``apart(x, W[, b])`` give equal values and gradients;
    returns the fused output."""
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((n, d), (d, k), (k,))]
    outputs, leaves = [], []
    for fn in (fused, apart):
        xs = [Variable(a, device=device) for a in arrays[:2 + bias]]
        outputs.append(fn(*xs))
        leaves.append(xs)
    np.testing.assert_array_equal(outputs[0].numpy(), outputs[1].numpy())
    gy = minigrad.to_device(rng.standard_normal((n, k)).astype(np.float32), device)
    for y in outputs:
        y.backward(gy)
    for a, b in zip(*leaves):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-6)
        assert a.grad.dtype == a.dtype
    return outputs[0]


@pytest.mark.parametrize("bias", [True, False])
def test_linear_relu_matches_relu_of_linear(device, bias):
    y = _same_as_apart(device, bias, F.linear_relu, lambda *v: F.relu(F.dense(*v)), 6, 4, 5)
    assert type(y.creator).__name__ == "LinearReLU"


def test_dense_relu_runs_fused():
    from minigrad import nn

    layer = nn.Dense(3, activation="relu", in_features=2)
    assert type(layer(Variable(np.ones((1, 2), np.float32))).creator).__name__ == "LinearReLU"


@pytest.mark.parametrize(
    "sa, sb",
    [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((5, 2, 3), (3, 4)), ((1, 2, 3), (4, 3, 2))],
)
def test_matmul_shapes_follow_numpy(sa, sb, device):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    y = F.matmul(Variable(a, device=device), Variable(b, device=device))
    np.testing.assert_allclose(y.numpy(), np.matmul(a, b), rtol=1e-12)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        F.matmul(Variable(np.ones((2, 3))), Variable(np.ones((4, 5))))


def test_linear_is_pytorchs_and_dense_is_keras_layout(device):
    # torch.nn.functional.linear(x, W) = x W^T with W (out_features, in_features); a
    # square W shows the difference that a shape check cannot catch
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)
    xv, Wv, bv = (Variable(a, device=device) for a in (x, W, b))
    np.testing.assert_allclose(F.linear(xv, Wv, bv).numpy(), x @ W.T + b, rtol=1e-12)
    np.testing.assert_allclose(F.dense(xv, Wv, bv).numpy(), x @ W + b, rtol=1e-12)
    np.testing.assert_allclose(F.linear(xv, Wv.T).numpy(), F.dense(xv, Wv).numpy(), rtol=1e-12)


def test_linear_shape_mismatch_names_the_layouts():
    with pytest.raises(ValueError, match=r"linear: .*\(2, 3\).*\(3, 5\).*\(out_features, "
                                         r"in_features\).*F.dense"):
        F.linear(Variable(np.ones((2, 3))), Variable(np.ones((3, 5))))
    with pytest.raises(ValueError, match=r"dense: input of shape \(2, 3\)"):
        F.dense(Variable(np.ones((2, 3))), Variable(np.ones((4, 5))))
