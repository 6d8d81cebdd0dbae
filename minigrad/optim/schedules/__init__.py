"""Learning-rate schedules: each sets ``lr`` (1-cycle also momentum) of an optimizer's groups.

A schedule counts its ``step()`` calls in ``t`` (0 at construction, where it
already sets the lr for ``t = 0``). The caller decides what a step is: call
``step()`` once per epoch for an epoch schedule, once per batch for an
iteration schedule. Every group gets its own lr from its own starting lr
``base_lrs[i]`` (the group's lr when the schedule was made), so parameter
groups keep their ratios. ``state_dict()`` / ``load_state_dict()`` save and
restore the position; loading onto an optimizer with a different number of
parameter groups is an error.
"""

from minigrad.optim.schedules.base import LRScheduler
from minigrad.optim.schedules.decay import (
    CosineAnnealingLR,
    ExponentialDecay,
    ExponentialLR,
    InverseTimeDecay,
    PiecewiseConstant,
    PowerSchedule,
    StepLR,
)
from minigrad.optim.schedules.lambda_lr import LambdaLR, LearningRateScheduler
from minigrad.optim.schedules.one_cycle import OneCycleLR
from minigrad.optim.schedules.plateau import ReduceLROnPlateau
from minigrad.optim.schedules.warmup import LinearWarmup

__all__ = [
    "CosineAnnealingLR",
    "ExponentialDecay",
    "ExponentialLR",
    "InverseTimeDecay",
    "LRScheduler",
    "LambdaLR",
    "LearningRateScheduler",
    "LinearWarmup",
    "OneCycleLR",
    "PiecewiseConstant",
    "PowerSchedule",
    "ReduceLROnPlateau",
    "StepLR",
]
