"""Data: datasets over arrays, batch loaders, splits, IDX files, MNIST and Fashion-MNIST."""
from minigrad.data.augment import affine, random_affine
from minigrad.data.dataset import ArrayDataset, Dataset, Subset, TensorDataset
from minigrad.data.downloader import DownloadError, check_file, download, file_checksums
from minigrad.data.encoding import one_hot, to_categorical
from minigrad.data.loader import DataLoader
from minigrad.data.mnist import MNIST, FashionMNIST, data_home, load_data
from minigrad.data.splits import (
    KFold,
    StratifiedKFold,
    random_split,
    train_test_split,
    validation_split,
)
from minigrad.io.idx import read_idx, write_idx

__all__ = [
    "affine",
    "random_affine",
    "MNIST",
    "ArrayDataset",
    "DataLoader",
    "Dataset",
    "DownloadError",
    "FashionMNIST",
    "KFold",
    "StratifiedKFold",
    "Subset",
    "TensorDataset",
    "check_file",
    "data_home",
    "download",
    "file_checksums",
    "load_data",
    "one_hot",
    "random_split",
    "read_idx",
    "to_categorical",
    "train_test_split",
    "validation_split",
    "write_idx",
]
