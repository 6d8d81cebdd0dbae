"""shard on two ranks: equal, disjoint shards covering the data, dealt anew each epoch."""
import numpy as np
import pytest

from minigrad import backend
from minigrad import distributed as dist


def samples(shard):
    return backend.to_numpy(shard.get_batch(slice(0, len(shard)))[0]).tolist()


@pytest.mark.parametrize("n", [10, 11])
def test_the_two_shards_cover_the_data_once_up_to_padding(comm, n):
    x = np.arange(n)
    shard = dist.shard((x, x * 10), comm=comm, seed=3)
    mine = samples(shard)
    both = comm.allgather_obj(mine)
    assert len(both[0]) == len(both[1]) == -(-n // 2)
    assert sorted(set(both[0]) | set(both[1])) == list(range(n))
    assert len(both[0]) + len(both[1]) - n == n % 2          # the padding repeats one sample
    shard.set_epoch(1)
    again = comm.allgather_obj(samples(shard))
    assert again[comm.rank] != mine                          # a new deal
    assert sorted(set(again[0]) | set(again[1])) == list(range(n))


def test_unequal_datasets_are_an_error_on_every_rank(comm):
    x = np.zeros(10 + comm.rank)
    with pytest.raises(ValueError, match=r"lengths differ \(rank 0 has 10, rank 1 has 11\)"):
        dist.shard(x, comm=comm)
