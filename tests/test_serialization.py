"""minigrad.save / minigrad.load: state dicts as plain .npz, nested state as trees."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.io import UnreadableFileError


def _model():
    return nn.Sequential(nn.Dense(3, in_features=2), nn.BatchNorm(3))


def test_a_state_dict_round_trips_and_is_the_file_module_save_writes(tmp_path, device):
    model = _model().to(device)
    mg.save(model.state_dict(), tmp_path / "w.npz")
    state = mg.load(tmp_path / "w.npz")
    assert set(state) == {"0.W", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var"}
    assert all(isinstance(a, np.ndarray) for a in state.values())
    other = _model().to(device)
    other.load_state_dict(state)
    np.testing.assert_array_equal(other[0].W.numpy(), model[0].W.numpy())
    third = _model().load(tmp_path / "w.npz")  # the same file as Module.save's
    np.testing.assert_array_equal(third[0].W.numpy(), model[0].W.numpy())
    model.save(tmp_path / "m.npz")
    assert set(mg.load(tmp_path / "m.npz")) == set(state)


def test_nested_state_round_trips_without_pickle(tmp_path, device):
    model = _model().to(device)
    opt = mg.optim.Adam(model.parameters())
    model(mg.ones(4, 2, device=device)).sum().backward()
    opt.step()
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
             "losses": [0.5, 0.25], "shape": (2, 3), "weight": mg.ones(2, device=device)}
    mg.save(state, tmp_path / "ckpt.npz")
    back = mg.load(tmp_path / "ckpt.npz", device=device)
    assert back["epoch"] == 3 and back["losses"] == [0.5, 0.25] and back["shape"] == (2, 3)
    assert mg.backend.device_of(back["weight"]) == device  # Variables come back as arrays
    fresh = _model().to(device)
    fresh.load_state_dict(back["model"])
    opt2 = mg.optim.Adam(fresh.parameters())
    opt2.load_state_dict(back["optimizer"])
    assert opt2.state_dict()["state"].keys() == opt.state_dict()["state"].keys()


def test_a_module_is_refused_with_the_state_dict_spelling(tmp_path):
    with pytest.raises(TypeError, match=r"pickle.*minigrad.save\(obj.state_dict\(\), path\)"):
        mg.save(_model(), tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_unsaveable_objects_and_damaged_files_are_clear_errors(tmp_path):
    with pytest.raises(TypeError, match="cannot save a object"):
        mg.save({"f": object()}, tmp_path / "x.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(UnreadableFileError, match="bad.npz"):
        mg.load(tmp_path / "bad.npz")
