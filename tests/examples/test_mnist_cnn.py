"""Smoke test of examples/mnist_cnn.py: --quick runs in a subprocess, offline, on synthetic
IDX data (--quick never downloads; MINIGRAD_DATA points at an empty directory so that no
real data set on this machine is picked up)."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from minigrad import data

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist_cnn.py"


def run(*args, cwd):
    env = {**os.environ, "MINIGRAD_DATA": str(cwd / "no-data-here"),
           # one BLAS thread: on a busy machine OpenBLAS threads waiting for each other
           # make the convolution's long matrix products many times slower
           "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"mnist_cnn.py {args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    """Random MNIST-shaped IDX files: 256 training and 64 test images."""
    root = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 256), ("t10k", 64)):
        data.write_idx(root / f"{prefix}-images-idx3-ubyte.gz",
                       rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8))
        data.write_idx(root / f"{prefix}-labels-idx1-ubyte.gz",
                       rng.integers(0, 10, size=n).astype(np.uint8))
    return root


def test_help_lists_the_flags(tmp_path):
    out = run("--help", cwd=tmp_path)
    for flag in ("--dataset", "--epochs", "--batch-size", "--device", "--data-dir", "--quick",
                 "--seed", "--output-dir", "--batchnorm", "--augment", "--flip", "--cosine"):
        assert flag in out, flag


def test_quick_makes_synthetic_data_and_trains_the_notes_network(tmp_path):
    out = run("--quick", "--dataset", "mnist", "--output-dir", tmp_path / "o", cwd=tmp_path)
    assert "using a synthetic IDX set" in out
    assert "data: synthetic: 1000 training and 250 test samples" in out
    assert "(None, 32, 26, 26)" in out and "(None, 64, 5, 5)" in out
    assert "Total params: 225,034" in out              # Keras reports the same for the notes' CNN
    assert "Epoch 1/1" in out
    loss = float(out.split("Test loss: ")[1].split()[0])
    assert loss < 2.3                                   # below chance level, ln(10) = 2.303
    assert (tmp_path / "o" / "learning_curves.png").is_file() or "no plot:" in out


def test_quick_with_batchnorm_and_augmentation(idx_dir, tmp_path):
    out = run("--quick", "--batchnorm", "--augment", "--flip", "--cosine", "--data-dir", idx_dir,
              "--output-dir", tmp_path, cwd=tmp_path)
    assert f"data: the IDX files in {idx_dir}: 256 training and 64 test samples" in out
    assert "(BatchNorm)" in out and "Non-trainable params: 448" in out
    assert "Test accuracy: " in out and "Seconds per epoch: " in out
