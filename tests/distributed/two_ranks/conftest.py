"""The two-rank tests run as ``mpiexec -n 2 python -m pytest tests/distributed/two_ranks/...``
(tests/distributed/test_two_ranks.py launches them); in any other run they skip."""
import pathlib

import pytest

from minigrad import distributed as dist

HERE = pathlib.Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    here = [item for item in items if HERE in item.path.parents]
    size = dist.init().size if here else 2
    if size != 2:
        skip = pytest.mark.skip(reason=f"needs 2 ranks, got {size}: run by "
                                       f"tests/distributed/test_two_ranks.py under mpiexec -n 2")
        for item in here:
            item.add_marker(skip)
