"""astype: casting in the graph, the gradient back in the input's dtype."""

import numpy as np
import pytest

from minigrad import F, Variable
from tests.gradcase import GradCase, inputs, normal

CASES = [
    GradCase("astype_same_dtype", lambda x: F.astype(x, x.dtype), inputs(normal(2, 3))),
]


def test_astype_casts_and_the_gradient_comes_back_in_the_input_dtype(device):
    x = Variable(np.array([0.5, -1.5, 3.0]), device=device)
    y = F.astype(x, "float32")
    assert str(y.dtype).endswith("float32")
    (y * y).sum().backward()
    assert str(x.grad.dtype).endswith("float64")
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -3.0, 6.0])


@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float32")])
def test_astype_takes_a_name_or_a_dtype_of_any_backend(device, dtype):
    x = Variable(np.ones(2), device=device)
    for y in (F.astype(x, dtype), x.astype(dtype)):
        assert str(y.dtype).endswith("float32") and y.device == device


def test_unknown_dtype_names_the_function_and_the_dtype():
    with pytest.raises(TypeError, match="AsType: unknown dtype 'float8'"):
        F.astype(Variable(np.ones(2)), "float8")
