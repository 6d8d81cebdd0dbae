"""minigrad: a define-by-run reverse-mode automatic differentiation library."""
from minigrad import data, distributed, functions, nn, onnx, optim, training, utils
from minigrad import functions as F
from minigrad.backend import available_devices, manual_seed
from minigrad.config import enable_grad, eval_mode, is_grad_enabled, no_grad, using_config
from minigrad.core import Function, Parameter, Variable, as_variable, grad, to_device
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.serialization import load, save
from minigrad.tensors import (
    arange, cat, concatenate, from_numpy, ones, rand, randn, stack, tensor, zeros,
)

__version__ = "0.1.0"

__all__ = [
    "F",
    "Function",
    "GradcheckError",
    "Parameter",
    "Variable",
    "arange",
    "as_variable",
    "available_devices",
    "cat",
    "concatenate",
    "data",
    "distributed",
    "enable_grad",
    "eval_mode",
    "from_numpy",
    "functions",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "nn",
    "no_grad",
    "ones",
    "onnx",
    "optim",
    "rand",
    "randn",
    "save",
    "stack",
    "tensor",
    "to_device",
    "training",
    "using_config",
    "utils",
    "zeros",
]
