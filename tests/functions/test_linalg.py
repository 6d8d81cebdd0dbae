"""matmul (numpy semantics, including 1-D and batched cases) and fused linear."""

import numpy as np
import pytest

from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal

CASES = [
    GradCase("matmul", F.matmul, inputs(normal(2, 3), normal(3, 4))),
    GradCase("matmul_batched_broadcast", F.matmul, inputs(normal(2, 2, 3), normal(3, 4))),
    GradCase("matmul_vector_matrix", F.matmul, inputs(normal(3), normal(3, 4))),
    GradCase("matmul_matrix_vector", F.matmul, inputs(normal(2, 3), normal(3))),
    GradCase("matmul_vector_vector", F.matmul, inputs(normal(3), normal(3))),
    GradCase("matmul_operator", lambda a, b: a @ b, inputs(normal(2, 3), normal(3, 2))),
    GradCase("linear", F.linear, inputs(normal(4, 3), normal(3, 2), normal(2))),
    GradCase("linear_no_bias", F.linear, inputs(normal(4, 3), normal(3, 2))),
    GradCase("linear_3d_input", F.linear, inputs(normal(2, 4, 3), normal(3, 2), normal(2))),
]


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


def test_linear_shape_mismatch():
    with pytest.raises(ValueError, match="linear"):
        F.linear(Variable(np.ones((2, 3))), Variable(np.ones((4, 5))))
