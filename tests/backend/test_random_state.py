"""Every backend's random state, saved and restored."""
import numpy as np

import minigrad
from minigrad import backend
from minigrad.backend.random_state import rng_states, set_rng_states
from minigrad.io.tree import load_tree, save_tree


def test_rng_states_restore_the_draws(device, tmp_path):
    minigrad.manual_seed(5)
    gen = backend.get_backend(device)
    save_tree(tmp_path / "rng.npz", {"rng": rng_states()})
    first = backend.to_numpy(gen.uniform((4,), device=device))
    gen.uniform((10,), device=device)
    assert set_rng_states(load_tree(tmp_path / "rng.npz")["rng"]) == []
    np.testing.assert_array_equal(backend.to_numpy(gen.uniform((4,), device=device)), first)


def test_unknown_backends_are_skipped():
    assert set_rng_states({"tpu": {}}) == ["tpu"]
