"""Smoke test of the example scripts: each runs with --quick on small synthetic IDX files,
in a subprocess, offline (--quick never downloads, and MINIGRAD_DATA points at an empty
directory so that no real data set on this machine is picked up)."""
import argparse
import importlib
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minigrad
from minigrad import data, optim

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = ["mnist_mlp.py", "mnist_tricks.py", "newton.py", "lr_finder.py",
           "hyperparameter_search.py", "export_onnx.py",
           "mnist_distributed.py"]


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    """Random MNIST-shaped IDX files: 600 training and 100 test images."""
    root = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 600), ("t10k", 100)):
        data.write_idx(root / f"{prefix}-images-idx3-ubyte.gz",
                       rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8))
        data.write_idx(root / f"{prefix}-labels-idx1-ubyte.gz",
                       rng.integers(0, 10, size=n).astype(np.uint8))
    return root


def run(script, *args, cwd):
    env = {**os.environ, "MINIGRAD_DATA": str(cwd / "no-data-here")}
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{script} {args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_every_script_has_help_and_quick(tmp_path):
    for script in SCRIPTS:
        out = run(script, "--help", cwd=tmp_path)
        assert "usage:" in out and "--quick" in out, script


def test_mnist_mlp_quick_on_given_files(idx_dir, tmp_path):
    out = run("mnist_mlp.py", "--quick", "--data-dir", idx_dir, "--output-dir", tmp_path / "o",
              cwd=tmp_path)
    # random files, neither MNIST's nor Fashion-MNIST's: the run is named by their directory
    assert f"data: the IDX files in {idx_dir}: 600 training and 100 test samples" in out
    assert "Total params: 669,706" in out                  # the notes' model
    assert "Epoch 1/1" in out
    assert "Test loss: " in out and "Test accuracy: " in out
    assert "saved" in out and (tmp_path / "o" / "learning_curves.png").is_file() \
        or "no plot: plot_history needs matplotlib" in out


def test_mnist_mlp_quick_makes_synthetic_data_when_no_files_exist(tmp_path):
    out = run("mnist_mlp.py", "--quick", "--dataset", "mnist", "--output-dir", tmp_path,
              cwd=tmp_path)
    assert "using a synthetic IDX set" in out
    assert "data: synthetic: 1000 training and 250 test samples" in out
    accuracy = float(out.split("Test accuracy: ")[1].split()[0])
    assert accuracy > 0.5                       # the synthetic classes are learnable


def test_mnist_distributed_quick_as_one_process(idx_dir, tmp_path):
    out = run("mnist_distributed.py", "--quick", "--data-dir", idx_dir, cwd=tmp_path)
    assert "1 process(es), global batch 128 (128 per process)" in out
    assert "Epoch 1/1" in out and "Test accuracy: " in out


def test_mnist_distributed_quick_on_two_ranks(idx_dir, tmp_path):
    pytest.importorskip("mpi4py")
    mpiexec = pathlib.Path(sys.executable).with_name("mpiexec")
    if not mpiexec.exists():
        pytest.skip("no mpiexec beside python (pip install mpich)")
    env = {**os.environ, "MINIGRAD_DATA": str(tmp_path / "no-data-here"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([str(mpiexec), "-n", "2", sys.executable,
                           str(EXAMPLES / "mnist_distributed.py"), "--quick", "--data-dir",
                           str(idx_dir), "--compression", "fp16"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 process(es), global batch 128 (64 per process)" in proc.stdout
    assert proc.stdout.count("Test accuracy: ") == 1       # rank 0 alone reports
    assert proc.stdout.count("Epoch 1/1") == 1


def test_mnist_tricks_with_every_kind_of_flag(idx_dir, tmp_path):
    out = run("mnist_tricks.py", "--quick", "--data-dir", idx_dir, "--init", "he",
              "--batchnorm", "--optimizer", "nesterov", "--lr", "0.01", "--schedule", "1cycle",
              "--l1", "1e-5", "--l2", "1e-4", "--max-norm", "3", "--clipnorm", "1",
              "--early-stopping", "--output-dir", tmp_path, cwd=tmp_path)
    assert "final val_acc" in out


def test_mnist_tricks_compare_prints_a_table(idx_dir, tmp_path):
    out = run("mnist_tricks.py", "--quick", "--compare", "--data-dir", idx_dir, cwd=tmp_path)
    table = out[out.index("configuration"):].splitlines()
    assert table[0].split()[:3] == ["configuration", "final", "val_acc"]
    assert len(table) == 2 + 3


def test_newton(tmp_path):
    out = run("newton.py", "--quick", cwd=tmp_path)
    assert "Newton: x = 1.000000000000 after" in out
    assert "Newton: (x, y) = (1.0000000000, 1.0000000000) after" in out


def test_lr_finder_labels_each_suggestion_by_its_rule(idx_dir, tmp_path):
    # 12 steps leave too few points before the minimum for "steepest": both are min/10
    out = run("lr_finder.py", "--quick", "--iters", "12", "--data-dir", idx_dir,
              "--output-dir", tmp_path, cwd=tmp_path)
    assert "smoothed loss" in out
    suggestion = out[out.index("suggested learning rate for adam on the IDX files in"):]
    suggestion = suggestion.splitlines()[0]
    assert suggestion.endswith("(min/10)") and "steepest" not in suggestion


@pytest.mark.parametrize("method", ["grid", "random"])
def test_hyperparameter_search(idx_dir, tmp_path, method):
    out = run("hyperparameter_search.py", "--quick", "--method", method, "--data-dir", idx_dir,
              cwd=tmp_path)
    assert f"{method} search on the IDX files in {idx_dir}" in out
    assert "rank" in out and "best: " in out


def test_export_onnx(idx_dir, tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    out = run("export_onnx.py", "--quick", "--data-dir", idx_dir, "--output-dir", tmp_path / "o",
              cwd=tmp_path)
    for name in ("mnist_mlp", "mnist_cnn"):
        assert f"exported {tmp_path / 'o' / name}.onnx" in out
    differences = [float(part.split(",")[0]) for part in out.split("|difference| ")[1:]]
    assert len(differences) == 2 and max(differences) < 1e-4
    assert out.count("same label for 100 of 100") == 2


@pytest.fixture
def tricks(monkeypatch):
    """examples/mnist_tricks.py imported as a module (removed from sys.modules afterwards)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    before = set(sys.modules)
    yield importlib.import_module("mnist_tricks")
    for name in set(sys.modules) - before:
        del sys.modules[name]


class _Model:
    stop_training = False


@pytest.mark.parametrize("epochs", [1, 20])
def test_every_schedule_of_mnist_tricks_runs_and_stays_positive(tricks, epochs):
    steps = 3
    for schedule in tricks.SCHEDULES:
        callbacks = tricks.schedule_callbacks(argparse.Namespace(schedule=schedule), epochs,
                                              steps)
        model = _Model()
        model.optimizer = optim.Adam([minigrad.Parameter(np.zeros(2, np.float32))], lr=0.01)
        for cb in callbacks:
            cb.set_model(model)
            cb.set_params({"epochs": epochs, "steps": steps, "verbose": 0})
            cb.on_train_begin()
        lrs = []
        for epoch in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            for batch in range(steps):
                for cb in callbacks:
                    cb.on_train_batch_end(batch, {"loss": 1.0})
            lrs.append(model.optimizer.lr)
            for cb in callbacks:
                cb.on_epoch_end(epoch, {"loss": 1.0, "val_loss": 1.0, "lr": lrs[-1]})
        assert all(0 < lr <= 0.01 for lr in lrs), schedule
        if epochs > 1 and schedule != "none":
            assert lrs[-1] < 0.01, schedule          # every schedule lowers the rate by the end
