"""The two-rank tests run as ``mpiexec -n 2 python -m pytest tests/distributed/two_ranks/...``
(tests/distributed/test_two_ranks.py launches them). Both ranks run every test; a test
that fails on one rank aborts the job, since the other rank could be waiting for it in
a collective."""
import pathlib
import sys
import time

import pytest

from minigrad import distributed as dist

HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def comm():
    return dist.init()


def pytest_collection_modifyitems(config, items):
    here = [item for item in items if HERE in item.path.parents]
    size = dist.init().size if here else 2
    if size != 2:
        skip = pytest.mark.skip(reason=f"needs 2 ranks, got {size}: run by "
                                       f"tests/distributed/test_two_ranks.py under mpiexec -n 2")
        for item in here:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and HERE in item.path.parents and dist.init().size > 1:
        comm = dist.init()
        sys.stderr.write(f"\n[rank {comm.rank}] {item.nodeid} failed:\n{report.longreprtext}\n"
                         f"[rank {comm.rank}] aborting the job so that the other rank does not "
                         f"wait for this one\n")
        sys.stderr.flush()
        time.sleep(0.5)  # let mpiexec relay this before the abort stops it (see init())
        comm.abort(1)


@pytest.fixture
def shared_dir(comm, tmp_path):
    """Rank 0's tmp_path on every rank (one machine: the same directory)."""
    return comm.bcast_obj(str(tmp_path))
