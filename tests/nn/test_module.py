import numpy as np
import pytest

import minigrad
from minigrad import F, Parameter, Variable, nn
from minigrad.backend import device_of, to_numpy
from minigrad.io import UnreadableFileError
from tests.io.damaged import DAMAGES


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, in_features=4)
        self.bn = nn.BatchNorm(3)
        self.scale = Parameter(np.ones(3, dtype=np.float32))
        self.note = "not registered"
        self.const = Variable(np.zeros(3, dtype=np.float32))

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Dense(2, in_features=3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.head(self.drop(self.block(x)))


def _x(device, n=6, d=4, seed=0):
    data = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return Variable(data, device=device)


def test_registration_and_traversal():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    # each module's own parameters first, then its submodules' (depth first)
    assert names == ["block.scale", "block.fc.W", "block.fc.b", "block.bn.gamma",
                     "block.bn.beta", "head.W", "head.b"]
    assert [n for n, _ in net.named_children()] == ["block", "head", "drop"]
    assert [n for n, _ in net.named_modules()] == [
        "", "block", "block.fc", "block.bn", "head", "drop"]
    assert len(list(net.modules())) == 6 and len(list(net.children())) == 3
    assert [n for n, _ in net.named_buffers()] == ["block.bn.running_mean", "block.bn.running_var"]
    assert all(isinstance(p, Parameter) for p in net.parameters())
    assert not any(isinstance(b, Parameter) for b in net.buffers())
    assert net.count_params() == (4 * 3 + 3) + 3 + 3 + 3 + (3 * 2 + 2)


def test_reassigning_or_deleting_unregisters():
    block = Block()
    block.scale = None
    assert "scale" not in dict(block.named_parameters())
    del block.bn
    assert "bn" not in dict(block.named_children())
    with pytest.raises(TypeError, match="buffer 'running_mean'"):
        nn.BatchNorm(3).running_mean = [0.0, 0.0, 0.0]


def test_shared_parameters_are_listed_once():
    shared = nn.Dense(3, in_features=3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(model.state_dict()) == 2


def test_forgetting_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Dense(2)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_train_and_eval_are_recursive():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.block.train(False)
    assert net.training and not net.block.fc.training and net.head.training


def test_zero_grad_and_cleargrads(device):
    net = Net().to(device)
    F.sum(net(_x(device))).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    F.sum(net(_x(device))).backward()
    net.cleargrads()
    assert all(p.grad is None for p in net.parameters())


def test_to_moves_parameters_grads_and_buffers_in_place(device):
    net = Net()
    F.sum(net(_x("cpu"))).backward()
    W = net.head.W
    assert net.to(device) is net
    assert net.head.W is W  # same Parameter object, so an optimizer's references stay valid
    assert net.device == device
    assert all(p.device == device and p.grad.device == device for p in net.parameters())
    assert all(device_of(b) == device for b in net.buffers())
    assert net(_x(device)).device == device


def test_lazy_layer_is_built_on_the_device_of_its_input(device):
    model = nn.Sequential(nn.Dense(3))
    assert model.device == "cpu"
    model(_x(device))
    assert model.device == device and model[0].W.device == device


def test_state_dict_holds_parameters_and_buffers():
    net = Net()
    sd = net.state_dict()
    assert set(sd) == {n for n, _ in net.named_parameters()} | {
        "block.bn.running_mean", "block.bn.running_var"}
    assert sd["head.W"] is net.head.W.data


def test_save_and_load_round_trip(tmp_path, device):
    net = Net().to(device)
    net.train()
    for seed in range(3):  # move the running statistics away from their initial values
        net(_x(device, seed=seed))
    net.eval()
    expected = net(_x(device, seed=9)).numpy()
    path = tmp_path / "net.npz"
    net.save(path)

    fresh = Net().to(device)
    assert not np.allclose(fresh.eval()(_x(device, seed=9)).numpy(), expected)
    assert fresh.load(path) is fresh
    np.testing.assert_array_equal(fresh(_x(device, seed=9)).numpy(), expected)
    assert all(p.device == device for p in fresh.parameters())
    assert all(str(p.dtype).endswith("float32") for p in fresh.parameters())
    # the loaded arrays are the model's own: changing the source does not reach it
    sd = net.state_dict()
    fresh.load_state_dict(sd)
    sd["head.b"][...] = 100.0
    assert to_numpy(fresh.head.b.data).max() < 100.0


def test_load_into_lazy_layers_builds_them(tmp_path, device):
    model = nn.Sequential(nn.Dense(5, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    model(_x(device))
    model.save(tmp_path / "m.npz")
    fresh = nn.Sequential(nn.Dense(5, activation="relu"), nn.BatchNorm(), nn.Dense(2)).to(device)
    fresh.load(tmp_path / "m.npz")
    model.eval(), fresh.eval()
    assert fresh[0].W.device == device
    np.testing.assert_array_equal(fresh(_x(device)).numpy(), model(_x(device)).numpy())


@pytest.mark.parametrize("damage", DAMAGES)
def test_load_refuses_a_damaged_file_by_name_and_changes_nothing(tmp_path, damage):
    Net().save(tmp_path / "good.npz")
    path = tmp_path / "net.npz"
    path.write_bytes(DAMAGES[damage]((tmp_path / "good.npz").read_bytes()))
    net = Net()
    before = {k: to_numpy(v).copy() for k, v in net.state_dict().items()}
    with pytest.raises(UnreadableFileError, match="is not a readable minigrad file") as info:
        net.load(path)
    assert repr(str(path)) in str(info.value)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(to_numpy(value), before[key])


def test_load_names_the_file_whose_arrays_do_not_fit(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, kernel=np.zeros((4, 3), np.float32))  # an .npz from elsewhere
    with pytest.raises(ValueError, match=r"Module.load\('.*other.npz'\): .*missing keys"):
        Net().load(path)


def test_load_of_a_training_checkpoint_points_to_load_checkpoint(tmp_path):
    net = Net()
    minigrad.training.save_checkpoint(tmp_path / "ck.npz", net, epoch=1)
    with pytest.raises(ValueError, match="is a training checkpoint.*load_checkpoint"):
        net.load(tmp_path / "ck.npz")


def _ids(params):
    return [id(p) for p in params]


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Sequential(nn.Dense(16, in_features=4), nn.Dense(2)), (5, 4)),
    (lambda: nn.Sequential(nn.Dense(5), nn.BatchNorm(), nn.Dense(2)), (5, 4)),
    (lambda: nn.Sequential(nn.Conv2D(3, 2), nn.BatchNorm(), nn.Flatten(), nn.Dense(2)),
     (2, 1, 4, 4)),
], ids=["half_lazy", "lazy_mlp", "lazy_conv"])
def test_lazy_parameters_exist_from_construction_and_are_filled_in_place(make, shape, device):
    model = make().to(device)
    names = [n for n, _ in model.named_parameters()]
    before = list(model.parameters())
    assert model.uninitialized_parameters() != []
    model(Variable(np.ones(shape, dtype=np.float32), device=device))
    assert model.uninitialized_parameters() == []
    assert [n for n, _ in model.named_parameters()] == names
    assert _ids(model.parameters()) == _ids(before)
    assert all(p.device == device for p in before)


def test_unbuilt_model_state_dict_and_count_params_say_so():
    model = nn.Sequential(nn.Dense(4, in_features=3), nn.Dense(2))
    assert model.uninitialized_parameters() == ["1.W", "1.b"]
    for op in (model.state_dict, model.count_params):
        with pytest.raises(RuntimeError, match=r"\w+: Sequential is not built yet: its lazy "
                                               r"parameters \['1.W', '1.b'\].*in_features="):
            op()
    model(_x("cpu", d=3))
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2 and len(model.state_dict()) == 4


def test_load_into_a_lazy_model_keeps_its_parameter_objects():
    trained = nn.Sequential(nn.Dense(5), nn.BatchNorm(), nn.Dense(2))
    trained(_x("cpu"))
    fresh = nn.Sequential(nn.Dense(5), nn.BatchNorm(), nn.Dense(2))
    before = list(fresh.parameters())
    fresh.load_state_dict(trained.state_dict())
    assert _ids(fresh.parameters()) == _ids(before)
    np.testing.assert_array_equal(before[0].numpy(), trained[0].W.numpy())


def test_loading_what_cannot_size_a_lazy_layer_says_so():
    with pytest.raises(ValueError, match="'0.b' belongs to a lazy layer that is not built"):
        nn.Sequential(nn.Dense(3)).load_state_dict({"0.b": np.zeros(3, np.float32)},
                                                   strict=False)


def test_freezing_one_lazy_parameter_before_the_build_holds():
    layer = nn.Dense(3)
    layer.b.requires_grad = False
    layer(_x("cpu"))
    assert layer.W.requires_grad and not layer.b.requires_grad


def test_add_weight_fills_an_uninitialized_parameter_in_place(device):
    class Scale(nn.Module):
        """A user's lazy layer: one factor per feature, sized by the first input."""

        def __init__(self):
            super().__init__()
            self.w = Parameter(name="w")

        def forward(self, x):
            if not self.w.is_initialized:
                self.add_weight("w", (x.shape[-1],), "ones", device=x.device,
                                regularizer="l2")
            return x * self.w

    layer = Scale()
    w = layer.w
    layer(_x(device))
    assert layer.w is w and w.shape == (4,) and w.device == device
    assert w.regularizer is not None


def test_lazy_dense_takes_its_prelu_activation_to_its_device(device):
    layer = nn.Dense(3, activation="prelu")
    assert layer(_x(device)).device == device
    assert layer.activation.alpha.device == device


def test_to_before_the_build_then_build_on_that_device(device):
    model = nn.Sequential(nn.Dense(3), nn.BatchNorm()).to(device)
    assert model.device == device
    model(_x(device))
    assert all(p.device == device for p in model.parameters())
    assert all(device_of(b) == device for b in model.buffers())


def test_load_state_dict_errors_name_keys_and_shapes():
    net = Net()
    sd = dict(net.state_dict())
    del sd["head.b"]
    sd["head.extra"] = np.zeros(2, dtype=np.float32)
    sd["head.W"] = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError) as info:
        Net().load_state_dict(sd)
    msg = str(info.value)
    assert "missing keys ['head.b']" in msg
    assert "unexpected keys ['head.extra']" in msg
    assert "'head.W': model has (3, 2), state_dict has (2, 3)" in msg


def test_load_state_dict_non_strict():
    net = Net()
    sd = {"head.W": np.ones((3, 2), dtype=np.float32), "other": np.zeros(1)}
    result = net.load_state_dict(sd, strict=False)
    assert result.unexpected_keys == ["other"] and "head.b" in result.missing_keys
    np.testing.assert_array_equal(net.head.W.numpy(), np.ones((3, 2)))
    with pytest.raises(ValueError, match="shape mismatch"):
        net.load_state_dict({"head.W": np.ones((2, 2))}, strict=False)


def _sgd_step(model, lr=0.1):
    """What an optimizer does: skip parameters that are frozen or have no gradient."""
    for p in model.parameters():
        if p.grad is None or not p.requires_grad:
            continue
        p.data = p.data - lr * p.grad.data


def test_frozen_layers_get_no_gradient_and_stay_unchanged(device):
    model = nn.Sequential(nn.Dense(5, in_features=4, activation="tanh"), nn.Dense(2, in_features=5))
    model.to(device)
    model[0].freeze()
    assert not model[0].trainable and model[1].trainable
    before = [p.numpy() for p in model.parameters()]
    F.sum(model(_x(device)) ** 2).backward()
    assert model[0].W.grad is None and model[0].b.grad is None
    assert model[1].W.grad is not None
    _sgd_step(model)
    after = [p.numpy() for p in model.parameters()]
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    assert not np.array_equal(after[2], before[2])
    assert model.count_params(trainable_only=True) == 5 * 2 + 2

    model[0].unfreeze()
    model.zero_grad()
    F.sum(model(_x(device)) ** 2).backward()
    assert model[0].W.grad is not None


def test_trainable_flag_reaches_lazy_and_nested_layers():
    model = nn.Sequential(nn.Dense(3), nn.Sequential(nn.Dense(2)))
    model.trainable = False
    assert not model.trainable and not model[1][0].trainable
    model(_x("cpu"))
    assert not any(p.requires_grad for p in model.parameters())
    assert model.requires_grad_(True) is model
    assert all(p.requires_grad for p in model.parameters())
    assert all(p.trainable for p in model.parameters())


def test_regularization_loss(device):
    def l2(p):
        return 0.5 * F.sum(p * p)

    model = nn.Sequential(nn.Dense(3, in_features=4, kernel_regularizer=l2),
                          nn.Dense(2, in_features=3))
    model.to(device)
    assert model[1].W.regularizer is None and model[0].b.regularizer is None
    loss = model.regularization_loss()
    W = model[0].W.numpy()
    assert loss.item() == pytest.approx(0.5 * float((W.astype(np.float64) ** 2).sum()), rel=1e-5)
    loss.backward()
    np.testing.assert_allclose(model[0].W.grad.numpy(), W, rtol=1e-6)
    none = nn.Sequential(nn.Dense(2, in_features=3)).to(device).regularization_loss()
    assert none.item() == 0.0 and none.ndim == 0 and none.device == device


def test_layer_is_module_and_repr():
    assert nn.Layer is nn.Module
    text = repr(Net())
    assert "(block): Block(" in text and "(fc): Dense(4 -> 3)" in text
    assert "(drop): Dropout(rate=0.5)" in text


def test_explicit_training_argument_and_global_eval_mode(device):
    drop = nn.Dropout(0.5)
    x = Variable(np.ones((50, 50), dtype=np.float32), device=device)
    with minigrad.eval_mode():
        np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
        assert (drop(x, training=True).numpy() == 0).any()



@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Dense(3, in_features=4), (5, 4)),
    (lambda: nn.Dense(3, activation="relu"), (5, 4)),          # lazy, and the fused node
    (lambda: nn.Dense(3, in_features=4, dtype="float64"), (5, 4)),
    (lambda: nn.Conv2D(2, 3), (2, 3, 5, 5)),
    (lambda: nn.BatchNorm(dtype="float64"), (5, 4)),
    (lambda: nn.PReLU(4), (5, 4)),
], ids=["dense", "lazy_dense_relu", "dense64", "conv2d", "batchnorm64", "prelu"])
@pytest.mark.parametrize("in_dtype", ["int64", "int32", "bool"])
@pytest.mark.parametrize("wrap", [True, False], ids=["variable", "array"])
def test_integer_and_bool_input_is_cast_to_the_layer_dtype(make, shape, in_dtype, wrap, device):
    layer = make().to(device)
    host = (np.arange(np.prod(shape)).reshape(shape) % 3 - (in_dtype != "bool")).astype(in_dtype)
    x = Variable(host, device=device) if wrap else minigrad.backend.as_array(host, device=device)
    y = layer(x)
    weight = next(layer.parameters())
    assert y.dtype == weight.dtype and y.device == device
    expected = layer(Variable(host.astype(str(weight.dtype).split(".")[-1]), device=device))
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
