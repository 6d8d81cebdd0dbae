"""GPU checks of minigrad.distributed, at any number of ranks; run by
benchmarks/gpu_distributed.sh (``mpiexec -n 1`` and ``-n 2``), not by the ordinary test run.

Each rank uses GPU ``local_rank`` modulo the GPUs present: on one GPU two ranks share it,
and CuPy arrays go through host buffers over MPI; with a GPU each, through NCCL. Without a
GPU the module skips, unless ``MINIGRAD_GPU_CHECK_DEVICE`` names a device to run the same
checks on (the script's dry run uses ``cpu``)."""
import os
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import Variable, backend, nn
from minigrad import distributed as dist
from minigrad import functions as F

DRY_DEVICE = os.environ.get("MINIGRAD_GPU_CHECK_DEVICE")
if DRY_DEVICE is None and "cuda:0" not in minigrad.available_devices():
    pytest.skip("no CUDA device with CuPy on this machine", allow_module_level=True)


@pytest.fixture(scope="module")
def gpu(comm):
    if DRY_DEVICE is not None:
        return DRY_DEVICE
    count = backend.get_backend("cuda").xp.cuda.runtime.getDeviceCount()
    return f"cuda:{comm.local_rank % count}"


def nccl_problem():
    """None when CuPy's NCCL can be used, else why not."""
    try:
        from minigrad.backend import nccl
    except ImportError as e:
        return f"cannot import cupy.cuda.nccl ({e})"
    return nccl.available()


def test_nccl_is_used_exactly_when_every_rank_has_a_gpu_of_its_own(comm, gpu):
    places = comm.allgather_obj(gpu)
    problem = None if gpu.startswith("cuda") else f"{gpu} is not a GPU"
    problem = problem or nccl_problem()
    if problem is None and len(set(places)) < len(places):
        problem = "ranks share a GPU"
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        used = comm.uses_nccl(gpu)
    assert used == (problem is None)
    print(f"\nrank {comm.rank} of {comm.size} on {gpu}: NCCL used: {used}"
          + (f" ({problem})" if problem else ""))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64"])
def test_allreduce_and_bcast_of_gpu_arrays(comm, gpu, dtype):
    x = minigrad.to_device(np.arange(1000).astype(dtype) % 7 * (comm.rank + 1), gpu)
    total = comm.allreduce(backend.copy(x))
    assert backend.device_of(total) == gpu
    ranks = comm.size * (comm.size + 1) // 2
    np.testing.assert_array_equal(backend.to_numpy(total),
                                  (np.arange(1000) % 7 * ranks).astype(dtype))
    got = comm.bcast(x, root=comm.size - 1)
    np.testing.assert_array_equal(backend.to_numpy(got),
                                  (np.arange(1000) % 7 * comm.size).astype(dtype))


@pytest.mark.parametrize("compression", [None, "fp16"])
def test_average_gradients_on_the_gpu(comm, gpu, compression):
    params = [minigrad.Parameter(minigrad.to_device(np.zeros(shape, np.float32), gpu))
              for shape in [(300, 200), (200,), (7, 3)]]
    for k, p in enumerate(params):
        p.grad = Variable(minigrad.to_device(np.full(p.shape, (k + 1.0) * (comm.rank + 1),
                                                     np.float32), gpu))
    dist.average_gradients(params, comm, bucket_mb=0.1, compression=compression)
    mean_factor = (comm.size + 1) / 2
    for k, p in enumerate(params):
        assert backend.device_of(p.grad.data) == gpu
        np.testing.assert_allclose(backend.to_numpy(p.grad.data), (k + 1.0) * mean_factor,
                                   rtol=1e-3 if compression else 1e-7)


def test_sync_batchnorm_on_the_gpu_equals_batchnorm_of_the_whole_batch(comm, gpu):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((8 * comm.size, 4)) * 2 + 3).astype(np.float32)
    w = rng.standard_normal(x.shape).astype(np.float32)
    mine = slice(8 * comm.rank, 8 * comm.rank + 8)
    bn = nn.BatchNorm(4).to(gpu)
    sync = dist.SyncBatchNorm(4, comm=comm).to(gpu)
    xa, xs = Variable(minigrad.to_device(x, gpu)), Variable(minigrad.to_device(x[mine], gpu))
    ya, ys = bn(xa), sync(xs)
    F.sum(ya * Variable(minigrad.to_device(w, gpu))).backward()
    F.sum(ys * Variable(minigrad.to_device(w[mine], gpu))).backward()
    np.testing.assert_allclose(ys.numpy(), ya.numpy()[mine], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(xs.grad.numpy(), xa.grad.numpy()[mine], rtol=1e-4, atol=1e-5)


def test_broadcast_parameters_on_the_gpu(comm, gpu):
    minigrad.manual_seed(comm.rank)
    model = nn.Sequential(nn.Dense(5, in_features=3), nn.BatchNorm(5)).to(gpu)
    dist.broadcast_parameters(model, comm=comm)
    states = comm.allgather_obj({k: backend.to_numpy(v).tobytes()
                                 for k, v in model.state_dict().items()})
    assert all(s == states[0] for s in states)
