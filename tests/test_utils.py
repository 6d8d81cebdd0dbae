"""Graph drawings: the DOT text, parsed with pydot, has the graph's nodes and edges."""
import os
import pathlib
import shutil
import stat
import sys

import numpy as np
import pytest

import minigrad
from minigrad import F, nn
from minigrad.utils import get_dot_graph, get_model_dot, plot_dot_graph, plot_model

pydot = pytest.importorskip("pydot")
# pydot's parser still calls pyparsing's old method names
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot")


def parse(text):
    (graph,) = pydot.graph_from_dot_data(text)
    return graph


def labels(graph):
    """``{node name: (label, shape)}``."""
    return {n.get_name(): (n.get("label").strip('"'), n.get("shape"))
            for n in graph.get_nodes() if n.get_name() not in ("node", "edge", "graph")}


def edges_by_label(graph):
    names = labels(graph)
    return sorted((names[e.get_source()][0], names[e.get_destination()][0])
                  for e in graph.get_edges())


def small_graph(device="cpu"):
    a = minigrad.Variable(np.ones((2, 3), np.float32), name="a", device=device)
    b = minigrad.Variable(np.full((2, 3), 2.0, np.float32), name="b", device=device)
    t = a + b
    t.name = "t"
    y = (t * a).sum()
    y.name = "y"
    return y


def test_variables_are_ellipses_functions_boxes_edges_follow_the_data(device):
    graph = parse(get_dot_graph(small_graph(device)))
    nodes = labels(graph)
    assert sorted(nodes.values(), key=str) == sorted([
        ("Add", "box"), ("Mul", "box"), ("Sum", "box"),
        ("a", None), ("b", None), ("t", None), ("", None), ("y", None)], key=str)
    assert edges_by_label(graph) == [("", "Sum"), ("Add", "t"), ("Mul", ""), ("Sum", "y"),
                                     ("a", "Add"), ("a", "Mul"), ("b", "Add"), ("t", "Mul")]


def test_functions_come_in_the_order_they_ran():
    text = get_dot_graph(small_graph())
    assert text.startswith("digraph g {\n") and text.endswith("}\n")
    positions = [text.index(f'label="{op}"') for op in ("Add", "Mul", "Sum")]
    assert positions == sorted(positions)
    for line in text.splitlines():           # every node is declared before its edges
        if "->" in line:
            source, target = line.split(" -> ")
            assert text.index(f"{source} [") < text.index(line)
            assert text.index(f"{target} [") < text.index(line)


def test_verbose_adds_shape_and_dtype(device):
    nodes = labels(parse(get_dot_graph(small_graph(device), verbose=True)))
    found = sorted(label for label, shape in nodes.values() if shape is None)
    assert found == ["(2, 3) float32", "a: (2, 3) float32", "b: (2, 3) float32",
                     "t: (2, 3) float32", "y: () float32"]


def test_a_model_shows_its_parameters():
    model = nn.Sequential(nn.Dense(4, in_features=3, activation="tanh"), nn.Dense(2,
                                                                                in_features=4))
    x = minigrad.Variable(np.zeros((5, 3), np.float32), name="x")
    loss = F.mse_loss(model(x), np.zeros((5, 2), np.float32))
    nodes = labels(parse(get_dot_graph(loss)))
    variables = sorted(label for label, shape in nodes.values() if shape is None and label)
    assert variables == ["W", "W", "b", "b", "x"]


def test_a_shared_input_is_one_node_and_a_leaf_is_drawn_alone():
    x = minigrad.Variable(np.float32(3.0), name="x")
    graph = parse(get_dot_graph(x * x))
    assert sorted(edges_by_label(graph)) == [("Mul", ""), ("x", "Mul"), ("x", "Mul")]
    assert len(labels(graph)) == 3
    assert labels(parse(get_dot_graph(x))) == {"v0": ("x", None)}


def test_labels_are_quoted():
    x = minigrad.Variable(np.float32(1.0), name='say "hi" \\ there')
    (label, _), = labels(parse(get_dot_graph(x))).values()
    assert label == 'say \\"hi\\" \\\\ there'


def test_a_graph_freed_by_backward_is_an_error_that_says_so():
    y = small_graph()
    y.backward()
    with pytest.raises(RuntimeError, match=r"graph through Sum was freed by backward\(\); draw "
                                           r"it before backward\(\), or call "
                                           r"backward\(retain_graph=True\)"):
        get_dot_graph(y)
    kept = small_graph()
    kept.backward(retain_graph=True)
    assert "Add" in get_dot_graph(kept)


def test_no_grad_and_non_variables_are_errors():
    with minigrad.no_grad():
        y = minigrad.Variable(np.ones(2, np.float32)) * 2
    with pytest.raises(RuntimeError, match=r"computed under no_grad\(\)"):
        get_dot_graph(y)
    with pytest.raises(TypeError, match="expected a Variable, got ndarray"):
        get_dot_graph(np.ones(2))


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


@pytest.fixture
def fake_dot(monkeypatch, tmp_path):
    """A ``dot`` on PATH that records its arguments and writes its input to the -o file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "dot"
    script.write_text(f"#!{sys.executable}\n"
                      "import sys, shutil\n"
                      "args = sys.argv[1:]\n"
                      "open(sys.argv[0] + '.args', 'w').write(' '.join(args))\n"
                      "shutil.copy(args[1], args[args.index('-o') + 1])\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    return script


def test_plot_dot_graph_without_dot_writes_the_dot_file_and_says_how(no_dot, tmp_path):
    target = tmp_path / "out" / "graph.png"
    with pytest.warns(UserWarning, match=r"dot program is not on PATH.*render it with: dot "
                                         r"-Tpng .*graph\.dot -o .*graph\.png"):
        path = plot_dot_graph(small_graph(), to_file=target)
    assert path == str(tmp_path / "out" / "graph.dot")
    assert not target.exists()
    assert pathlib.Path(path).read_text() == get_dot_graph(small_graph())


def test_plot_dot_graph_runs_dot_for_the_extension(fake_dot, tmp_path):
    target = tmp_path / "graph.svg"
    assert plot_dot_graph(small_graph(), verbose=True, to_file=target) == str(target)
    args = pathlib.Path(str(fake_dot) + ".args").read_text().split()
    assert args[0] == "-Tsvg" and args[-2:] == ["-o", str(target)]
    assert target.read_text() == get_dot_graph(small_graph(), verbose=True)


def test_a_dot_extension_writes_the_text(no_dot, tmp_path):
    path = plot_dot_graph(small_graph(), to_file=tmp_path / "g.dot")
    assert pathlib.Path(path).read_text().startswith("digraph g {")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_real_dot_renders_a_png(tmp_path):
    path = plot_dot_graph(small_graph(), to_file=tmp_path / "g.png")
    assert pathlib.Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = nn.Sequential(nn.Dense(4, in_features=3), nn.ReLU())
    path = plot_model(model, tmp_path / "m.png", input_shape=(3,))
    assert os.path.getsize(path) > 0


def cnn():
    return nn.Sequential(nn.Conv2D(4, 3, name="conv"), nn.ReLU(), nn.MaxPooling2D(2),
                         nn.Flatten(), nn.Dense(10))


def test_get_model_dot_lists_the_layers_with_their_shapes():
    graph = parse(get_model_dot(cnn(), input_shape=(1, 8, 8)))
    nodes = labels(graph)
    assert [nodes[f"layer{k}"] for k in range(5)] == [
        ("conv: Conv2D|{input:|output:}|{{(None, 1, 8, 8)}|{(None, 4, 6, 6)}}", "record"),
        ("1: ReLU|{input:|output:}|{{(None, 4, 6, 6)}|{(None, 4, 6, 6)}}", "record"),
        ("2: MaxPooling2D|{input:|output:}|{{(None, 4, 6, 6)}|{(None, 4, 3, 3)}}", "record"),
        ("3: Flatten|{input:|output:}|{{(None, 4, 3, 3)}|{(None, 36)}}", "record"),
        ("4: Dense|{input:|output:}|{{(None, 36)}|{(None, 10)}}", "record"),
    ]
    assert [(e.get_source(), e.get_destination()) for e in graph.get_edges()] == [
        (f"layer{k}", f"layer{k + 1}") for k in range(4)]


def test_get_model_dot_uses_the_last_input_shape_or_none(device):
    model = cnn().to(device)
    with pytest.raises(ValueError, match=r"pass input_shape .* or show_shapes=False"):
        get_model_dot(model)
    nodes = labels(parse(get_model_dot(model, show_shapes=False)))
    assert nodes["layer4"] == ("4: Dense", "box")
    model(minigrad.Variable(np.zeros((2, 1, 10, 10), np.float32), device=device))
    assert "(None, 64)" in labels(parse(get_model_dot(model)))["layer3"][0]
    assert model[4].built and model.training


def test_plot_model_of_other_models_points_to_plot_dot_graph(no_dot, tmp_path):
    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(TypeError, match=r"plot_model draws Sequential models.*for Doubler, "
                                        r"draw the computational graph"):
        plot_model(Doubler(), tmp_path / "m.png")
    with pytest.warns(UserWarning, match="not on PATH"):
        path = plot_model(cnn(), tmp_path / "m.png", input_shape=(1, 8, 8))
    assert path.endswith("m.dot") and "conv: Conv2D" in pathlib.Path(path).read_text()


def test_record_fields_escape_their_special_characters():
    model = nn.Sequential(nn.ReLU(name="a{b}|<c>"))
    (label, _), = labels(parse(get_model_dot(model, input_shape=(2,)))).values()
    assert label.startswith(r"a\{b\}\|\<c\>: ReLU|")
