"""Every differentiable function of minigrad (``import minigrad.functions as F``).

Each primitive is a :class:`~minigrad.core.Function` subclass with a lowercase
wrapper; composites (mean, stack, expand_dims, ...) are plain functions of
primitives. Each module lists its public names in ``__all__``.
"""
from minigrad.functions.arithmetic import *  # noqa: F401,F403
from minigrad.functions.math import *  # noqa: F401,F403
from minigrad.functions.cast import *  # noqa: F401,F403
from minigrad.functions.array import *  # noqa: F401,F403
from minigrad.functions.reduction import *  # noqa: F401,F403
from minigrad.functions.linalg import *  # noqa: F401,F403
from minigrad.functions.activation import *  # noqa: F401,F403
from minigrad.functions.loss import *  # noqa: F401,F403
from minigrad.functions.dropout import *  # noqa: F401,F403
from minigrad.functions.normalization import *  # noqa: F401,F403
from minigrad.functions.conv import *  # noqa: F401,F403
from minigrad.functions.pooling import *  # noqa: F401,F403
