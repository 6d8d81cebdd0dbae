"""DataLoader: batches of a dataset, shuffled or in order, on a device."""
from __future__ import annotations

import inspect
from functools import partial

from minigrad import backend
from minigrad.core import Variable
from minigrad.data import sampling
from minigrad.data.dataset import Dataset


class DataLoader:
    """Iterate over ``dataset`` in batches (PyTorch's ``DataLoader``).

    ``DataLoader(dataset, batch_size=32, shuffle=False, drop_last=False, seed=None, device=None)``

    * ``batch_size``: samples per batch; ``None`` gives the whole set as one batch
      (batch gradient descent), ``1`` one sample at a time (stochastic gradient
      descent), anything between mini-batches. ``len(loader)`` is the number of
      batches: ``ceil(n / batch_size)``, or ``floor`` with ``drop_last=True``,
      which drops a last batch smaller than ``batch_size``.
    * ``shuffle``: a new order every pass (every ``iter(loader)``), drawn from
      minigrad's generator (reproducible under ``minigrad.manual_seed``), or from a
      private generator seeded with ``seed``, which then alone fixes the orders.
    * ``device``: where the batches land (default: the dataset's device, else ``"cpu"``).

    Each batch is what ``dataset.get_batch`` returns (``Dataset.get_batch`` for
    any object with ``__len__`` and ``__getitem__``): for an ``ArrayDataset``, a
    tuple of arrays, one per dataset array (``for x, y in loader``).
    """

    def __init__(self, dataset, *args, **kwargs):
        # (dataset, *args): so that Keras' habit DataLoader(x, y, batch_size=32) gets the
        # error below rather than Python's "multiple values for argument 'batch_size'"
        _refuse_loose_arrays(dataset, args[0] if args else kwargs.get("batch_size"))
        self._configure(dataset, *args, **kwargs)

    def _configure(self, dataset, batch_size=32, shuffle=False, drop_last=False, seed=None,
                   device=None):
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
        ):
            raise ValueError(
                f"DataLoader: batch_size must be a positive int or None (the whole set), "
                f"got {batch_size!r}"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.device = backend.normalize_device(device or getattr(dataset, "device", None))
        self._generator = sampling.generator(seed) if seed is not None else None

    def _sizes(self):
        n = len(self.dataset)
        size = self.batch_size or max(n, 1)
        return n, size, (n // size if self.drop_last else -(-n // size))

    def __len__(self):
        return self._sizes()[2]

    def __iter__(self):
        n, size, count = self._sizes()
        home = getattr(self.dataset, "device", None) or "cpu"
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is None:  # PyTorch's protocol alone: stack the samples one by one
            get_batch = partial(Dataset.get_batch, self.dataset)
        order = None
        if self.shuffle:
            gen = self._generator or sampling.generator(None, home)
            order = sampling.permutation(n, gen, home)
        for start in range(0, count * size, size):
            key = slice(start, min(start + size, n))
            batch = get_batch(key if order is None else order[key])
            yield _to_device(batch, self.device)


DataLoader.__init__.__signature__ = inspect.signature(DataLoader._configure)


def _refuse_loose_arrays(dataset, batch_size):
    """``DataLoader(x, y)`` and ``DataLoader((x, y))`` (Keras' ``fit(x, y)`` habit) are
    errors that show the dataset to write."""
    def array_like(obj):
        return backend.is_array(obj) or isinstance(obj, (Variable, list))

    loose = array_like(batch_size) or (
        isinstance(dataset, tuple) and len(dataset) > 1 and all(map(array_like, dataset)))
    if loose:
        raise TypeError(
            "DataLoader takes one dataset, then batch_size: for arrays x and y write "
            "DataLoader(ArrayDataset(x, y), batch_size=32, shuffle=True) "
            "(from minigrad.data import ArrayDataset, DataLoader)")


def _to_device(batch, device):
    if isinstance(batch, tuple):
        return tuple(backend.to_device(b, device) for b in batch)
    return backend.to_device(batch, device)
