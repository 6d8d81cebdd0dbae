"""The learning-rate range test on tiny synthetic problems."""
import functools
import itertools
import math

import numpy as np
import pytest

import minigrad
from minigrad import optim, training
from minigrad.training.tools import lr_finder, suggest_lr
from tests.training.helpers import assert_same_weights, blobs, compiled_mlp, mlp, weights


def test_grid_is_geometric_and_result_unpacks(device):
    x, y = blobs()
    result = lr_finder(compiled_mlp(device), x, y, start_lr=1e-4, end_lr=1e-1, num_iters=20,
                       batch_size=16, window=5, diverge_threshold=None)
    lrs, losses, suggested = result
    assert len(lrs) == len(losses) == len(result.raw_losses) == 20
    assert lrs[0] == pytest.approx(1e-4) and lrs[-1] == pytest.approx(1e-1)
    ratios = [b / a for a, b in itertools.pairwise(lrs)]
    assert ratios == pytest.approx([ratios[0]] * 19)
    assert 1e-4 <= suggested <= 1e-1
    assert result.method == "steepest" and not result.diverged
    # centered moving average over window // 2 = 2 steps either side (fewer at the ends)
    raw = result.raw_losses
    assert losses[0] == pytest.approx(sum(raw[:3]) / 3)
    assert losses[10] == pytest.approx(sum(raw[8:13]) / 5)
    assert losses[-1] == pytest.approx(sum(raw[-3:]) / 3)


def test_model_weights_optimizer_and_random_state_are_restored(device):
    x, y = blobs()

    def run(with_finder):
        minigrad.manual_seed(3)
        model = compiled_mlp(device, optimizer=functools.partial(optim.Adam, lr=0.01),
                             dropout=0.2)
        model(minigrad.Variable(minigrad.to_device(x[:2], device)))
        model.compile(optimizer=optim.Adam(model.parameters(), lr=0.01),
                      loss="softmax_cross_entropy")
        before = weights(model)
        if with_finder:
            lr_finder(model, x, y, num_iters=15, batch_size=16)
            after = weights(model)
            for key in before:
                np.testing.assert_array_equal(before[key], after[key], err_msg=key)
            assert model.optimizer.lr == 0.01 and not model.optimizer.state
            assert all(m.training for m in model.modules())
        training.fit(model, x, y, epochs=2, batch_size=16, verbose=0)
        return model

    assert_same_weights(run(True), run(False))


def test_model_function_and_explicit_loss_and_optimizer():
    x, y = blobs()
    made = []

    def model_fn():
        made.append(mlp())
        return made[-1]

    result = lr_finder(model_fn, x, y, loss="softmax_cross_entropy", optimizer="sgd",
                       num_iters=10, batch_size=32)
    assert len(made) == 1 and len(result.lrs) <= 10
    assert result.losses == result.raw_losses        # 10 steps: the default window is 1


def test_divergence_stops_early():
    x, y = blobs()
    result = lr_finder(compiled_mlp(), x, y, optimizer="sgd", start_lr=1e-3, end_lr=1e4,
                       num_iters=60, batch_size=16)
    assert result.diverged
    assert len(result.lrs) < 60
    assert all(math.isfinite(v) for v in result.raw_losses)


def test_suggestions_on_a_known_curve():
    lrs = [10 ** (-6 + 6 * i / 99) for i in range(100)]  # 1e-6 .. 1
    # falls fastest at lr = 1e-3 (index 49.5), lowest at 1e-1 (index 83), then rises
    losses = [2 - math.tanh(2 * (math.log10(lr) + 3)) + max(0.0, math.log10(lr) + 1) ** 2 * 50
              for lr in lrs]
    lr, method = suggest_lr(lrs, losses)
    assert method == "steepest"
    assert 5e-4 < lr < 2e-3
    lr, method = suggest_lr(lrs, losses, method="min/10")
    best = lrs[min(range(95), key=losses.__getitem__)]
    assert method == "min/10" and lr == pytest.approx(best / 10)


def test_steepest_falls_back_when_the_minimum_comes_first():
    lrs = [1e-3, 1e-2, 1e-1, 1.0]
    lr, method = suggest_lr(lrs, [1.0, 2.0, 3.0, 4.0], skip_start=0, skip_end=0)
    assert (lr, method) == (pytest.approx(1e-4), "min/10")


@pytest.mark.parametrize("kwargs, match", [
    ({"start_lr": 1.0, "end_lr": 0.1}, "start_lr"),
    ({"num_iters": 1}, "num_iters"),
    ({"window": 0}, "window"),
    ({"diverge_threshold": 0.5}, "diverge_threshold"),
    ({"suggestion": "valley"}, "suggestion"),
])
def test_bad_arguments(kwargs, match):
    x, y = blobs()
    with pytest.raises(ValueError, match=match):
        lr_finder(compiled_mlp(), x, y, **kwargs)


def test_needs_a_loss_and_an_optimizer():
    x, y = blobs()
    with pytest.raises(ValueError, match="give loss="):
        lr_finder(mlp(), x, y, optimizer="sgd")
    with pytest.raises(ValueError, match="give optimizer="):
        lr_finder(mlp(), x, y, loss="mse")
    with pytest.raises(TypeError, match="Module"):
        lr_finder(lambda: "not a model", x, y, loss="mse", optimizer="sgd")
