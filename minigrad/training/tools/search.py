"""Hyperparameter search: every point of a grid, or random points of given ranges, each
built, trained and scored by your function, ranked by a validation metric.

Random search samples each hyperparameter on its own, so with the same budget it tries
more distinct values of the few that matter than a grid does; sample rates and strengths
on a log scale (``LogUniform``).
Paper: Bergstra, Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 2012.
"""
from __future__ import annotations

import itertools
import math
import time

from minigrad.data import sampling
from minigrad.training.callbacks.base import monitor_mode
from minigrad.training.tools.table import format_table

__all__ = ["Choice", "IntUniform", "LogUniform", "SearchResult", "Uniform", "grid_search",
           "random_search"]


def _u01(gen):
    """One float uniform in [0, 1) from a minigrad generator."""
    return float(gen.uniform((), 0.0, 1.0, dtype=gen.xp.float64))


class Uniform:
    """Floats uniform in [low, high)."""

    def __init__(self, low, high):
        if not low < high:
            raise ValueError(f"{type(self).__name__}: need low < high, got {low!r}, {high!r}")
        self.low, self.high = float(low), float(high)

    def sample(self, gen):
        return self.low + (self.high - self.low) * _u01(gen)

    def __repr__(self):
        return f"{type(self).__name__}({self.low:g}, {self.high:g})"


class LogUniform(Uniform):
    """Floats whose logarithm is uniform: ``exp(U(log low, log high))``, as many values
    in [1e-4, 1e-3) as in [1e-3, 1e-2): the scale for learning rates and penalties."""

    def __init__(self, low, high):
        if not 0 < low:
            raise ValueError(f"LogUniform: need 0 < low < high, got {low!r}, {high!r}")
        super().__init__(low, high)

    def sample(self, gen):
        lo, hi = math.log(self.low), math.log(self.high)
        return min(math.exp(lo + (hi - lo) * _u01(gen)), self.high)


class IntUniform:
    """Integers from ``low`` to ``high``, both included, equally likely."""

    def __init__(self, low, high):
        if not (isinstance(low, int) and isinstance(high, int)) or not low <= high:
            raise ValueError(f"IntUniform: need integers low <= high, got {low!r}, {high!r}")
        self.low, self.high = low, high

    def sample(self, gen):
        return int(gen.integers(self.low, self.high + 1, ()))

    def __repr__(self):
        return f"IntUniform({self.low}, {self.high})"


class Choice:
    """One of ``values``, equally likely (a list in ``random_search`` means this)."""

    def __init__(self, values):
        self.values = list(values)
        if not self.values:
            raise ValueError("Choice: needs at least one value")

    def sample(self, gen):
        return self.values[int(gen.integers(0, len(self.values), ()))]

    def __repr__(self):
        return f"Choice({self.values!r})"


class SearchResult:
    """The trials of a search, best first.

    ``results``: one dict per trial with ``rank``, the hyperparameters, the metric,
    ``epoch`` (the epoch the score comes from, when the function returned a History)
    and ``seconds``; ``best_params``, ``best_score``; ``table()`` (also ``str(result)``)
    prints them aligned.
    """

    def __init__(self, results, names, metric, mode):
        self.results, self.names, self.metric, self.mode = results, names, metric, mode

    @property
    def best_params(self):
        return {k: self.results[0][k] for k in self.names}

    @property
    def best_score(self):
        return self.results[0][self.metric]

    def table(self):
        extra = ["epoch"] if any("epoch" in r for r in self.results) else []
        return format_table(self.results, ["rank", *self.names, self.metric, *extra, "seconds"])

    def __str__(self):
        return self.table()

    def __repr__(self):
        return (f"SearchResult({len(self.results)} trials, best {self.metric}="
                f"{self.best_score:.4g} with {self.best_params})")


def _score(outcome, metric, mode, reduce):
    """``(score, epoch or None)`` from what the user's function returned."""
    if isinstance(outcome, (int, float)) and not isinstance(outcome, bool):
        return float(outcome), None
    logs = getattr(outcome, "history", None)
    if isinstance(logs, dict):
        values = logs.get(metric)
        if not values:
            raise ValueError(f"search: the History has no {metric!r}; it holds {sorted(logs)} "
                             f"(pass metric=..., or validation data to fit for val_ metrics)")
        if reduce == "last":
            return float(values[-1]), len(values)
        finite = [(v, i) for i, v in enumerate(values) if math.isfinite(v)]
        finite = finite or [(values[-1], len(values) - 1)]
        value, index = (min if mode == "min" else max)(finite)
        return float(value), index + 1
    if isinstance(outcome, dict):
        if metric not in outcome:
            raise ValueError(f"search: the result has no {metric!r}; it holds {sorted(outcome)}")
        return float(outcome[metric]), None
    raise TypeError(f"search: build_and_train must return a number, a History or a dict of "
                    f"metrics, got {type(outcome).__name__}")


def _run(build_and_train, configs, metric, mode, reduce, verbose):
    if not callable(build_and_train):
        raise TypeError(f"search: build_and_train must be a function params -> score, "
                        f"got {type(build_and_train).__name__}")
    if reduce not in ("best", "last"):
        raise ValueError(f"search: reduce must be 'best' or 'last', got {reduce!r}")
    mode = monitor_mode("search", metric, mode)
    rows = []
    for k, params in enumerate(configs):
        started = time.perf_counter()
        score, epoch = _score(build_and_train(dict(params)), metric, mode, reduce)
        row = {**params, metric: score}
        if epoch is not None:
            row["epoch"] = epoch
        row["seconds"] = time.perf_counter() - started
        rows.append(row)
        if verbose:
            shown = ", ".join(f"{n}={v:.4g}" if isinstance(v, float) else f"{n}={v}"
                              for n, v in params.items())
            print(f"[{k + 1}/{len(configs)}] {shown}: {metric}={score:.4f} "
                  f"({row['seconds']:.1f}s)", flush=True)

    def key(row):  # NaN and infinite scores rank last
        value = row[metric]
        if not math.isfinite(value):
            return math.inf
        return value if mode == "min" else -value
    rows.sort(key=key)
    ranked = [{"rank": i + 1, **row} for i, row in enumerate(rows)]
    names = list(configs[0]) if configs else []
    return SearchResult(ranked, names, metric, mode)


def grid_search(build_and_train, param_grid, metric="val_loss", mode="auto", reduce="best",
                verbose=1):
    """Try every combination of ``param_grid`` (``{"lr": [1e-3, 1e-2], "units": [32, 64]}``:
    4 trials, in that order); returns a :class:`SearchResult`, best first.

    ``build_and_train(params)`` gets one ``{name: value}`` dict, builds and trains a
    model, and returns the score: a number (the value of ``metric``), a dict of metrics
    (``model.evaluate(...)``), or the ``History`` from ``fit``, whose best epoch counts
    (``reduce="last"``: the last epoch). ``metric`` is minimised or maximised by
    ``mode`` (``"auto"``: maximise names containing ``acc``, as Keras does). Rank by a
    validation metric, never the test set. ``verbose=1`` prints a line per trial.
    """
    if not isinstance(param_grid, dict) or not param_grid:
        raise ValueError(f"grid_search: param_grid must be a non-empty dict name -> list of "
                         f"values, got {param_grid!r}")
    for name, values in param_grid.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"grid_search: {name!r} needs a non-empty list of values, "
                             f"got {values!r}")
    names = list(param_grid)
    configs = [dict(zip(names, combo)) for combo in itertools.product(*param_grid.values())]
    return _run(build_and_train, configs, metric, mode, reduce, verbose)


def random_search(build_and_train, param_distributions, n_iter=10, metric="val_loss",
                  mode="auto", seed=None, reduce="best", verbose=1):
    """Try ``n_iter`` random combinations; returns a :class:`SearchResult`, best first.

    ``param_distributions``: ``{name: LogUniform(1e-4, 1e-1) | Uniform(a, b) |
    IntUniform(a, b) | Choice([...]) | [values]}`` (a list is a ``Choice``). All
    ``n_iter`` points are drawn before the first trial, from minigrad's generator
    (``minigrad.manual_seed`` repeats them) or from a private one with ``seed=``.
    ``build_and_train``, ``metric``, ``mode``, ``reduce``: as in :func:`grid_search`.
    """
    if not isinstance(param_distributions, dict) or not param_distributions:
        raise ValueError(f"random_search: param_distributions must be a non-empty dict, "
                         f"got {param_distributions!r}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 1:
        raise ValueError(f"random_search: n_iter must be a positive integer, got {n_iter!r}")
    dists = {}
    for name, dist in param_distributions.items():
        if isinstance(dist, (list, tuple)):
            dist = Choice(dist)
        if not hasattr(dist, "sample"):
            raise TypeError(f"random_search: {name!r} must be a list of values or a "
                            f"distribution (LogUniform, Uniform, IntUniform, Choice), "
                            f"got {dist!r}")
        dists[name] = dist
    gen = sampling.generator(seed, "cpu")
    configs = [{name: d.sample(gen) for name, d in dists.items()} for _ in range(n_iter)]
    return _run(build_and_train, configs, metric, mode, reduce, verbose)
