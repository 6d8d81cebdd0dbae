"""Launches the two-rank tests (tests/distributed/two_ranks/) as
``mpiexec -n 2 python -m pytest ...``, and checks that a failing rank aborts the job.

Skipped without mpi4py and an ``mpiexec`` (``pip install -e ".[test]"`` installs
both: mpi4py and the MPICH wheel, whose mpiexec lands beside python)."""
import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = sorted(str(p.relative_to(ROOT)) for p in (HERE / "two_ranks").glob("*.py")
               if p.name not in ("__init__.py", "conftest.py", "fault.py"))


def mpiexec():
    pytest.importorskip("mpi4py", reason="the distributed extra is not installed")
    beside = pathlib.Path(sys.executable).with_name("mpiexec")  # the one of mpi4py's MPI
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec: pip install mpich (or an MPI library's launcher)")
    return found


def launch(*command, timeout):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    try:
        return subprocess.run([mpiexec(), "-n", "2", sys.executable, *command], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"mpiexec -n 2 did not finish in {timeout} s (a hang?):\n{e.stdout}\n"
                    f"{e.stderr}")


def test_the_two_rank_cases_pass_on_two_processes():
    proc = launch("-m", "pytest", "-q", "-p", "no:cacheprovider", *CASES, timeout=240)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert output.count(" passed") == 2, output  # one summary line per rank
    assert " failed" not in output, output


def test_an_exception_on_one_rank_aborts_the_job_instead_of_hanging():
    started = time.perf_counter()
    proc = launch(str(HERE / "two_ranks" / "fault.py"), timeout=60)
    assert proc.returncode != 0
    assert "RuntimeError: rank 1 fails on purpose" in proc.stderr
    assert "uncaught RuntimeError on rank 1 of 2; aborting the job" in proc.stderr
    assert "rank 0 passed the barrier" not in proc.stdout
    assert time.perf_counter() - started < 60
