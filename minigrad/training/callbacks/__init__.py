"""Callbacks for ``fit`` (Keras' names and hooks).

``from minigrad.training.callbacks import EarlyStopping``, or the same names from
``minigrad.training``.
"""
from minigrad.training.callbacks.base import Callback, CallbackList
from minigrad.training.callbacks.checkpoint import ModelCheckpoint
from minigrad.training.callbacks.early_stopping import EarlyStopping
from minigrad.training.callbacks.loggers import CSVLogger, GradientNormLogger, TerminateOnNaN
from minigrad.training.callbacks.lr import (
    LearningRateScheduler,
    LRSchedulerCallback,
    ReduceLROnPlateau,
)
from minigrad.training.callbacks.progress import ProgressBar
from minigrad.training.callbacks.tensorboard import SummaryWriter, TensorBoard
from minigrad.training.history import History

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
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
]
