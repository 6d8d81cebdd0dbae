"""shard and Shard in one process: the deal of every rank is computed here directly."""
import numpy as np
import pytest

import minigrad
from minigrad import backend, data, nn, optim
from minigrad.distributed import Communicator, Shard, shard
from tests.distributed.common import EchoComm


def dealt(n, size, epoch=0, **kwargs):
    shards = [Shard(data.ArrayDataset(np.arange(n)), rank, size, **kwargs) for rank in range(size)]
    for s in shards:
        s.set_epoch(epoch)
    return [backend.to_numpy(s.get_batch(slice(0, len(s)))[0]).tolist() for s in shards]


@pytest.mark.parametrize("n, size", [(12, 3), (13, 3), (2, 3), (7, 2)])
def test_equal_shards_that_cover_every_sample(n, size):
    parts = dealt(n, size, seed=5)
    assert all(len(p) == -(-n // size) for p in parts)
    everything = sum(parts, [])
    assert sorted(set(everything)) == list(range(n))
    assert len(everything) - n == -n % size          # only the padding repeats samples


def test_every_epoch_deals_anew_and_the_same_seed_deals_alike():
    first, second = dealt(20, 2, epoch=0, seed=1), dealt(20, 2, epoch=1, seed=1)
    assert first != second
    assert dealt(20, 2, epoch=1, seed=1) == second
    assert dealt(20, 2, epoch=0, seed=2) != first


def test_without_shuffle_rank_r_gets_every_size_th_sample():
    assert dealt(7, 2, shuffle=False) == [[0, 2, 4, 6], [1, 3, 5, 0]]
    assert dealt(7, 2, shuffle=False, drop_last=True) == [[0, 2, 4], [1, 3, 5]]


def test_shard_of_arrays_on_any_device(device):
    x = minigrad.to_device(np.arange(10, dtype=np.float32).reshape(5, 2), device)
    part = shard((x, minigrad.to_device(np.arange(5), device)), comm=Communicator(), seed=0)
    assert len(part) == 5 and part.device == device
    xb, yb = part.get_batch(slice(0, 5))
    np.testing.assert_array_equal(backend.to_numpy(xb)[:, 0] / 2, backend.to_numpy(yb))
    assert "Shard(rank 0 of 1: 5 of 5 samples" in repr(part)
    alone = shard(x, comm=Communicator(), shuffle=False)       # one array: 1-tuples
    assert backend.to_numpy(alone[2][0]).tolist() == [4.0, 5.0]


def test_a_pytorch_style_dataset_is_sharded_sample_by_sample():
    class Squares:
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return np.float32(i * i), np.int64(i)

    part = Shard(Squares(), 1, 2, shuffle=False)
    squares, index = part.get_batch(slice(0, 3))
    assert index.tolist() == [1, 3, 5] and squares.tolist() == [1, 9, 25]


def test_lengths_that_differ_between_ranks_are_an_error():
    class Disagreeing(EchoComm):
        def allgather_obj(self, obj):
            return [obj, obj + 1]

    with pytest.raises(ValueError, match=r"lengths differ \(rank 0 has 4, rank 1 has 5\)"):
        shard(np.zeros(4), comm=Disagreeing())
    with pytest.raises(ValueError, match="1 samples cannot give each of 2 ranks one"):
        shard(np.zeros(1), comm=EchoComm(), drop_last=True)
    with pytest.raises(TypeError, match="expected a Dataset or arrays"):
        shard(42, comm=Communicator())
    with pytest.raises(ValueError, match="epoch must be an integer >= 0, got -1"):
        shard(np.zeros(3), comm=Communicator()).set_epoch(-1)


def test_fit_deals_the_shard_anew_every_epoch():
    epochs = []

    class Spy(Shard):
        def set_epoch(self, epoch):
            epochs.append(epoch)
            super().set_epoch(epoch)

    rng = np.random.default_rng(0)
    part = Spy(data.ArrayDataset(rng.random((8, 2), dtype=np.float32), np.arange(8) % 2), 0, 1)
    epochs.clear()
    model = nn.Sequential(nn.Dense(2))
    model.compile(optimizer=optim.SGD(lr=0.1), loss="softmax_cross_entropy")
    model.fit(part, batch_size=4, epochs=3, verbose=0)
    assert epochs == [0, 1, 2]
