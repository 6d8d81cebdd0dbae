"""Datasets: indexable collections of samples (PyTorch's protocol)."""
from __future__ import annotations

import operator

from minigrad import backend
from minigrad.core import Variable
from minigrad.data.sampling import to_list


class Dataset:
    """A collection of samples: subclasses define ``__len__`` and ``__getitem__(i)``.

    ``get_batch(indices)`` gives the samples at ``indices`` (a slice or an integer
    array) stacked along a new first axis; this default fetches them one by one,
    datasets over arrays override it with a single indexing operation.
    ``device`` is where the samples live (``None``: not known).
    """

    device = None

    def get_batch(self, indices):
        positions = range(*indices.indices(len(self))) if isinstance(indices, slice) \
            else to_list(indices)
        samples = [self[i] for i in positions]
        if not samples:
            raise ValueError(f"{type(self).__name__}.get_batch: no indices given")
        if isinstance(samples[0], tuple):
            return tuple(_stack([s[k] for s in samples]) for k in range(len(samples[0])))
        return _stack(samples)


class ArrayDataset(Dataset):
    """Samples that are rows of arrays: ``ds[i] == (x[i], y[i], ...)`` (``TensorDataset``).

    ``ArrayDataset(*arrays, transform=None, target_transform=None, device=None)``:
    ``arrays`` (backend arrays, Variables or lists) share their first axis;
    ``device`` moves them there once. ``transform`` is applied to the first array,
    ``target_transform`` to the second, on whatever an index selects: one sample
    for an int, a whole batch for a slice or an index array (what ``DataLoader``
    asks for), so write them to work on a leading batch axis (``lambda x: x / 255``).
    """

    def __init__(self, *arrays, transform=None, target_transform=None, device=None):
        if not arrays:
            raise ValueError("ArrayDataset: give at least one array")
        self.arrays = tuple(as_data(a, device, "ArrayDataset") for a in arrays)
        check_lengths("ArrayDataset", self.arrays)
        backend.check_same_device("ArrayDataset", list(self.arrays))
        self.transform = transform
        self.target_transform = target_transform

    @property
    def device(self) -> str:
        return backend.device_of(self.arrays[0])

    @property
    def tensors(self):
        """PyTorch's name (``TensorDataset.tensors``) of ``arrays``."""
        return self.arrays

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        if isinstance(index, (slice, list)) or backend.is_array(index) and index.ndim > 0:
            return self.get_batch(index)
        i = operator.index(index)
        return self._transformed(tuple(a[i, ...] for a in self.arrays))

    def get_batch(self, indices):
        if isinstance(indices, slice):
            return self._transformed(tuple(a[indices, ...] for a in self.arrays))
        index = index_array(indices, self.device)
        xp = backend.namespace(self.arrays[0])
        return self._transformed(tuple(xp.take(a, index, axis=0) for a in self.arrays))

    def _transformed(self, parts):
        if self.transform is not None:
            parts = (self.transform(parts[0]),) + parts[1:]
        if self.target_transform is not None and len(parts) > 1:
            parts = (parts[0], self.target_transform(parts[1])) + parts[2:]
        return parts


TensorDataset = ArrayDataset


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (PyTorch's ``Subset``)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = index_array(indices, dataset.device or "cpu")
        n = len(dataset)
        if self.indices.shape[0]:
            xp = backend.namespace(self.indices)
            low, high = (int(backend.to_numpy(f(self.indices))) for f in (xp.min, xp.max))
            if low < -n or high >= n:
                raise ValueError(
                    f"Subset: indices from {low} to {high} are out of range for a dataset "
                    f"of {n} samples"
                )

    @property
    def device(self):
        return self.dataset.device

    def __len__(self):
        return self.indices.shape[0]

    def __getitem__(self, index):
        if isinstance(index, (slice, list)) or backend.is_array(index) and index.ndim > 0:
            return self.get_batch(index)
        return self.dataset[int(backend.to_numpy(self.indices[operator.index(index)]))]

    def get_batch(self, indices):
        if isinstance(indices, slice):
            return self.dataset.get_batch(self.indices[indices])
        xp = backend.namespace(self.indices)
        return self.dataset.get_batch(
            xp.take(self.indices, index_array(indices, backend.device_of(self.indices)), axis=0)
        )


def as_data(obj, device, op):
    """``obj`` (a backend array, Variable, list or tuple) as an array with a sample axis."""
    data = obj.data if isinstance(obj, Variable) else backend.as_array(obj)
    if data.ndim == 0:
        raise ValueError(f"{op}: got a scalar of shape (); data needs a leading sample axis")
    return backend.to_device(data, device) if device is not None else data


def check_lengths(op, arrays) -> None:
    """Raise ``ValueError`` naming ``op`` and the lengths if ``arrays`` differ in length."""
    lengths = [a.shape[0] for a in arrays]
    if any(n != lengths[0] for n in lengths):
        names = ["x", "y"] + [f"arrays[{k}]" for k in range(2, len(arrays))]
        found = ", ".join(f"{name} has {n}" for name, n in zip(names, lengths))
        raise ValueError(
            f"{op}: every array needs the same number of samples (first axis); {found}"
        )


def index_array(indices, device):
    """Integer ``indices`` (list, range or array) as an int64 array on ``device``."""
    xp = backend.get_backend(device).xp
    if not backend.is_array(indices):
        indices = backend.as_array(to_list(indices), dtype=xp.int64, device=device)
    elif not backend.namespace(indices).isdtype(indices.dtype, "integral"):
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}")
    if indices.ndim != 1:
        raise ValueError(f"indices must be one-dimensional, got shape {tuple(indices.shape)}")
    return backend.to_device(indices, device)


def _stack(values):
    arrays = [v.data if isinstance(v, Variable) else backend.as_array(v) for v in values]
    return backend.namespace(arrays[0]).stack(arrays)
