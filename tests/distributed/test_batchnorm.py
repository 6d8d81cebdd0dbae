"""SyncBatchNorm and all_reduce in one process: gradient cases, and equal to BatchNorm
(two ranks against BatchNorm on the whole batch: two_ranks/batchnorm.py)."""
import numpy as np
import pytest

import minigrad
from minigrad import F, Variable, backend, nn
from minigrad import distributed as dist
from minigrad.distributed import Communicator
from tests.gradcase import GradCase, inputs, normal, positive

ALONE = Communicator()

CASES = [
    GradCase("all_reduce", lambda x: dist.all_reduce(x, ALONE) * x, inputs(normal(3, 2))),
    GradCase("sync_batch_norm_2d",
             lambda x, g, b: dist.sync_batch_norm(x, g, b, training=True, comm=ALONE),
             inputs(normal(5, 3), positive(3), normal(3))),
    GradCase("sync_batch_norm_nhwc",
             lambda x, g, b: dist.sync_batch_norm(x, g, b, training=True, axis=-1, comm=ALONE),
             inputs(normal(2, 2, 2, 3), positive(3), normal(3))),
    GradCase("sync_batch_norm_no_affine",
             lambda x: dist.sync_batch_norm(x, None, None, training=True, comm=ALONE),
             inputs(normal(4, 2))),
]


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 2, 2)])
def test_one_process_normalizes_as_batchnorm(device, shape):
    rng = np.random.default_rng(0)
    x = minigrad.to_device((rng.standard_normal(shape) * 2 + 1).astype(np.float32), device)
    w = minigrad.to_device(rng.standard_normal(shape).astype(np.float32), device)
    layers = [nn.BatchNorm(3, device=device), dist.SyncBatchNorm(3, comm=ALONE, device=device)]
    outs, grads = [], []
    for layer in layers:
        xv = Variable(x)
        y = layer(xv)
        F.sum(y * Variable(w)).backward()
        outs.append(backend.to_numpy(y.data))
        grads.append([backend.to_numpy(a) for a in (xv.grad.data, layer.gamma.grad.data,
                                                    layer.beta.grad.data)])
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-5)
    for got, want in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(backend.to_numpy(getattr(layers[1], name)),
                                   backend.to_numpy(getattr(layers[0], name)), rtol=1e-6)
    for layer in layers:
        layer.eval()
    np.testing.assert_allclose(backend.to_numpy(layers[1](Variable(x)).data),
                               backend.to_numpy(layers[0](Variable(x)).data), rtol=1e-5,
                               atol=1e-6)


def test_lazy_layer_on_the_world_communicator():
    layer = nn.SyncBatchNorm()
    assert nn.SyncBatchNorm is dist.SyncBatchNorm and isinstance(layer, nn.BatchNorm)
    y = layer(Variable(np.arange(12, dtype=np.float32).reshape(4, 3)))
    assert layer.num_features == 3 and y.shape == (4, 3)
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-6)


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"SyncBatchNorm: input needs a batch axis and axis 1, "
                                         r"got shape \(3,\)"):
        dist.SyncBatchNorm(comm=ALONE)(Variable(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match="more than one value per channel over all ranks, got 1"):
        dist.sync_batch_norm(Variable(np.zeros((1, 2))), None, None, training=True, comm=ALONE)
    with pytest.raises(ValueError, match=r"gamma has shape \(2,\), expected \(3,\)"):
        dist.sync_batch_norm(Variable(np.zeros((4, 3))), np.ones(2), None, training=True,
                             comm=ALONE)
