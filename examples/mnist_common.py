"""What the MNIST examples share: their command-line options and how a user's mistake is
reported, loading the data, and the small synthetic IDX set of ``--quick``.

Data, in order:

* ``--data-dir DIR``: the four IDX files directly in DIR (gzip or raw), nothing else; the
  run is labelled ``mnist`` or ``fashion-mnist`` when their label files are the published
  ones, else by the directory;
* otherwise minigrad's usual places for ``--dataset`` (``$MINIGRAD_DATA/<name>`` if that is
  set, else ``~/.cache/minigrad/<name>``, and for Fashion-MNIST Debian's
  ``/usr/share/datasets/fashion-mnist``), downloading missing files, except with
  ``--quick``, which never touches the network;
* without ``--dataset``: MNIST, and Fashion-MNIST from disk when MNIST can be neither
  found nor downloaded (say ``--dataset mnist`` to make that an error instead);
* ``--quick`` without ``--data-dir`` and with no files found: a synthetic IDX set written to
  a temporary directory (10 noisy class prototypes), so smoke tests run anywhere, offline.

A mistake on the command line (an unknown ``--device``, a missing backend, a ``--data-dir``
without the files) ends the script as argparse ends it: one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time

import numpy as np

from minigrad import backend, data
from minigrad.data.downloader import check_file
from minigrad.data.mnist import DATASETS, FILES

QUICK_TRAIN, QUICK_TEST = 2000, 500


def parser(description, epochs=20, batch_size=128, plots=True):
    """An ArgumentParser with the options the MNIST examples take (``--epochs`` unless
    ``epochs`` is None, ``--output-dir`` for those that save ``plots``). Read it with
    :func:`parse_args`."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default=None,
                   help="which data set (default: MNIST, or Fashion-MNIST from disk when "
                        "MNIST is neither on disk nor downloadable)")
    p.add_argument("--data-dir", default=None,
                   help="directory holding the four IDX files (default: minigrad's data "
                        "directories, see docs/data.md)")
    if epochs is not None:
        p.add_argument("--epochs", type=int, default=None,
                       help=f"default {epochs} (1 with --quick)")
        p.set_defaults(default_epochs=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size, help="default %(default)s")
    p.add_argument("--device", default="cpu", help='"cpu" (default), "cuda", "strict", ...')
    p.add_argument("--seed", type=int, default=0,
                   help="for minigrad.manual_seed (default %(default)s)")
    shorter = "one epoch" if epochs is not None else "fewer steps"
    p.add_argument("--quick", action="store_true",
                   help=f"smoke test: the first {QUICK_TRAIN} training and {QUICK_TEST} test "
                        f"samples, {shorter}, no download; synthetic data when the files "
                        f"are absent and no --data-dir is given")
    if plots:
        p.add_argument("--output-dir", default=None,
                       help="where plots go (default: runs/<script> in the current directory)")
    return p


def parse_args(p):
    """``p.parse_args()`` with ``--epochs`` filled in and ``--device`` and ``--data-dir``
    checked, so that a mistake ends the script before any work."""
    args = p.parse_args()
    if "default_epochs" in args:
        if args.epochs is None:
            args.epochs = 1 if args.quick else args.default_epochs
        del args.default_epochs
    check_device(args.device)
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        fail(f"--data-dir {args.data_dir}: no such directory")
    return args


def fail(message):
    """End the script as argparse does on a bad option: ``<script>: error: <message>`` on
    one line of stderr, exit status 2."""
    one_line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    print(f"{os.path.basename(sys.argv[0])}: error: {one_line}", file=sys.stderr, flush=True)
    sys.exit(2)


def check_device(device):
    """:func:`fail` unless minigrad can compute on ``device`` here."""
    try:
        name = backend.normalize_device(device)
        backend.get_backend(name)
    except (TypeError, ValueError, RuntimeError) as e:
        fail(f"--device {device}: {e}")
    if name.startswith("cuda") and name not in backend.available_devices():
        fail(f"--device {device}: CuPy sees no GPU {name} on this machine")


def say_how_to_get_the_bar():
    """On a terminal without tqdm, say once that ``pip install tqdm`` brings a progress bar
    (``fit`` prints a line per epoch meanwhile)."""
    if sys.stdout.isatty() and importlib.util.find_spec("tqdm") is None:
        print('no progress bar: pip install tqdm (or "minigrad[progress]") for one; '
              'a line per epoch meanwhile', flush=True)


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
    if args.data_dir is not None:
        (train, test), name = _load_dir(args.data_dir, args.dataset or "mnist", args.quick)
    elif args.quick:
        (train, test), name = _load_quick(args)
    else:
        (train, test), name = _load_full(args)
    if args.quick:
        train = tuple(a[:QUICK_TRAIN] for a in train)
        test = tuple(a[:QUICK_TEST] for a in test)
    print(f"data: {name}: {len(train[0])} training and {len(test[0])} test samples "
          f"({time.perf_counter() - started:.1f}s to load)", flush=True)
    return train, test, name


def _load_dir(directory, dataset, quick):
    stems = [stem for split in FILES.values() for stem in split]
    missing = [stem for stem in stems if _find(directory, stem) is None]
    if missing:
        quick_note = " (--quick makes synthetic data only without --data-dir)" if quick else ""
        fail(f"--data-dir {directory} has no {', '.join(missing)} (.gz or raw): it should "
             f"hold the four IDX files of MNIST or Fashion-MNIST{quick_note}")
    try:
        arrays = data.load_data(dataset, root=directory, download=False, flatten=True)
    except (OSError, ValueError) as e:
        fail(f"--data-dir {directory}: {e}")
    return arrays, identify(directory)


def _find(directory, stem):
    for name in (stem + ".gz", stem):
        if os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return None


def identify(directory):
    """``"mnist"`` or ``"fashion-mnist"`` when the label files in ``directory`` are those
    the data set published (by their checksums), else ``"the IDX files in <directory>"``."""
    for name in ("mnist", "fashion-mnist"):
        checksums = DATASETS[name].checksums
        if all(_published(_find(directory, stem), checksums.get(stem + ".gz"))
               for stem in (FILES["train"][1], FILES["test"][1])):
            return name
    return f"the IDX files in {directory}"


def _published(path, checksums):
    if path is None or not checksums:
        return False
    try:
        check_file(path, checksums)
    except (OSError, ValueError):
        return False
    return True


def _load_quick(args):
    dataset = args.dataset or "mnist"
    try:
        return data.load_data(dataset, download=False, flatten=True), dataset
    except FileNotFoundError:
        directory = write_synthetic_idx(tempfile.mkdtemp(prefix="minigrad-synthetic-"),
                                        seed=args.seed)
        print(f"--quick: no {dataset} files on disk (quick mode never downloads); using a "
              f"synthetic IDX set in {directory}", flush=True)
        return data.load_data(dataset, root=directory, download=False, flatten=True), "synthetic"


def _load_full(args):
    if args.dataset is not None:
        return _load_or_fail(args.dataset), args.dataset
    try:
        return data.load_data("mnist", flatten=True), "mnist"
    except (OSError, ValueError) as mnist_error:
        try:
            arrays = data.load_data("fashion-mnist", download=False, flatten=True)
        except FileNotFoundError:
            fail(f"{mnist_error} (no Fashion-MNIST on disk either: on Debian or Ubuntu, "
                 f"apt-get install dataset-fashion-mnist, then --dataset fashion-mnist)")
        print("MNIST is neither on disk nor downloadable here; using Fashion-MNIST found on "
              "disk instead (--dataset mnist makes this an error)", flush=True)
        return arrays, "fashion-mnist"


def _load_or_fail(dataset):
    try:
        return data.load_data(dataset, flatten=True)
    except (OSError, ValueError) as e:
        fail(e)


def try_plot(plot, *args):
    """Call a plotting function of minigrad.training; without matplotlib say so and go on."""
    try:
        path = plot(*args)
    except ImportError as e:
        print(f"no plot: {e}", flush=True)
        return None
    print(f"saved {path}", flush=True)
    return path
