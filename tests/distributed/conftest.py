"""Fixtures of the distributed tests. Under ``mpiexec`` (two_ranks/, gpu/) every rank runs
every test, and a test that fails on one rank aborts the job: the other ranks could be
waiting for it in a collective."""
import sys
import time

import pytest

from minigrad import distributed as dist


@pytest.fixture(scope="session")
def comm():
    return dist.init()


@pytest.fixture
def shared_dir(comm, tmp_path):
    """Rank 0's tmp_path on every rank (one machine: the same directory)."""
    return comm.bcast_obj(str(tmp_path))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and dist.launched_size()[0] > 1:
        comm = dist.init()
        sys.stderr.write(f"\n[rank {comm.rank}] {item.nodeid} failed:\n{report.longreprtext}\n"
                         f"[rank {comm.rank}] aborting the job so that the other ranks do not "
                         f"wait for this one\n")
        sys.stderr.flush()
        time.sleep(0.5)  # let mpiexec relay this before the abort stops it (see init())
        comm.abort(1)
