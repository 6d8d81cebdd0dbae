"""Data, models and a stand-in communicator shared by the distributed tests."""
import numpy as np

import minigrad
from minigrad import Variable, backend, nn
from minigrad import functions as F
from minigrad.distributed import Communicator


def data(n=64, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.integers(0, classes, n)
    return x, y


def mlp(seed, batchnorm=None, features=5, device="cpu"):
    """5 - 8 - (batch norm) - 3; built, with weights drawn from ``seed``."""
    minigrad.manual_seed(seed)
    layers = [nn.Dense(8, activation="relu")]
    if batchnorm is not None:
        layers.append(batchnorm)
    layers.append(nn.Dense(3))
    model = nn.Sequential(*layers).to(device)
    model(Variable(np.zeros((2, features), np.float32)).to(device))
    return model


def train(model, optimizer, batches, device="cpu"):
    """One step per ``(x, y)`` batch: mean cross-entropy, backward, ``optimizer.step()``."""
    for x, y in batches:
        model.zero_grad()
        out = model(Variable(x).to(device))
        F.softmax_cross_entropy(out, backend.to_device(y, device)).backward()
        optimizer.step()


def host(model):
    return {k: backend.to_numpy(v).copy() for k, v in model.state_dict().items()}


def max_difference(a, b):
    wa, wb = host(a), host(b)
    assert wa.keys() == wb.keys()
    return max(float(np.max(np.abs(wa[k].astype(np.float64) - wb[k]))) for k in wa)


class EchoComm(Communicator):
    """``size`` ranks that all hold what this one holds: allreduce multiplies by ``size``,
    gathers repeat the object. Records the collectives it is asked for."""

    def __init__(self, size=2, rank=0):
        self.size, self.rank = size, rank
        self.calls = []

    def allreduce(self, array):
        self.calls.append(("allreduce", tuple(array.shape), str(array.dtype).split(".")[-1]))
        return array * self.size

    def bcast(self, array, root=0):
        self.calls.append(("bcast", tuple(array.shape), str(array.dtype).split(".")[-1]))
        return array

    def allreduce_obj(self, value):
        return value * self.size

    def allgather_obj(self, obj):
        return [obj] * self.size

    def gather_obj(self, obj, root=0):
        return [obj] * self.size if self.rank == root else None

    def bcast_obj(self, obj, root=0):
        return obj
