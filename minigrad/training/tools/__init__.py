"""The practitioner's tools: learning-rate range test, hyperparameter search, k-fold
cross-validation, Monte-Carlo dropout, sanity checks, learning curves. See docs/practice.md.

``from minigrad.training import tools`` or ``from minigrad.training import lr_finder, ...``.
"""
from minigrad.training.tools.cross_validation import CVResult, cross_validate
from minigrad.training.tools.lr_finder import LRFinderResult, lr_finder, suggest_lr
from minigrad.training.tools.mc_dropout import mc_predict
from minigrad.training.tools.plots import plot_history, plot_lr_finder
from minigrad.training.tools.sanity import (
    SanityCheckError,
    SanityResult,
    check_initial_loss,
    overfit_one_batch,
)
from minigrad.training.tools.search import (
    Choice,
    IntUniform,
    LogUniform,
    SearchResult,
    Uniform,
    grid_search,
    random_search,
)
from minigrad.training.tools.table import format_table

__all__ = [
    "CVResult",
    "Choice",
    "IntUniform",
    "LRFinderResult",
    "LogUniform",
    "SanityCheckError",
    "SanityResult",
    "SearchResult",
    "Uniform",
    "check_initial_loss",
    "cross_validate",
    "format_table",
    "grid_search",
    "lr_finder",
    "mc_predict",
    "overfit_one_batch",
    "plot_history",
    "plot_lr_finder",
    "random_search",
    "suggest_lr",
]
