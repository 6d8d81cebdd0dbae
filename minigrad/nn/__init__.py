"""Neural-network building blocks: Module, layers, initializers, utilities.

``from minigrad import nn``; ``nn.Sequential(nn.Dense(128, activation="relu"), nn.Dense(10))``.
See docs/layers.md.
"""
from minigrad.nn import constraints, init, regularizers, utils
from minigrad.nn.activation import (
    ELU, GELU, SELU, Activation, Lambda, LeakyReLU, LogSoftmax, PReLU, ReLU, RReLU, Sigmoid,
    Softmax, Tanh, get_activation,
)
from minigrad.nn.constraints import MaxNorm, NonNeg, UnitNorm, get_constraint
from minigrad.nn.containers import Sequential
from minigrad.nn.conv import Conv2d, Conv2D
from minigrad.nn.dense import Dense, Linear
from minigrad.nn.dropout import Dropout, MCDropout, mc_dropout
from minigrad.nn.loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
)
from minigrad.nn.module import IncompatibleKeys, Layer, Module
from minigrad.nn.pooling import (
    AveragePooling2D, AvgPool2d, AvgPool2D, MaxPool2d, MaxPool2D, MaxPooling2D,
)
from minigrad.nn.regularizers import L1, L1L2, L2, ElasticNet, get_regularizer
from minigrad.nn.normalization import BatchNorm, BatchNorm1d, BatchNorm2d, BatchNormalization
from minigrad.nn.shape import Flatten, Input, Reshape
from minigrad.nn.utils import fold_batchnorm, fold_batchnorms, grad_norms

__all__ = [
    "Activation", "BatchNorm", "BatchNorm1d", "BatchNorm2d", "BatchNormalization", "Dense",
    "Dropout", "ELU", "Flatten", "GELU", "IncompatibleKeys", "Input", "Lambda", "Layer",
    "LeakyReLU",
    "Linear", "LogSoftmax", "MCDropout", "Module", "PReLU", "ReLU", "RReLU", "Reshape", "SELU",
    "Sequential", "Sigmoid", "Softmax", "Tanh", "fold_batchnorm", "fold_batchnorms",
    "get_activation", "grad_norms", "init", "mc_dropout", "utils",
    "constraints", "regularizers", "L1", "L2", "L1L2", "ElasticNet", "MaxNorm", "NonNeg",
    "UnitNorm", "get_constraint", "get_regularizer",
    "Conv2D", "Conv2d", "MaxPooling2D", "MaxPool2d", "MaxPool2D", "AveragePooling2D",
    "AvgPool2d", "AvgPool2D", "SyncBatchNorm",
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "L1Loss", "MSELoss",
    "NLLLoss",
]


def __getattr__(name):
    # SyncBatchNorm communicates, so it lives in minigrad.distributed (which builds on nn);
    # it is offered here too, where PyTorch users look for it.
    if name == "SyncBatchNorm":
        from minigrad.distributed.batchnorm import SyncBatchNorm
        return SyncBatchNorm
    raise AttributeError(f"module 'minigrad.nn' has no attribute {name!r}")
