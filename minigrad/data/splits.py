"""Train/test and validation splits, random splits of a dataset, k-fold iterators."""
from __future__ import annotations

import math

from minigrad import backend
from minigrad.data import sampling
from minigrad.data.dataset import Subset, as_data, check_lengths, index_array


def train_test_split(*arrays, test_size=0.25, shuffle=True, seed=None, stratify=None):
    """Split arrays into random train and test parts (scikit-learn's ``train_test_split``).

    ``test_size``: a fraction in (0, 1) (the test part gets ``ceil(test_size * n)``
    samples) or a number of samples. ``shuffle=False`` keeps the order: the test
    part is the last samples. ``stratify``: labels whose class proportions both
    parts keep (each class gives its share, rounded by largest remainder). ``seed``
    as in :func:`minigrad.data.sampling.generator`.
    Returns ``[a_train, a_test, b_train, b_test, ...]``.
    """
    data = _arrays("train_test_split", arrays)
    n = data[0].shape[0]
    n_test = _count("train_test_split", "test_size", test_size, n)
    if not shuffle:
        if stratify is not None:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        parts = [(a[: n - n_test, ...], a[n - n_test:, ...]) for a in data]
        return [p for pair in parts for p in pair]
    gen = sampling.generator(seed, "cpu")
    if stratify is None:
        order = sampling.to_list(gen.permutation(n))
        train, test = order[n_test:], order[:n_test]
    else:
        train, test = _stratified_split(_labels("train_test_split", stratify, n), n_test, gen)
    device = backend.device_of(data[0])
    train, test = (index_array(idx, device) for idx in (train, test))
    xp = backend.namespace(data[0])
    return [xp.take(a, idx, axis=0) for a in data for idx in (train, test)]


def validation_split(*arrays, split=0.2):
    """The last ``split`` fraction of the samples as validation data, as Keras does.

    Keras' ``fit(validation_split=...)`` takes the validation samples from the
    *end* of the arrays, before any shuffling: sort your data by class and the
    validation set holds the last classes only. Shuffle first (or use
    :func:`train_test_split`) when the order means something.
    Returns ``((a_train, b_train, ...), (a_val, b_val, ...))`` with
    ``floor(n * (1 - split))`` training samples.
    """
    if isinstance(split, bool) or not isinstance(split, (int, float)) or not 0 < split < 1:
        raise ValueError(f"validation_split: split must be a fraction in (0, 1), got {split!r}")
    data = _arrays("validation_split", arrays)
    n = data[0].shape[0]
    at = math.floor(n * (1.0 - split))
    if not 0 < at < n:
        raise ValueError(
            f"validation_split: split={split} of {n} samples leaves {at} for training and "
            f"{n - at} for validation; both need at least one"
        )
    return tuple(a[:at, ...] for a in data), tuple(a[at:, ...] for a in data)


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s (PyTorch's ``random_split``).

    ``lengths``: sample counts summing to ``len(dataset)``, or fractions summing
    to 1 (each gets ``floor(f * n)``; the samples left over go one each to the
    first subsets).
    """
    n = len(dataset)
    lengths = list(lengths)
    numbers = bool(lengths) and all(
        isinstance(k, (int, float)) and not isinstance(k, bool) for k in lengths
    )
    if numbers and all(isinstance(k, int) for k in lengths):
        counts = lengths
    elif numbers and math.isclose(sum(lengths), 1.0) and all(0 <= f <= 1 for f in lengths):
        counts = [math.floor(f * n) for f in lengths]
        for k in range(n - sum(counts)):
            counts[k % len(counts)] += 1
    else:
        raise ValueError(
            f"random_split: lengths must be sample counts or fractions summing to 1, "
            f"got {lengths}"
        )
    if sum(counts) != n or min(counts) < 0:
        raise ValueError(f"random_split: lengths {lengths} do not add up to the {n} samples")
    order = sampling.to_list(sampling.generator(seed, "cpu").permutation(n))
    starts = [sum(counts[:k]) for k in range(len(counts))]
    return [Subset(dataset, order[s:s + c]) for s, c in zip(starts, counts)]


class KFold:
    """K-fold cross-validation indices (scikit-learn's ``KFold``).

    ``KFold(n_splits=5, shuffle=False, seed=None).split(X)`` yields
    ``(train_idx, val_idx)`` ``n_splits`` times: each sample is in exactly one
    validation fold. Folds are contiguous unless ``shuffle``; the first
    ``n % n_splits`` folds have one sample more. ``X`` is an array, a dataset or a
    number of samples; the indices are int64 arrays on ``X``'s device.
    """

    def __init__(self, n_splits=5, shuffle=False, seed=None):
        if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
            raise ValueError(
                f"{type(self).__name__}: n_splits must be an int >= 2, got {n_splits!r}"
            )
        self.n_splits = n_splits
        self.shuffle = bool(shuffle)
        self.seed = seed

    def get_n_splits(self, X=None, y=None):
        return self.n_splits

    def split(self, X, y=None):
        n, device = _size_and_device(X)
        if self.n_splits > n:
            raise ValueError(
                f"{type(self).__name__}: n_splits={self.n_splits} is more than the {n} samples"
            )
        return self._pairs(self._folds(n, y), device)

    def _pairs(self, folds, device):
        for k in range(self.n_splits):
            train = sorted(i for j, fold in enumerate(folds) if j != k for i in fold)
            yield index_array(train, device), index_array(sorted(folds[k]), device)

    def _order(self, n):
        if not self.shuffle:
            return list(range(n))
        return sampling.to_list(sampling.generator(self.seed, "cpu").permutation(n))

    def _folds(self, n, y):
        order = self._order(n)
        sizes = [n // self.n_splits + (k < n % self.n_splits) for k in range(self.n_splits)]
        starts = [sum(sizes[:k]) for k in range(self.n_splits)]
        return [order[s:s + c] for s, c in zip(starts, sizes)]


class StratifiedKFold(KFold):
    """K-fold indices whose folds keep the class proportions of ``y`` (scikit-learn's name).

    ``split(X, y)``: the samples, grouped by class (in a random order within each
    class when ``shuffle``), are dealt to the folds in turn, so each fold holds
    ``n_c / n_splits`` samples of class ``c``, give or take one. A class with
    fewer than ``n_splits`` samples is missing from some folds.
    """

    def _folds(self, n, y):
        if y is None:
            raise ValueError("StratifiedKFold.split: needs the labels y")
        labels = _labels("StratifiedKFold", y, n)
        order = self._order(n)
        dealt = sorted(order, key=lambda i: labels[i])  # stable: keeps the order within a class
        return [dealt[k::self.n_splits] for k in range(self.n_splits)]


def _arrays(op, arrays):
    if not arrays:
        raise ValueError(f"{op}: give at least one array")
    data = [as_data(a, None, op) for a in arrays]
    check_lengths(op, data)
    backend.check_same_device(op, data)
    return data


def _count(op, name, size, n):
    """A part size given as a fraction in (0, 1) or a count, checked against ``n`` samples."""
    if isinstance(size, float) and 0 < size < 1:
        count = math.ceil(size * n)
    elif isinstance(size, int) and not isinstance(size, bool):
        count = size
    else:
        raise ValueError(f"{op}: {name} must be a fraction in (0, 1) or a count, got {size!r}")
    if not 0 < count < n:
        raise ValueError(
            f"{op}: {name}={size!r} of {n} samples gives {count} test samples and "
            f"{n - count} training samples; both need at least one"
        )
    return count


def _labels(op, y, n):
    labels = sampling.to_list(as_data(y, None, op))
    if len(labels) != n:
        raise ValueError(f"{op}: {len(labels)} labels for {n} samples")
    if any(isinstance(v, list) for v in labels):
        raise ValueError(f"{op}: labels must be one-dimensional (class indices, not one-hot)")
    return labels


def _stratified_split(labels, n_test, gen):
    """Train and test indices whose classes keep the proportions of ``labels``."""
    n = len(labels)
    members: dict = {}
    for i in sampling.to_list(gen.permutation(n)):
        members.setdefault(labels[i], []).append(i)
    classes = sorted(members)
    share = {c: len(members[c]) * n_test / n for c in classes}
    takes = {c: math.floor(share[c]) for c in classes}
    by_remainder = sorted(classes, key=lambda c: share[c] - takes[c], reverse=True)
    for c in by_remainder[: n_test - sum(takes.values())]:
        takes[c] += 1
    test = [i for c in classes for i in members[c][: takes[c]]]
    train = [i for c in classes for i in members[c][takes[c]:]]
    mix = sampling.to_list(gen.permutation(len(test)))
    test = [test[k] for k in mix]
    mix = sampling.to_list(gen.permutation(len(train)))
    return [train[k] for k in mix], test


def _size_and_device(X):
    if isinstance(X, int) and not isinstance(X, bool):
        return X, "cpu"
    if hasattr(X, "device") and hasattr(X, "get_batch"):  # a Dataset
        return len(X), X.device or "cpu"
    data = as_data(X, None, "KFold.split")
    return data.shape[0], backend.device_of(data)
