"""Checkpoint trees: nested state in one atomic .npz file."""
import math

import numpy as np
import pytest

from minigrad import backend
from minigrad.io.npz import UnreadableFileError
from minigrad.io.tree import load_tree, save_tree
from tests.io.damaged import DAMAGES


def test_nested_structures_round_trip(device, tmp_path):
    path = tmp_path / "tree.npz"
    w = backend.to_device(np.arange(6, dtype=np.float32).reshape(2, 3), device)
    tree = {
        "model": {"0.W": w, "0.b": np.zeros(3, np.float64)},
        "state": {0: {"step": 3, "m": w}, 7: {}},
        "betas": (0.9, 0.999),
        "flags": [True, None, "text", float("inf"), -math.inf],
        "big": 2**127 + 1,
        "scalar": np.float32(0.5),
    }
    save_tree(path, tree)
    back = load_tree(path)
    assert set(back) == set(tree)
    assert back["model"]["0.W"].dtype == np.float32 and back["model"]["0.b"].dtype == np.float64
    np.testing.assert_array_equal(back["model"]["0.W"], backend.to_numpy(w))
    assert list(back["state"]) == [0, 7] and back["state"][0]["step"] == 3
    assert back["betas"] == (0.9, 0.999) and isinstance(back["betas"], tuple)
    assert back["flags"] == [True, None, "text", math.inf, -math.inf]
    assert back["big"] == 2**127 + 1
    assert back["scalar"] == 0.5


def test_nan_is_kept(tmp_path):
    save_tree(tmp_path / "t.npz", {"best": float("nan")})
    assert math.isnan(load_tree(tmp_path / "t.npz")["best"])


def test_unsupported_values_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save a function at tree\['opt'\]\[0\]"):
        save_tree(tmp_path / "t.npz", {"opt": [lambda: 0]})
    with pytest.raises(TypeError, match="dict key"):
        save_tree(tmp_path / "t.npz", {(1, 2): 3})
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "t.npz"
    save_tree(path, {"v": 1})
    with pytest.raises(TypeError):
        save_tree(path, {"v": object()})
    assert load_tree(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]


def test_a_plain_npz_is_not_a_tree(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(UnreadableFileError, match="without the '__tree__' entry") as info:
        load_tree(tmp_path / "plain.npz")
    assert "plain.npz' is not a readable minigrad file" in str(info.value)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_tree_is_refused_naming_it(tmp_path, damage):
    save_tree(tmp_path / "good.npz", {"w": np.arange(64, dtype=np.float32), "step": 3})
    path = tmp_path / "tree.npz"
    path.write_bytes(DAMAGES[damage]((tmp_path / "good.npz").read_bytes()))
    with pytest.raises(UnreadableFileError, match="is not a readable minigrad file") as info:
        load_tree(path)
    assert repr(str(path)) in str(info.value)


@pytest.mark.parametrize("structure", [b"{not json", b'{"__array__": "a9"}', b'{"__set__": []}'],
                         ids=["bad json", "missing array", "unknown container"])
def test_a_damaged_structure_is_refused_naming_the_file(tmp_path, structure):
    path = tmp_path / "tree.npz"
    np.savez(path, __tree__=np.frombuffer(structure, np.uint8))
    with pytest.raises(UnreadableFileError, match="checkpoint structure is damaged") as info:
        load_tree(path)
    assert repr(str(path)) in str(info.value)
