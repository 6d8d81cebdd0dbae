"""MNIST and Fashion-MNIST: 28x28 grey images in 10 classes, 60,000 to train and 10,000 to test.

Where the files are looked for, in order: the ``root`` argument alone if given;
otherwise ``data_home()/<name>`` (``$MINIGRAD_DATA/<name>``, else
``$XDG_CACHE_HOME/minigrad/<name>``, else ``~/.cache/minigrad/<name>``), then
the dataset's ``system_dirs`` (Debian's ``/usr/share/datasets/fashion-mnist``
for Fashion-MNIST). Each file may be gzip (``name.gz``) or raw (``name``).

Sources: Y. LeCun, C. Cortes, C. Burges, "The MNIST database of handwritten
digits"; H. Xiao, K. Rasul, R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset
for Benchmarking Machine Learning Algorithms", arXiv:1708.07747 (2017).
"""
from __future__ import annotations

import os

from minigrad import backend
from minigrad.data.dataset import ArrayDataset
from minigrad.data import downloader
from minigrad.io.idx import read_idx

ENV_VAR = "MINIGRAD_DATA"
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def data_home() -> str:
    """The directory that holds minigrad's datasets, one subdirectory each."""
    if os.environ.get(ENV_VAR):
        return os.path.expanduser(os.environ[ENV_VAR])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "minigrad")


class MNIST(ArrayDataset):
    """Handwritten digits 0-9 (``ds[i] == (image, label)``).

    ``MNIST(root=None, train=True, download=False, flatten=False, transform=None,
    target_transform=None, device=None, mirrors=None)``: images are float32 in
    [0, 1] of shape (28, 28), or (784,) with ``flatten``; labels are int64.
    ``download=True`` fetches missing files from ``mirrors`` (default the class's
    list) into ``root`` (default ``data_home()/mnist``), checking their checksums.
    torchvision's attributes: ``data`` (uint8 images (N, 28, 28)), ``targets``,
    ``classes`` (the names, torchvision's), ``class_to_idx``.
    """

    name = "mnist"
    mirrors = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    )
    # md5 of the .gz files as published (torchvision's list).
    checksums = {
        "train-images-idx3-ubyte.gz": {"md5": "f68b3c2dcbeaaa9fbdd348bbdeb94873"},
        "train-labels-idx1-ubyte.gz": {"md5": "d53e105ee54ea40749a09fcbcd1e9432"},
        "t10k-images-idx3-ubyte.gz": {"md5": "9fb629c4189551a2d022fa330f9573f3"},
        "t10k-labels-idx1-ubyte.gz": {"md5": "ec29112dd5afa0611ce80d1b7f02629c"},
    }
    system_dirs: tuple = ()
    offline_hint = ""
    classes = ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine")  # torchvision's names

    def __init__(self, root=None, train=True, download=False, flatten=False, transform=None,
                 target_transform=None, device=None, mirrors=None):
        images, labels = self.fetch("train" if train else "test", root, download, mirrors)
        x, y = _convert(images, labels, flatten, device)
        super().__init__(x, y, transform=transform, target_transform=target_transform)
        self.train = train
        self._uint8 = None

    # torchvision's attributes: the raw images and the labels, and the class names
    @property
    def data(self):
        """The images as torchvision holds them: uint8 in [0, 255], shape (N, 28, 28),
        before ``transform`` (the samples themselves are float32 in [0, 1])."""
        if self._uint8 is None:
            x = self.arrays[0]
            xp = backend.namespace(x)
            images = xp.astype(xp.round(x * 255.0), xp.uint8)
            self._uint8 = xp.reshape(images, (x.shape[0], 28, 28))
        return self._uint8

    @data.setter
    def data(self, value):
        raise AttributeError(f"{type(self).__name__}.data cannot be set; for a part of the "
                             f"set use minigrad.data.Subset(dataset, indices)")

    @property
    def targets(self):
        """The labels, int64 of shape (N,) (torchvision's ``targets``)."""
        return self.arrays[1]

    @targets.setter
    def targets(self, value):
        raise AttributeError(f"{type(self).__name__}.targets cannot be set; for a part of the "
                             f"set use minigrad.data.Subset(dataset, indices)")

    @property
    def class_to_idx(self):
        return {name: i for i, name in enumerate(self.classes)}

    @classmethod
    def search_dirs(cls, root=None) -> list:
        """The directories searched for the files: ``[root]`` if given, else the defaults."""
        if root is not None:
            return [os.fspath(root)]
        return [os.path.join(data_home(), cls.name), *cls.system_dirs]

    @classmethod
    def fetch(cls, split, root=None, download=False, mirrors=None):
        """The host uint8 images and labels of ``split`` (``"train"`` or ``"test"``)."""
        dirs = cls.search_dirs(root)
        paths = [cls._find(stem, dirs) or cls._missing(stem, dirs, download, mirrors)
                 for stem in FILES[split]]
        images, labels = (read_idx(p) for p in paths)
        cls._check(images, labels, paths)
        return images, labels

    @staticmethod
    def _find(stem, dirs):
        for d in dirs:
            for name in (stem + ".gz", stem):
                if os.path.isfile(os.path.join(d, name)):
                    return os.path.join(d, name)
        return None

    @classmethod
    def _missing(cls, stem, dirs, download, mirrors):
        name = stem + ".gz"
        home = dirs[0]
        where = (
            f"put the files {', '.join(f + '.gz' for s in FILES.values() for f in s)} "
            f"(gzip or uncompressed) in {home}, or pass root= (a directory holding them) "
            f"or set ${ENV_VAR} (a directory holding {cls.name}/)"
        )
        if not download:
            raise FileNotFoundError(
                f"{cls.__name__}: {name} not found in {', '.join(dirs)}; pass download=True "
                f"or {where}{cls.offline_hint}"
            )
        bases = cls.mirrors if mirrors is None else mirrors
        urls = [base.rstrip("/") + "/" + name for base in bases]
        try:
            return downloader.download(urls, os.path.join(home, name), cls.checksums.get(name))
        except downloader.DownloadError as e:
            raise downloader.DownloadError(
                f"{cls.__name__}: {e}\nWithout network access, fetch the files on another "
                f"machine and {where}{cls.offline_hint}"
            ) from e

    @classmethod
    def _check(cls, images, labels, paths):
        xp = backend.namespace(images)
        where = f"{cls.__name__} ({paths[0]}, {paths[1]})"
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{where}: expected images (n, rows, cols) and labels (n,), got shapes "
                f"{tuple(images.shape)} and {tuple(labels.shape)}"
            )
        if images.dtype != xp.uint8 or labels.dtype != xp.uint8:
            raise ValueError(f"{where}: expected uint8 data, got {images.dtype} and {labels.dtype}")
        if labels.shape[0] and int(xp.max(labels)) >= len(cls.classes):
            raise ValueError(
                f"{where}: label {int(xp.max(labels))} is out of range for "
                f"{len(cls.classes)} classes"
            )


class FashionMNIST(MNIST):
    """Zalando's clothing images, a drop-in replacement for MNIST (same files, shapes, API).

    Besides ``data_home()/fashion-mnist`` it looks in Debian's package directory
    ``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``),
    so it works offline without a download.
    """

    name = "fashion-mnist"
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    )
    # md5: of the .gz files as published by Zalando; content_sha256: of the
    # decompressed files, computed from Debian's dataset-fashion-mnist package
    # (whose .gz files were recompressed, so their md5 differs from Zalando's).
    checksums = {
        "train-images-idx3-ubyte.gz": {
            "md5": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "content_sha256": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        },
        "train-labels-idx1-ubyte.gz": {
            "md5": "25c81989df183df01b3e8a0aad5dffbe",
            "content_sha256": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        },
        "t10k-images-idx3-ubyte.gz": {
            "md5": "bef4ecab320f06d8554ea6380940ec79",
            "content_sha256": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        },
        "t10k-labels-idx1-ubyte.gz": {
            "md5": "bb300cfdad3c16e7a12a480ee83cd310",
            "content_sha256": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    }
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

    offline_hint = "; on Debian or Ubuntu, apt-get install dataset-fashion-mnist"


DATASETS = {"mnist": MNIST, "fashion-mnist": FashionMNIST, "fashion_mnist": FashionMNIST}


def load_data(dataset="mnist", root=None, download=True, flatten=False, device=None):
    """``((x_train, y_train), (x_test, y_test))`` as arrays on ``device``, like Keras'
    ``keras.datasets.mnist.load_data()``, except that the images are float32 in
    [0, 1] (flattened to 784 columns with ``flatten``) and the labels int64.

    ``dataset``: ``"mnist"`` or ``"fashion-mnist"``; ``root`` and ``download`` as in :class:`MNIST`.
    """
    cls = DATASETS.get(dataset)
    if cls is None:
        raise ValueError(
            f"load_data: unknown dataset {dataset!r}; expected one of {sorted(DATASETS)}"
        )
    return tuple(_convert(*cls.fetch(split, root, download), flatten, device)
                 for split in ("train", "test"))


def _convert(images, labels, flatten, device):
    """uint8 host arrays -> float32 images in [0, 1] and int64 labels on ``device``."""
    x = backend.to_device(images, device or "cpu")
    y = backend.to_device(labels, device or "cpu")
    xp = backend.namespace(x)
    x = xp.astype(x, xp.float32) / 255.0
    if flatten:
        x = xp.reshape(x, (x.shape[0], x.shape[1] * x.shape[2]))
    return x, xp.astype(y, xp.int64)
