"""minigrad.onnx.export: the file passes onnx.checker and onnxruntime computes what
minigrad computes in evaluation mode, at batch sizes other than the example's."""
import sys

import numpy as np
import pytest

import minigrad
from minigrad import F, nn, optim
from minigrad.onnx import export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def reference(model, x):
    """minigrad's output in evaluation mode."""
    model.eval()
    try:
        with minigrad.no_grad():
            return model(minigrad.Variable(x, device=model.device)).numpy()
    finally:
        model.train()


def run_onnx(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def train_a_little(model, x, steps=3):
    """A few SGD steps, so BatchNorm's running statistics are not their start values."""
    model(minigrad.Variable(x, device=model.device))       # builds lazy layers
    optimizer = optim.SGD(list(model.parameters()), lr=0.1)
    for _ in range(steps):
        model.zero_grad()
        (model(minigrad.Variable(x, device=model.device)) ** 2).mean().backward()
        optimizer.step()


def check_export(model, shape, tmp_path, atol, opset=17, batches=(1, 7), seed=0):
    """Export with a batch of 4; compare onnxruntime with minigrad at ``batches``."""
    rng = np.random.default_rng(seed)
    example = rng.normal(size=(4, *shape)).astype(np.float32)
    path = tmp_path / "model.onnx"
    proto = export(model, example, path, opset=opset)
    onnx.checker.check_model(str(path), full_check=True)
    assert proto.opset_import[0].version == opset
    for graph_io in (proto.graph.input[0], proto.graph.output[0]):
        assert graph_io.type.tensor_type.shape.dim[0].dim_param == "batch"
    for n in batches:
        x = rng.normal(size=(n, *shape)).astype(np.float32)
        got, want = run_onnx(path, x), reference(model, x)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=atol)
    return proto


def mnist_mlp():
    return nn.Sequential(
        nn.Dense(64, activation="relu"), nn.Dropout(0.2),
        nn.Dense(64, activation="relu"), nn.Dropout(0.2),
        nn.Dense(10, activation="softmax"))


def mnist_cnn(batchnorm=False):
    conv = [nn.Conv2D(8, 3, use_bias=False), nn.BatchNorm(), nn.ReLU()] if batchnorm \
        else [nn.Conv2D(8, 3, activation="relu")]
    return nn.Sequential(
        *conv, nn.MaxPooling2D(2),
        nn.Conv2D(16, 3, activation="relu"), nn.MaxPooling2D(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Dense(32, activation="relu"), nn.Dropout(0.5),
        nn.Dense(10, activation="softmax"))


def built(model, shape, device="cpu"):
    model.to(device)
    x = np.random.default_rng(1).normal(size=(8, *shape)).astype(np.float32)
    train_a_little(model, x)
    return model


def test_the_mnist_mlp(tmp_path, device):
    model = built(mnist_mlp(), (784,), device)
    proto = check_export(model, (784,), tmp_path, atol=1e-5)
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm",
                                                     "Softmax"]
    assert [t.name for t in proto.graph.initializer] == ["0.W", "0.b", "2.W", "2.b", "4.W",
                                                         "4.b"]
    assert model.training                     # the export does not leave it in eval mode


@pytest.mark.parametrize("batchnorm", [False, True])
def test_the_mnist_cnn(tmp_path, device, batchnorm):
    model = built(mnist_cnn(batchnorm), (1, 28, 28), device)
    check_export(model, (1, 28, 28), tmp_path, atol=1e-4)


@pytest.mark.parametrize("opset", [17, 20])
def test_the_file_has_the_oldest_ir_version_of_its_opset(tmp_path, opset):
    # onnx 1.23 writes IR 14 by default, which onnxruntime 1.30 refuses to load
    model = nn.Sequential(nn.Dense(3, in_features=4))
    proto = export(model, np.zeros((2, 4), np.float32), tmp_path / "m.onnx", opset=opset)
    assert proto.ir_version == {17: 8, 20: 9}[opset]
    assert onnx.load(tmp_path / "m.onnx").ir_version == proto.ir_version


@pytest.mark.parametrize("conv", [
    {"padding": "valid"}, {"padding": "same"}, {"padding": "same", "strides": 2},
    {"padding": 1}, {"padding": (2, 0), "strides": (2, 1)}, {"dilation": 2},
    {"padding": "same", "dilation": (2, 3)},
    {"padding": "same", "strides": 3, "kernel_size": (4, 2)},
], ids=str)
def test_conv2d_padding_stride_dilation(tmp_path, conv):
    conv = {"kernel_size": 3, **conv}
    model = built(nn.Sequential(nn.Conv2D(4, **conv), nn.BatchNorm()), (3, 11, 10))
    check_export(model, (3, 11, 10), tmp_path, atol=1e-4)


@pytest.mark.parametrize("pool", [
    nn.MaxPooling2D(2), nn.MaxPooling2D(3, strides=2, padding="same"), nn.MaxPool2d(3, 2, 1),
    nn.AveragePooling2D(2), nn.AveragePooling2D(3, strides=2, padding="same"),
    nn.AvgPool2d(3, 2, 1), nn.AvgPool2d(3, 2, 1, count_include_pad=False),
], ids=repr)
def test_pooling(tmp_path, pool):
    model = nn.Sequential(nn.Conv2D(2, 1), pool)
    model(minigrad.Variable(np.zeros((1, 2, 9, 8), np.float32)))
    check_export(model, (2, 9, 8), tmp_path, atol=1e-5)


ACTIVATIONS = [nn.ReLU(), nn.LeakyReLU(0.2), nn.PReLU(), nn.RReLU(), nn.ELU(0.7), nn.SELU(),
               nn.GELU(), nn.GELU(approximate="tanh"), nn.Sigmoid(), nn.Tanh(), nn.Softmax(),
               nn.LogSoftmax(), nn.Softmax(axis=0)]


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=repr)
def test_every_activation_layer(tmp_path, activation):
    model = nn.Sequential(nn.Dense(6, in_features=5), activation)
    check_export(model, (5,), tmp_path, atol=1e-5, batches=(7,) if activation.__dict__.get(
        "axis") == 0 else (1, 7))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_one_node_from_opset_20(tmp_path, approximate):
    model = nn.Sequential(nn.Dense(6, in_features=5), nn.GELU(approximate))
    proto = check_export(model, (5,), tmp_path, atol=1e-5, opset=20)
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Gelu"]


def test_prelu_with_one_slope_per_channel(tmp_path):
    model = nn.Sequential(nn.Conv2D(3, 1, in_channels=2), nn.PReLU(3),
                          nn.Flatten(), nn.Dense(4), nn.PReLU(4))
    model(minigrad.Variable(np.zeros((1, 2, 3, 3), np.float32)))
    for prelu in (model[1], model[4]):
        prelu.alpha.data = np.linspace(-0.5, 0.5, prelu.num_parameters).astype(np.float32)
    check_export(model, (2, 3, 3), tmp_path, atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "prelu", "elu", "selu", "gelu",
                                        "sigmoid", "tanh", "softmax", "log_softmax", F.relu,
                                        F.tanh, F.softmax, F.gelu, nn.ELU(2.0)], ids=str)
def test_activation_argument_of_dense_and_conv2d(tmp_path, activation):
    model = nn.Sequential(nn.Conv2D(2, 3, activation=activation, in_channels=1), nn.Flatten(),
                          nn.Dense(5, activation=activation))
    model(minigrad.Variable(np.zeros((1, 1, 5, 5), np.float32)))
    check_export(model, (1, 5, 5), tmp_path, atol=1e-5)


def test_shape_layers_and_dense_on_3d_input(tmp_path):
    model = nn.Sequential(nn.Reshape((4, -1)), nn.Dense(3, in_features=6),  # (N, 4, 3)
                          nn.Flatten(start_axis=2), nn.Softmax(axis=1), nn.Flatten())
    proto = check_export(model, (24,), tmp_path, atol=1e-5)
    assert [n.op_type for n in proto.graph.node] == ["Reshape", "MatMul", "Add", "Reshape",
                                                     "Softmax", "Flatten"]


def test_nested_sequential_single_layer_and_dropout_only(tmp_path):
    inner = nn.Sequential(nn.Dense(4, in_features=3), nn.Tanh(), name="block")
    proto = check_export(nn.Sequential(inner, nn.Dense(2, in_features=4)), (3,), tmp_path,
                         atol=1e-5)
    assert [t.name for t in proto.graph.initializer] == ["block.0.W", "block.0.b", "1.W", "1.b"]
    proto = check_export(nn.Dense(2, in_features=3, activation="relu"), (3,), tmp_path,
                         atol=1e-5)
    assert [t.name for t in proto.graph.initializer] == ["W", "b"]
    proto = check_export(nn.Sequential(nn.Dropout(0.5)), (3,), tmp_path, atol=0)
    assert [n.op_type for n in proto.graph.node] == ["Identity"]


class Doubler(nn.Module):
    def forward(self, x):
        return x * 2


class MyDense(nn.Dense):
    def forward(self, x):
        return super().forward(x) * 2


@pytest.mark.parametrize("layer, message", [
    (nn.Lambda(lambda x: x * 2), r"layer '1' \(Lambda\) cannot be exported to ONNX; supported"),
    (Doubler(), r"layer '1' \(Doubler\) cannot be exported"),
    (MyDense(2, in_features=4), r"layer '1' \(MyDense\) cannot be exported"),
    (nn.Dense(2, in_features=4, activation=lambda x: x),
     r"layer '1' \(Dense\) has the activation <function"),
    (nn.Dropout(0.1, mc=True), r"layer '1' \(Dropout\) is Monte-Carlo dropout"),
    (nn.BatchNorm(4, axis=0), r"layer '1' \(BatchNorm\) normalizes axis 0"),
    (nn.Flatten(start_axis=0), r"layer '1' \(Flatten\) flattens the batch axis"),
])
def test_a_layer_it_cannot_export_is_named(tmp_path, layer, message):
    model = nn.Sequential(nn.Dense(4, in_features=3), layer)
    with pytest.raises(ValueError, match=message):
        export(model, np.zeros((2, 3), np.float32), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_an_unbuilt_model_is_refused(tmp_path):
    model = nn.Sequential(nn.Dense(4), nn.ReLU(), nn.Dense(2))
    with pytest.raises(ValueError, match=r"layer '0' \(Dense\) is not built yet"):
        export(model, np.zeros((2, 3), np.float32), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
    assert not model[0].built                # the export did not build it either


def test_dtype_and_opset_and_input_errors(tmp_path):
    model = nn.Sequential(nn.Dense(2, in_features=3))
    with pytest.raises(ValueError, match="parameter '0.W' is float32 but example_input is "
                                         "float64"):
        export(model, np.zeros((2, 3)), tmp_path / "m.onnx")
    for opset in (12, 10_000, "17"):
        with pytest.raises(ValueError, match="opset must be an integer from 13"):
            export(model, np.zeros((2, 3), np.float32), tmp_path / "m.onnx", opset=opset)
    with pytest.raises(ValueError, match=r"example_input must be a batch .* got shape \(3,\)"):
        export(model, np.zeros(3, np.float32), tmp_path / "m.onnx")


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[onnx\]"'):
        export(nn.Dense(2, in_features=3), np.zeros((1, 3), np.float32), tmp_path / "m.onnx")
