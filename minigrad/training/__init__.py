"""Training: Keras-style ``compile`` / ``fit`` / ``evaluate`` / ``predict``, callbacks,
history and checkpoints. See docs/training.md.

``from minigrad import training``; ``training.fit(model, x, y, epochs=5)`` or
``model.fit(x, y, epochs=5)``.
"""
from minigrad.training.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    GradientNormLogger,
    LearningRateScheduler,
    LRSchedulerCallback,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
    SummaryWriter,
    TensorBoard,
    TerminateOnNaN,
)
from minigrad.training.checkpoint import load_checkpoint, save_checkpoint
from minigrad.training.compiled import CompileConfig, compile
from minigrad.training.history import History
from minigrad.training import tools
from minigrad.training.tools import *  # noqa: F403  (lr_finder, plot_history, ...)
from minigrad.training.trainer import evaluate, fit, predict, train_step

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "CompileConfig",
    "EarlyStopping",
    "GradientNormLogger",
    "History",
    "LRSchedulerCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "ReduceLROnPlateau",
    "SummaryWriter",
    "TensorBoard",
    "TerminateOnNaN",
    "compile",
    "evaluate",
    "fit",
    "load_checkpoint",
    "predict",
    "save_checkpoint",
    "train_step",
]
__all__ += tools.__all__
