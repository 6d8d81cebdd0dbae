"""Test configuration: which backends to run on, and the Hypothesis profiles.

``pytest`` runs every device-dependent test on each CPU backend (numpy and
array-api-strict); ``pytest --backend=numpy`` (or ``strict``, ``cupy``) picks one.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minigrad

settings.register_profile(
    "ci", derandomize=True, max_examples=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev", max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEVICES = {"numpy": "cpu", "strict": "strict", "cupy": "cuda:0"}


def pytest_addoption(parser):
    parser.addoption(
        "--backend", default="all", choices=["all", *DEVICES],
        help="array backend for device-dependent tests (default: numpy and strict)",
    )
    parser.addoption(
        "--device-only", action="store_true",
        help="run only the tests that take the device fixture or are marked gpu (the others "
             "run on numpy whatever --backend says; benchmarks/gpu_check.py uses this)",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--device-only"):
        return
    keep, drop = [], []
    for item in items:
        wanted = "device" in getattr(item, "fixturenames", ()) or item.get_closest_marker("gpu")
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        choice = metafunc.config.getoption("--backend")
        names = ["numpy", "strict"] if choice == "all" else [choice]
        metafunc.parametrize("device", [DEVICES[n] for n in names], ids=names, indirect=True)


@pytest.fixture
def device(request):
    """The device string of the backend under test; skips when it is unavailable."""
    name = request.param
    if name.startswith("cuda") and name not in minigrad.available_devices():
        pytest.skip("no CUDA device with CuPy on this machine")
    return name


def pytest_runtest_setup(item):
    if item.get_closest_marker("gpu") and "cuda:0" not in minigrad.available_devices():
        pytest.skip("needs a CUDA device with CuPy (gpu marker)")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)


@pytest.fixture
def dead_pid():
    """The pid of a process that has exited (and been reaped): a killed writer's."""
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid
