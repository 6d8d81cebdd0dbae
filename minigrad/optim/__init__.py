"""Optimizers, learning-rate schedules and gradient clipping.

``from minigrad import optim``; ``optim.Adam(model.parameters(), lr=1e-3)``.
Names follow PyTorch, with Keras' spellings as aliases where they differ.
"""

from minigrad.optim import schedules
from minigrad.optim import schedules as lr_scheduler  # PyTorch's module name
from minigrad.optim.adam import Adam, AdaMax, Adamax, AdamW, NAdam, Nadam
from minigrad.optim.adaptive import Adadelta, AdaGrad, Adagrad, RMSProp, RMSprop
from minigrad.optim.clip import clip_grad_norm, clip_grad_norm_, clip_grad_value, clip_grad_value_
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.schedules import (
    CosineAnnealingLR,
    ExponentialDecay,
    ExponentialLR,
    InverseTimeDecay,
    LambdaLR,
    LearningRateScheduler,
    LinearWarmup,
    LRScheduler,
    OneCycleLR,
    PiecewiseConstant,
    PowerSchedule,
    ReduceLROnPlateau,
    StepLR,
)
from minigrad.optim.sgd import SGD, Momentum, Nesterov

OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adadelta": Adadelta,
    "adam": Adam,
    "adamw": AdamW,
    "nadam": Nadam,
    "adamax": AdaMax,
}


def get_optimizer(identifier, params=None, *, variant="pytorch", **kwargs):
    """An optimizer from a name (``"adam"``, ``"sgd"``, ...; any case) or an Optimizer.

    ``get_optimizer("adam", model.parameters(), lr=1e-3)`` builds ``Adam``;
    an Optimizer instance is returned as it is (then give no params or kwargs).
    ``variant="keras"`` builds Keras' formulation and defaults where the class
    has one (``compile`` names do this); the SGD family has only its own, whose
    defaults and, at a constant lr, steps are Keras' ``SGD``'s.
    """
    if isinstance(identifier, Optimizer):
        if params is not None or kwargs:
            raise ValueError("get_optimizer: got an Optimizer instance together with params/kwargs")
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(
            f"get_optimizer: expected a name or an Optimizer, got {type(identifier).__name__}"
        )
    cls = OPTIMIZERS.get(identifier.lower())
    if cls is None:
        raise ValueError(
            f"get_optimizer: unknown optimizer {identifier!r}; valid names: {', '.join(OPTIMIZERS)}"
        )
    if params is None:
        raise ValueError(f"get_optimizer: {identifier!r} needs the parameters to optimize")
    if variant in cls.variant_defaults:
        kwargs["variant"] = variant
    elif variant != "keras":
        raise ValueError(f"get_optimizer: variant must be 'pytorch' or 'keras', got {variant!r}")
    return cls(params, **kwargs)


__all__ = [
    "OPTIMIZERS",
    "SGD",
    "AdaGrad",
    "AdaMax",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "CosineAnnealingLR",
    "ExponentialDecay",
    "ExponentialLR",
    "InverseTimeDecay",
    "LRScheduler",
    "LambdaLR",
    "LearningRateScheduler",
    "LinearWarmup",
    "Momentum",
    "NAdam",
    "Nadam",
    "Nesterov",
    "OneCycleLR",
    "Optimizer",
    "PiecewiseConstant",
    "PowerSchedule",
    "RMSProp",
    "RMSprop",
    "ReduceLROnPlateau",
    "StepLR",
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value",
    "clip_grad_value_",
    "get_optimizer",
    "lr_scheduler",
    "schedules",
]
