"""Not a test module: run by test_two_ranks.py as ``mpiexec -n 2 python fault.py``.

Rank 1 raises while rank 0 waits in a collective; ``init()``'s hook must abort the
job instead of leaving rank 0 waiting for ever."""
from minigrad import distributed as dist

comm = dist.init()
if comm.rank == 1:
    raise RuntimeError("rank 1 fails on purpose")
comm.barrier()
print("rank 0 passed the barrier: the abort did not happen", flush=True)
