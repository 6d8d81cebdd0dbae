"""What the MNIST examples share: their command-line options, loading the data, and the
small synthetic IDX set that ``--quick`` falls back to when the real files are absent.

Data, in order:

* ``--data-dir DIR``: the four IDX files of ``--dataset`` directly in DIR (gzip or raw);
* otherwise minigrad's usual places (``$MINIGRAD_DATA/<name>`` if that is set, else
  ``~/.cache/minigrad/<name>``, and for Fashion-MNIST Debian's
  ``/usr/share/datasets/fashion-mnist``), downloading missing files, except with
  ``--quick``, which never touches the network;
* without ``--dataset``: MNIST, and Fashion-MNIST from disk when MNIST can be neither
  found nor downloaded (say ``--dataset mnist`` to make that an error instead);
* ``--quick`` with no files found: a synthetic IDX set written to a temporary
  directory (10 noisy class prototypes), so smoke tests run anywhere, offline.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from minigrad import data

QUICK_TRAIN, QUICK_TEST = 2000, 500


def parser(description, epochs=20, batch_size=128, plots=True):
    """An ArgumentParser with the options the MNIST examples take (``--output-dir`` for
    those that save ``plots``)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default=None,
                   help="which data set (default: MNIST, or Fashion-MNIST from disk when "
                        "MNIST is neither on disk nor downloadable)")
    p.add_argument("--data-dir", default=None,
                   help="directory holding the four IDX files (default: minigrad's data "
                        "directories, see docs/data.md)")
    p.add_argument("--epochs", type=int, default=epochs, help="default %(default)s")
    p.add_argument("--batch-size", type=int, default=batch_size, help="default %(default)s")
    p.add_argument("--device", default="cpu", help='"cpu" (default), "cuda", "strict", ...')
    p.add_argument("--seed", type=int, default=0,
                   help="for minigrad.manual_seed (default %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke test: {QUICK_TRAIN} training and {QUICK_TEST} test samples, one "
                        f"epoch, no download; synthetic data when the files are absent")
    if plots:
        p.add_argument("--output-dir", default=None,
                       help="where plots go (default: runs/<script> in the current directory)")
    return p


def output_dir(args, script):
    path = args.output_dir or os.path.join("runs", script)
    os.makedirs(path, exist_ok=True)
    return path


def write_synthetic_idx(directory, n_train=1000, n_test=250, seed=0):
    """Write a small MNIST-shaped IDX set to ``directory``: 10 random 28x28 prototypes,
    each image one of them plus noise. Learnable in one epoch, so a smoke test can check
    that the loss falls."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 255, size=(10, 28, 28))
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, size=n)
        images = 0.6 * prototypes[labels] + rng.uniform(0, 0.4 * 255, size=(n, 28, 28))
        data.write_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"),
                       images.astype(np.uint8))
        data.write_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"),
                       labels.astype(np.uint8))
    return directory


def load(args):
    """``(x_train, y_train), (x_test, y_test), name`` as host numpy arrays (images flattened
    to 784 float32 columns in [0, 1], int64 labels); ``name`` says what the data are."""
    started = time.perf_counter()
    if args.quick:
        (train, test), name = _load_quick(args)
        train = tuple(a[:QUICK_TRAIN] for a in train)
        test = tuple(a[:QUICK_TEST] for a in test)
    else:
        (train, test), name = _load_full(args)
    print(f"data: {name}: {len(train[0])} training and {len(test[0])} test samples "
          f"({time.perf_counter() - started:.1f}s to load)", flush=True)
    return train, test, name


def _load_quick(args):
    dataset = args.dataset or "mnist"
    try:
        return data.load_data(dataset, root=args.data_dir, download=False, flatten=True), dataset
    except FileNotFoundError:
        directory = write_synthetic_idx(tempfile.mkdtemp(prefix="minigrad-synthetic-"),
                                        seed=args.seed)
        print(f"--quick: no {dataset} files on disk (quick mode never downloads); using a "
              f"synthetic IDX set in {directory}", flush=True)
        return data.load_data(dataset, root=directory, download=False, flatten=True), "synthetic"


def _load_full(args):
    if args.dataset is not None:
        return _load_or_exit(args.dataset, args.data_dir), args.dataset
    try:
        return data.load_data("mnist", root=args.data_dir, flatten=True), "mnist"
    except (OSError, ValueError) as mnist_error:
        if args.data_dir is not None:
            sys.exit(f"error: {mnist_error}")
        try:
            arrays = data.load_data("fashion-mnist", download=False, flatten=True)
        except FileNotFoundError:
            sys.exit(f"error: {mnist_error}\n(no Fashion-MNIST on disk either: on Debian or "
                     f"Ubuntu, apt-get install dataset-fashion-mnist, then --dataset "
                     f"fashion-mnist)")
        print("MNIST is neither on disk nor downloadable here; using Fashion-MNIST found on "
              "disk instead (--dataset mnist makes this an error)", flush=True)
        return arrays, "fashion-mnist"


def _load_or_exit(dataset, root):
    try:
        return data.load_data(dataset, root=root, flatten=True)
    except (OSError, ValueError) as e:
        sys.exit(f"error: {e}")


def try_plot(plot, *args):
    """Call a plotting function of minigrad.training; without matplotlib say so and go on."""
    try:
        path = plot(*args)
    except ImportError as e:
        print(f"no plot: {e}", flush=True)
        return None
    print(f"saved {path}", flush=True)
    return path
