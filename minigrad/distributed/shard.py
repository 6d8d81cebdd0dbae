"""shard: this rank's equal share of a dataset, in a new order every epoch."""
from __future__ import annotations

from minigrad import backend
from minigrad.core import Variable
from minigrad.data import sampling
from minigrad.data.dataset import ArrayDataset, Dataset, index_array

__all__ = ["Shard", "shard"]


def shard(dataset_or_arrays, comm=None, shuffle=True, seed=0, drop_last=False):
    """This rank's share of the samples, as a Dataset of the same length on every rank.

    ``dataset_or_arrays``: a Dataset, or arrays with samples on the first axis
    (``shard((x, y))``; one array alone is fine). Each epoch every rank draws the
    same permutation of all ``n`` samples from ``seed + epoch`` (PyTorch's
    ``DistributedSampler``), pads it by repeating its first samples up to a
    multiple of ``size`` (or, with ``drop_last``, cuts it down to one), and
    takes every ``size``-th sample starting at its rank. So the shards are
    disjoint apart from the padding, have ``ceil(n / size)`` samples each
    (``floor`` with ``drop_last``), and are dealt anew every epoch: ``fit``
    calls :meth:`Shard.set_epoch`; in a loop of your own, call it at the start
    of each epoch. ``shuffle=False`` keeps the order (rank r gets samples r,
    r + size, ...).

    Equal lengths matter: a rank with one batch more than the others waits in
    its gradient collective for ever. The ranks' dataset lengths are compared
    here (a collective), and a ValueError on every rank names them if they differ.
    """
    from minigrad.distributed.communicator import init

    comm = init() if comm is None else comm
    dataset = _as_dataset(dataset_or_arrays)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"shard: seed must be an int, got {seed!r}")
    lengths = comm.allgather_obj(len(dataset))
    if any(n != lengths[0] for n in lengths):
        found = ", ".join(f"rank {r} has {n}" for r, n in enumerate(lengths))
        raise ValueError(f"shard: every rank must pass the same dataset, but their lengths "
                         f"differ ({found})")
    if drop_last and len(dataset) < comm.size:
        raise ValueError(f"shard: {len(dataset)} samples cannot give each of {comm.size} ranks "
                         f"one with drop_last=True")
    return Shard(dataset, comm.rank, comm.size, shuffle, seed, drop_last)


class Shard(Dataset):
    """Rank ``rank``'s share of ``dataset`` among ``size`` (made by :func:`shard`)."""

    def __init__(self, dataset, rank, size, shuffle=True, seed=0, drop_last=False):
        self.dataset = dataset
        self.rank, self.size = rank, size
        self.shuffle, self.seed, self.drop_last = bool(shuffle), seed, bool(drop_last)
        n = len(dataset)
        self.length = n // size if drop_last else -(-n // size)
        self.epoch = None
        self.set_epoch(0)

    @property
    def device(self):
        return getattr(self.dataset, "device", None)

    def set_epoch(self, epoch):
        """Deal the samples for ``epoch``: the same permutation on every rank (``seed + epoch``)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"Shard.set_epoch: epoch must be an integer >= 0, got {epoch!r}")
        if epoch == self.epoch:
            return
        n = len(self.dataset)
        if self.shuffle:
            order = sampling.to_list(sampling.generator(self.seed + epoch).permutation(n))
        else:
            order = list(range(n))
        total = self.length * self.size
        order = (order * -(-total // n))[:total] if n else []
        mine = order[self.rank::self.size]
        self.indices = index_array(mine, self.device or "cpu")
        self.epoch = epoch

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        if not -self.length <= i < self.length:
            raise IndexError(f"Shard: index {i} is out of range for {self.length} samples")
        return self.dataset[int(backend.to_numpy(self.indices[i]))]

    def get_batch(self, indices):
        xp = backend.namespace(self.indices)
        if isinstance(indices, slice):
            picked = self.indices[indices]
        else:
            picked = xp.take(self.indices, index_array(indices, backend.device_of(self.indices)),
                             axis=0)
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is None:  # PyTorch's protocol alone: fetch the samples one by one
            return Dataset.get_batch(self.dataset, picked)
        return get_batch(picked)

    def __repr__(self):
        return (f"Shard(rank {self.rank} of {self.size}: {self.length} of "
                f"{len(self.dataset)} samples, shuffle={self.shuffle}, seed={self.seed}, "
                f"epoch={self.epoch})")


def _as_dataset(obj):
    """A Dataset (or any object with ``__len__`` and ``__getitem__``) as it is; arrays,
    Variables and tuples or lists of them as an ArrayDataset."""
    if isinstance(obj, (tuple, list)):
        return ArrayDataset(*obj)
    if backend.is_array(obj) or isinstance(obj, Variable):
        return ArrayDataset(obj)
    if isinstance(obj, Dataset) or hasattr(obj, "__getitem__") and hasattr(obj, "__len__"):
        return obj
    raise TypeError(f"shard: expected a Dataset or arrays with samples on the first axis, "
                    f"got {type(obj).__name__}")
