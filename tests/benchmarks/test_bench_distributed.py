"""bench_distributed.py: its bucket count agrees with average_gradients, and its report renders
(the measurements themselves run under mpiexec and are not repeated here)."""
import os
import sys

import numpy as np
import pytest

import minigrad
from minigrad import Variable, nn
from minigrad import distributed as dist
from minigrad import functions as F
from tests.distributed.common import EchoComm

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_distributed  # noqa: E402


@pytest.mark.parametrize("bucket_mb", bench_distributed.BUCKETS_MB)
def test_the_reported_bucket_count_is_the_number_of_allreduces(bucket_mb):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Dense(512, activation="relu"), nn.Dense(512, activation="relu"),
                          nn.Dense(10))
    x = np.zeros((2, 784), np.float32)
    F.softmax_cross_entropy(model(Variable(x)), np.zeros(2, np.int64)).backward()
    comm = EchoComm()
    dist.average_gradients(model.parameters(), comm, bucket_mb=bucket_mb)
    assert len(comm.calls) == bench_distributed._bucket_count(bucket_mb)


def test_the_report_has_every_table():
    row = {"compute": 1.0, "wait": 0.1, "comm": 0.5, "update": 0.2, "step": 1.8, "batch": 128,
           "ranks": 2, "threads": 1, "step_range": (1.7, 1.9), "images_per_s": 71111.0}
    figures = {"allreduce": [{"kb": 4, "ms": 0.01, "algbw_gbs": 0.4, "busbw_gbs": 0.4},
                             {"kb": 4096, "ms": 1.0, "algbw_gbs": 4.2, "busbw_gbs": 4.2}],
               "mlp": [row], "buckets": [{**row, "bucket_mb": 25.0}],
               "compression": [{**row, "compression": "fp16"}], "load": (1.0, 1.5),
               "rounds": 3, "steps_per_run": 40}
    text = bench_distributed.report(figures, "python benchmarks/bench_distributed.py")
    assert "| 4 MB | 1.000 | 4.20 | 4.20 |" in text
    assert "| 128 | 2 x 1 | 1.00 | 0.10 | 0.50 | 0.20 | 1.80 (1.7-1.9) | 71111 |" in text
    assert "| bucket_mb=25 | 1 | 0.50 | 1.80 |" in text
