"""The example scripts' answer to a user's mistake: one line on stderr naming the flag, exit
status 2 (as argparse answers a bad option), no traceback, before any training."""
import hashlib
import importlib
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from minigrad import data
from minigrad.data.mnist import MNIST, FashionMNIST

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
MNIST_SCRIPTS = ["mnist_mlp.py", "mnist_cnn.py", "mnist_tricks.py", "lr_finder.py",
                 "hyperparameter_search.py", "export_onnx.py", "mnist_distributed.py"]

# Runs a script with some packages made unimportable: ``python -c RUNNER hidden script args``.
RUNNER = """\
import runpy, sys
hidden, script = sys.argv[1].split(","), sys.argv[2]
for name in filter(None, hidden):
    sys.modules[name] = None
sys.argv = sys.argv[2:]
sys.path.insert(0, str(__import__("pathlib").Path(script).parent))
runpy.run_path(script, run_name="__main__")
"""


def run(script, *args, cwd, hide=()):
    env = {**os.environ, "MINIGRAD_DATA": str(cwd / "no-data-here")}
    command = [sys.executable, "-c", RUNNER, ",".join(hide), str(EXAMPLES / script),
               *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def assert_usage_error(proc, script, *words):
    """Exit status 2, one line on stderr that names the script and ``words``."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{script}: error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Epoch" not in proc.stdout                     # it stopped before training


@pytest.mark.parametrize("script", MNIST_SCRIPTS)
def test_an_unknown_device(script, tmp_path):
    proc = run(script, "--quick", "--device", "tpu", cwd=tmp_path)
    assert_usage_error(proc, script, "--device tpu", "unknown device 'tpu'", "'cuda'")


def test_cuda_without_cupy(tmp_path):
    proc = run("mnist_mlp.py", "--quick", "--device", "cuda", cwd=tmp_path, hide=["cupy"])
    assert_usage_error(proc, "mnist_mlp.py", "--device cuda", "cupy", "minigrad[gpu]")


@pytest.mark.parametrize("script", ["mnist_mlp.py", "lr_finder.py"])
def test_a_data_dir_that_does_not_exist(script, tmp_path):
    for quick in ([], ["--quick"]):
        proc = run(script, *quick, "--data-dir", tmp_path / "nowhere", cwd=tmp_path)
        assert_usage_error(proc, script, f"--data-dir {tmp_path / 'nowhere'}: no such directory")
        assert "root=" not in proc.stderr                   # the flag, not the Python argument


def test_a_quick_run_on_a_data_dir_without_the_files_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run("mnist_mlp.py", "--quick", "--data-dir", tmp_path / "empty", cwd=tmp_path)
    assert_usage_error(proc, "mnist_mlp.py", f"--data-dir {tmp_path / 'empty'} has no ",
                       "train-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    assert "synthetic" not in proc.stdout


def test_a_data_dir_missing_one_file_names_it(tmp_path):
    for prefix, n in (("train", 20), ("t10k", 10)):
        data.write_idx(tmp_path / f"{prefix}-images-idx3-ubyte",
                       np.zeros((n, 28, 28), np.uint8))
    data.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(20, np.uint8))
    proc = run("mnist_mlp.py", "--data-dir", tmp_path, cwd=tmp_path)
    assert_usage_error(proc, "mnist_mlp.py", "has no t10k-labels-idx1-ubyte (.gz or raw)")
    assert "train-images" not in proc.stderr


def test_export_onnx_without_onnxruntime_stops_before_training(tmp_path):
    proc = run("export_onnx.py", "--quick", cwd=tmp_path, hide=["onnxruntime"])
    assert_usage_error(proc, "export_onnx.py", "onnxruntime", 'pip install "minigrad[onnx]"')
    assert "data:" not in proc.stdout


def test_lr_finder_takes_no_option_it_would_ignore(tmp_path):
    out = run("lr_finder.py", "--help", cwd=tmp_path).stdout
    assert "--iters" in out and "--epochs" not in out
    proc = run("lr_finder.py", "--quick", "--epochs", "3", cwd=tmp_path)
    assert proc.returncode == 2 and "unrecognized arguments: --epochs 3" in proc.stderr


@pytest.fixture
def common(monkeypatch):
    """examples/mnist_common.py imported as a module (removed from sys.modules afterwards)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    before = set(sys.modules)
    yield importlib.import_module("mnist_common")
    for name in set(sys.modules) - before:
        del sys.modules[name]


def _label_files(directory, seed):
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", 30), ("t10k", 10)):
        data.write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz",
                       rng.integers(0, 10, size=n).astype(np.uint8))


def _md5s(directory):
    return {path.name: {"md5": hashlib.md5(path.read_bytes()).hexdigest()}
            for path in directory.glob("*-labels-idx1-ubyte.gz")}


def test_the_run_is_named_after_the_files_read(common, tmp_path, monkeypatch):
    fashion, mnist, other = (tmp_path / name for name in ("fashion", "mnist", "other"))
    for seed, directory in enumerate((fashion, mnist, other)):
        directory.mkdir()
        _label_files(directory, seed)
    monkeypatch.setattr(FashionMNIST, "checksums", _md5s(fashion))  # as if published
    monkeypatch.setattr(MNIST, "checksums", _md5s(mnist))
    assert common.identify(fashion) == "fashion-mnist"
    assert common.identify(mnist) == "mnist"
    assert common.identify(other) == f"the IDX files in {other}"


def test_without_tqdm_a_terminal_is_told_once_how_to_get_the_bar(common, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    common.say_how_to_get_the_bar()
    assert capsys.readouterr().out.count("pip install tqdm") == 1


@pytest.mark.parametrize("terminal, tqdm_hidden", [(False, True), (True, False)])
def test_no_bar_hint_where_it_would_not_help(common, capsys, monkeypatch, terminal, tqdm_hidden):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    if tqdm_hidden:
        monkeypatch.setitem(sys.modules, "tqdm", None)
    common.say_how_to_get_the_bar()
    assert capsys.readouterr().out == ""
