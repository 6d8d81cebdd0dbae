import numpy as np
import pytest

import minigrad
from minigrad import Variable, nn, optim
from minigrad.backend import to_numpy


def _x(device, n=4, d=6):
    return Variable(np.random.default_rng(0).standard_normal((n, d)).astype(np.float32),
                    device=device)


def test_layers_are_applied_in_order(device):
    a, b = nn.Dense(5, in_features=6), nn.Dense(2, in_features=5)
    model = nn.Sequential(a, nn.ReLU(), b).to(device)
    x = _x(device)
    np.testing.assert_array_equal(model(x).numpy(), b(nn.ReLU()(a(x))).numpy())


def test_add_index_len_iterate_and_slice():
    model = nn.Sequential([nn.Dense(5), nn.ReLU()])
    assert model.add(nn.Dense(2)) is model
    assert len(model) == 3
    assert [type(m).__name__ for m in model] == ["Dense", "ReLU", "Dense"]
    assert isinstance(model[1], nn.ReLU) and model[-1].units == 2
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is model[2]
    with pytest.raises(TypeError, match="expected a Module"):
        model.add(lambda x: x)


def test_named_layers_give_their_names_to_state_keys():
    model = nn.Sequential(nn.Dense(3, in_features=2, name="hidden1"), nn.Dense(1, in_features=3))
    assert list(model.state_dict()) == ["hidden1.W", "hidden1.b", "1.W", "1.b"]
    assert model.hidden1 is model[0]
    with pytest.raises(ValueError, match="'hidden1'"):
        model.add(nn.Dense(2, name="hidden1"))
    with pytest.raises(ValueError, match="'add'"):
        model.add(nn.Dense(2, name="add"))


def test_repr_lists_layers():
    model = nn.Sequential(nn.Dense(3, in_features=2), nn.Dropout(0.2))
    assert repr(model) == "Sequential(\n  (0): Dense(2 -> 3)\n  (1): Dropout(rate=0.2)\n)"


def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines[0]


def test_summary_like_keras(device):
    model = nn.Sequential(
        nn.Dense(512, activation="relu"), nn.Dropout(0.2), nn.Dense(512, activation="relu"),
        nn.BatchNorm(), nn.Dense(10, activation="softmax"),
    ).to(device)
    model[0].freeze()
    text = _summary(model, input_shape=(784,))
    rows = text.splitlines()
    assert rows[0] == 'Model: "Sequential"'
    assert rows[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert rows[4].split() == ["0", "(Dense)", "(None,", "512)", "401,920"]
    assert rows[5].split() == ["1", "(Dropout)", "(None,", "512)", "0"]
    assert rows[6].split() == ["2", "(Dense)", "(None,", "512)", "262,656"]
    assert rows[7].split() == ["3", "(BatchNorm)", "(None,", "512)", "2,048"]
    assert rows[8].split() == ["4", "(Dense)", "(None,", "10)", "5,130"]
    total = 401_920 + 262_656 + 2_048 + 5_130
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {262_656 + 1_024 + 5_130:,}" in text
    assert f"Non-trainable params: {401_920 + 1_024:,}" in text
    # the dummy pass ran in eval mode: running statistics are untouched
    np.testing.assert_array_equal(to_numpy(model[3].running_mean), np.zeros(512))
    assert model[0].W.device == device


def test_summary_needs_an_input_shape_until_the_model_has_seen_data(device):
    model = nn.Sequential(nn.Flatten(), nn.Dense(3))
    with pytest.raises(ValueError, match="input_shape"):
        model.summary()
    model(Variable(np.zeros((2, 2, 3), dtype=np.float32), device=device))
    assert "(None, 3)" in _summary(model)


def _creators(y):
    """The Function types of the graph behind ``y``, output first."""
    names, func = [], y.creator
    while func is not None:
        names.append(type(func).__name__)
        func = func.inputs[0].creator
    return names


def test_sequential_runs_each_layer_as_its_own_node(device):
    """No layer is fused with its neighbour: a Dense with ReLU then a Dropout are two
    nodes, as written (the fusion measured 2% of an MLP step: docs/performance.md)."""
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Dense(8, activation="relu", in_features=6), nn.Dropout(0.3),
                          nn.Dense(3, in_features=8)).to(device)
    assert _creators(model(_x(device))) == ["Linear", "Dropout", "LinearReLU"]


def test_input_first_builds_every_layer_at_once(device):
    model = nn.Sequential(nn.Input(shape=(784,)), nn.Dense(64, activation="relu"),
                          nn.Dropout(0.2), nn.Dense(10))
    assert model.uninitialized_parameters() == []
    assert model.count_params() == 784 * 64 + 64 + 64 * 10 + 10
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense"]
    assert list(model.state_dict())[:2] == ["0.W", "0.b"]  # Input is no layer, as in Keras
    assert "(None, 10)" in _summary(model)
    out = model.to(device)(Variable(np.ones((2, 784), np.float32), device=device))
    assert out.shape == (2, 10)


def test_input_shape_on_the_first_layer_builds_the_model():
    model = nn.Sequential(nn.Dense(16, activation="relu", input_shape=(4,)), nn.Dense(3))
    assert model[1].W.shape == (16, 3)
    model = nn.Sequential(nn.Dense(16, input_dim=4), nn.Dense(3))
    assert model[0].W.shape == (4, 16) and model[1].built
    cnn = nn.Sequential(nn.Conv2D(8, 3, input_shape=(1, 28, 28), activation="relu"),
                        nn.MaxPooling2D(2), nn.Flatten(), nn.Dense(10))
    assert cnn[-1].W.shape == (8 * 13 * 13, 10)
    assert "(None, 8, 26, 26)" in _summary(cnn)
    flat = nn.Sequential(nn.Flatten(input_shape=(28, 28)), nn.Dense(5))
    assert flat[1].W.shape == (784, 5)
    optimizer = optim.SGD(flat.parameters(), lr=0.1)  # trains what fit would
    assert len(optimizer.param_groups[0]["params"]) == 2


def test_input_must_come_first_and_sizes_that_vary_build_later():
    with pytest.raises(ValueError, match="nn.Input .* must come first"):
        nn.Sequential(nn.Dense(3), nn.Input((4,)))
    varying = nn.Sequential(nn.Input(shape=(None, 3)), nn.Dense(2))
    assert varying.uninitialized_parameters() == ["0.W", "0.b"]  # built by the first batch
    assert varying(np.ones((2, 5, 3), np.float32)).shape == (2, 5, 2)
    varying = nn.Sequential(nn.Input(shape=(None, 3)), nn.Dense(2))
    with pytest.raises(ValueError, match=r"input shape \(None, 3\) has sizes that vary"):
        varying.summary()
    with pytest.raises(ValueError, match=r"Input: expected samples of shape \(4,\)"):
        nn.Input((4,))(np.ones((2, 5)))


def test_summary_knows_the_input_of_a_first_dense_given_in_features():
    model = nn.Sequential(nn.Dense(16, in_features=4), nn.ReLU(), nn.Dense(2, in_features=16))
    assert "(None, 2)" in _summary(model)


def test_save_weights_and_load_weights_are_kerass_names(tmp_path, device):
    model = nn.Sequential(nn.Dense(3, input_shape=(2,))).to(device)
    model.save_weights(tmp_path / "w.weights.npz")
    other = nn.Sequential(nn.Dense(3, input_shape=(2,))).to(device)
    assert other.load_weights(tmp_path / "w.weights.npz") is other
    np.testing.assert_array_equal(other[0].W.numpy(), model[0].W.numpy())
