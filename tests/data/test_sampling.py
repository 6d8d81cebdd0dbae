import numpy as np
import pytest

import minigrad
from minigrad import backend
from minigrad.data import sampling


def test_global_generator_follows_manual_seed(device):
    minigrad.manual_seed(5)
    a = sampling.permutation(30, sampling.generator(None, device), device)
    minigrad.manual_seed(5)
    b = sampling.permutation(30, sampling.generator(None, device), device)
    assert backend.device_of(a) == device
    np.testing.assert_array_equal(backend.to_numpy(a), backend.to_numpy(b))
    assert sorted(backend.to_numpy(a).tolist()) == list(range(30))


def test_seeded_generator_ignores_the_global_seed():
    minigrad.manual_seed(1)
    a = sampling.to_list(sampling.generator(8).permutation(30))
    minigrad.manual_seed(2)
    assert sampling.to_list(sampling.generator(8).permutation(30)) == a


@pytest.mark.parametrize("seed", [1.5, "1", True])
def test_bad_seed(seed):
    with pytest.raises(TypeError, match="seed"):
        sampling.generator(seed)
