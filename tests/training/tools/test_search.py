"""Grid and random search, ranking and the result table."""
import functools
import math

import pytest

import minigrad
from minigrad import optim, training
from minigrad.training.tools import (
    Choice,
    IntUniform,
    LogUniform,
    Uniform,
    grid_search,
    random_search,
)
from tests.training.helpers import blobs, compiled_mlp


def test_grid_search_tries_every_combination_in_order_and_ranks():
    seen = []

    def score(params):
        seen.append(params)
        return (params["lr"] - 0.01) ** 2 + params["units"] / 1000

    result = grid_search(score, {"lr": [0.1, 0.01], "units": [8, 16, 32]}, metric="loss",
                         verbose=0)
    assert seen == [{"lr": lr, "units": u} for lr in (0.1, 0.01) for u in (8, 16, 32)]
    assert [r["rank"] for r in result.results] == list(range(1, 7))
    assert result.best_params == {"lr": 0.01, "units": 8}
    scores = [r["loss"] for r in result.results]
    assert scores == sorted(scores)
    lines = result.table().splitlines()
    assert lines[0].split() == ["rank", "lr", "units", "loss", "seconds"]
    assert len(lines) == 2 + 6 and str(result) == result.table()


def test_accuracy_is_maximised_and_nan_ranks_last():
    values = {1: 0.5, 2: float("nan"), 3: 0.9}
    result = grid_search(lambda p: values[p["k"]], {"k": [1, 2, 3]}, metric="val_accuracy",
                         verbose=0)
    assert [r["k"] for r in result.results] == [3, 1, 2]
    assert result.best_score == 0.9


def test_history_scores_use_the_best_or_last_epoch():
    history = training.History()
    for epoch, loss in enumerate([0.9, 0.4, 0.6]):
        history.on_epoch_end(epoch, {"val_loss": loss})
    best = grid_search(lambda p: history, {"a": [1]}, verbose=0)
    assert best.best_score == 0.4 and best.results[0]["epoch"] == 2
    last = grid_search(lambda p: history, {"a": [1]}, reduce="last", verbose=0)
    assert last.best_score == 0.6 and last.results[0]["epoch"] == 3
    assert "epoch" in best.table().splitlines()[0]


def test_dict_results_and_missing_metric():
    result = grid_search(lambda p: {"loss": p["a"], "accuracy": 1 - p["a"]}, {"a": [0.2, 0.1]},
                         metric="accuracy", verbose=0)
    assert result.best_params == {"a": 0.1}
    with pytest.raises(ValueError, match="no 'val_loss'"):
        grid_search(lambda p: {"loss": 1.0}, {"a": [1]}, verbose=0)
    with pytest.raises(TypeError, match="number, a History or a dict"):
        grid_search(lambda p: "good", {"a": [1]}, verbose=0)


def test_random_search_draws_in_range_and_repeats_with_a_seed():
    space = {"lr": LogUniform(1e-4, 1e-1), "dropout": Uniform(0.0, 0.5),
             "units": IntUniform(8, 10), "act": ["relu", "tanh"]}

    def draws(**kwargs):
        seen = []
        random_search(lambda p: seen.append(p) or 0.0, space, n_iter=40, verbose=0, **kwargs)
        return seen

    seen = draws(seed=1)
    assert seen == draws(seed=1) and seen != draws(seed=2)
    assert all(1e-4 <= p["lr"] <= 1e-1 and 0 <= p["dropout"] < 0.5 for p in seen)
    assert {p["units"] for p in seen} == {8, 9, 10}
    assert {p["act"] for p in seen} == {"relu", "tanh"}
    minigrad.manual_seed(5)
    first = draws()
    minigrad.manual_seed(5)
    assert draws() == first


def test_log_uniform_is_uniform_in_the_exponent():
    gen = minigrad.backend.host_generator(0)
    exps = [math.log10(LogUniform(1e-6, 1.0).sample(gen)) for _ in range(3000)]
    below = sum(e < -3 for e in exps) / len(exps)
    assert 0.45 < below < 0.55                 # a linear scale would give 0.001


def test_random_search_with_real_training():
    x, y = blobs()

    def build_and_train(params):
        model = compiled_mlp(optimizer=functools.partial(optim.Adam, lr=params["lr"]))
        return training.fit(model, x, y, epochs=2, batch_size=16, validation_split=0.25,
                            verbose=0)

    result = random_search(build_and_train, {"lr": LogUniform(1e-3, 1e-1)}, n_iter=3,
                           metric="val_accuracy", seed=0, verbose=0)
    assert len(result.results) == 3
    assert 0 <= result.best_score <= 1


@pytest.mark.parametrize("make, match", [
    (lambda: grid_search(lambda p: 0, {}), "non-empty dict"),
    (lambda: grid_search(lambda p: 0, {"a": []}), "non-empty list"),
    (lambda: grid_search(lambda p: 0, {"a": [1]}, reduce="mean"), "reduce"),
    (lambda: grid_search(lambda p: 0, {"a": [1]}, mode="up"), "mode"),
    (lambda: random_search(lambda p: 0, {"a": [1]}, n_iter=0), "n_iter"),
    (lambda: LogUniform(0, 1), "0 < low"),
    (lambda: Uniform(1, 1), "low < high"),
    (lambda: IntUniform(3, 2), "low <= high"),
    (lambda: Choice([]), "at least one"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_random_search_rejects_a_bare_value():
    with pytest.raises(TypeError, match="'lr' must be a list"):
        random_search(lambda p: 0, {"lr": 0.1}, verbose=0)


def test_verbose_prints_a_line_per_trial(capsys):
    grid_search(lambda p: p["lr"], {"lr": [1e-3, 1e-2]}, metric="loss")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[1/2] lr=0.001: loss=0.0010")
    assert len(lines) == 2
