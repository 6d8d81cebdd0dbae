"""K-fold cross-validation of a model-building function: per-fold and mean scores.

The data are cut into ``k`` folds; each fold in turn is the validation set of a fresh
model trained on the other ``k - 1``. Every sample is validated exactly once, so the mean
score uses all the data, at the price of ``k`` trainings; its spread across the folds
shows how much the score depends on the split.
"""
from __future__ import annotations

import math

from minigrad import backend
from minigrad.data.dataset import as_data, check_lengths
from minigrad.data.splits import KFold, StratifiedKFold
from minigrad.training.tools.common import make_model
from minigrad.training.tools.table import format_table
from minigrad.training.trainer import evaluate, fit

__all__ = ["CVResult", "cross_validate"]


class CVResult:
    """What :func:`cross_validate` returns.

    ``folds``: one dict per fold (``fold``, ``n_train``, ``n_val`` and the validation
    ``loss`` and metrics of the fold's model); ``mean`` and ``std`` (over folds, the
    population standard deviation as numpy's default) of each score; ``histories``: the
    ``History`` of each fold's ``fit``; ``table()`` (also ``str(result)``).
    """

    def __init__(self, folds, histories):
        self.folds, self.histories = folds, histories
        names = [k for k in folds[0] if k not in ("fold", "n_train", "n_val")]
        self.mean = {k: sum(f[k] for f in folds) / len(folds) for k in names}
        self.std = {k: math.sqrt(sum((f[k] - self.mean[k]) ** 2 for f in folds) / len(folds))
                    for k in names}

    def table(self):
        rows = self.folds + [{"fold": "mean", **self.mean}, {"fold": "std", **self.std}]
        return format_table(rows, list(self.folds[0]))

    def __str__(self):
        return self.table()

    def __repr__(self):
        scores = ", ".join(f"{k}={v:.4g}±{self.std[k]:.2g}" for k, v in self.mean.items())
        return f"CVResult({len(self.folds)} folds: {scores})"


def _labels(y):
    """Class labels for stratifying: ``y`` itself, or the argmax of one-hot rows."""
    if y.ndim == 2:
        return backend.namespace(y).argmax(y, axis=1)
    return y


def cross_validate(build_fn, x, y, k=5, stratified=False, shuffle=True, seed=None,
                   batch_size=None, verbose=0, **fit_kwargs):
    """Train ``k`` fresh models, fold by fold; returns a :class:`CVResult`.

    ``build_fn()`` returns a new compiled model (``model.compile(...)``) each time.
    ``x``, ``y``: arrays or Variables (samples on the first axis). The folds come from
    :class:`~minigrad.data.KFold`, or :class:`~minigrad.data.StratifiedKFold` with
    ``stratified=True`` (the labels, or the argmax of one-hot targets, keep their class
    proportions in every fold); ``shuffle`` and ``seed`` as there (``seed=None``:
    minigrad's generator). ``batch_size``, ``verbose`` and ``fit_kwargs`` (``epochs``,
    ``callbacks``, ...) go to ``fit``, which also gets the held-out fold as
    ``validation_data`` (so the histories hold ``val_`` curves; a callback that stops or
    restores weights on ``val_`` metrics makes the score optimistic). Each fold is then
    scored by ``evaluate`` on its held-out samples.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"cross_validate: k must be an integer >= 2, got {k!r}")
    for name in ("validation_data", "validation_split"):
        if name in fit_kwargs:
            raise ValueError(f"cross_validate: {name} is not allowed; the held-out fold is "
                             f"the validation data")
    x, y = as_data(x, None, "cross_validate"), as_data(y, None, "cross_validate")
    check_lengths("cross_validate", [x, y])
    splitter = (StratifiedKFold if stratified else KFold)(k, shuffle=shuffle, seed=seed)
    xp = backend.namespace(x)
    folds, histories = [], []
    for fold, (train_idx, val_idx) in enumerate(splitter.split(x, _labels(y))):
        model = make_model("cross_validate", build_fn)
        if getattr(model, "compiled", None) is None:
            raise ValueError("cross_validate: build_fn must return a compiled model "
                             "(call model.compile(optimizer=..., loss=...) in it)")
        x_tr, y_tr = xp.take(x, train_idx, axis=0), xp.take(y, train_idx, axis=0)
        x_val, y_val = xp.take(x, val_idx, axis=0), xp.take(y, val_idx, axis=0)
        history = fit(model, x_tr, y_tr, batch_size=batch_size, verbose=verbose,
                      validation_data=(x_val, y_val), **fit_kwargs)
        scores = evaluate(model, x_val, y_val, batch_size=batch_size)
        folds.append({"fold": fold + 1, "n_train": x_tr.shape[0], "n_val": x_val.shape[0],
                      **scores})
        histories.append(history)
        if verbose:
            shown = ", ".join(f"{name}={v:.4f}" for name, v in scores.items())
            print(f"fold {fold + 1}/{k}: {shown}", flush=True)
    return CVResult(folds, histories)
