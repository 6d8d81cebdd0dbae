"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

from typing import ClassVar

from minigrad import backend
from minigrad.optim.optimizer import Optimizer

__all__ = ["SGD", "Momentum", "Nesterov"]


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, PyTorch's formulation.

    With ``g`` the gradient (plus ``weight_decay * p``), ``mu`` the momentum and
    ``d`` the dampening::

        b <- g                          on the first step
        b <- mu * b + (1 - d) * g       afterwards
        p <- p - lr * b                 (momentum)
        p <- p - lr * (g + mu * b)      (nesterov=True)
        p <- p - lr * g                 (momentum=0)

    Defaults: ``lr=0.01`` (Keras' default; PyTorch's is 1e-3), ``momentum=0``,
    ``dampening=0``, ``nesterov=False``, ``weight_decay=0`` (L2 added to the gradient).
    Keras keeps a velocity ``v <- mu * v - lr * g; p <- p + v`` (and
    ``p <- p + mu * v - lr * g`` for Nesterov): the same steps while ``lr`` is
    constant, different ones once a schedule changes ``lr``. The velocity form
    is the one in the reference notes.

    Paper: Polyak, "Some methods of speeding up the convergence of iteration
    methods", 1964; Sutskever, Martens, Dahl, Hinton, "On the importance of
    initialization and momentum in deep learning", ICML 2013 (Nesterov form).
    """

    variant_defaults: ClassVar[dict] = {"pytorch": {"lr": 0.01}}

    def __init__(
        self,
        params=None,
        lr=None,
        momentum=0.0,
        dampening=0.0,
        nesterov=False,
        weight_decay=0.0,
        **options,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults, **options)

    def _validate(self, group):
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"{type(self).__name__}: nesterov=True needs momentum > 0 and dampening = 0, "
                f"got momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update(self, p, g, state, group):
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = backend.copy(g)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g


class Momentum(SGD):
    """SGD with momentum (default ``momentum=0.9``); see :class:`SGD`.

    Paper: Polyak, 1964.
    """

    def __init__(self, params=None, lr=None, momentum=0.9, dampening=0.0, weight_decay=0.0,
                 **options):
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=False,
            weight_decay=weight_decay,
            **options,
        )


class Nesterov(SGD):
    """Nesterov accelerated gradient (NAG): SGD with ``nesterov=True``, ``momentum=0.9``.

    ``b <- mu * b + g;  p <- p - lr * (g + mu * b)``, the "look-ahead" gradient
    rewritten at the current point; see :class:`SGD`.

    Paper: Nesterov, "A method for unconstrained convex minimization problem
    with the rate of convergence O(1/k^2)", 1983; Sutskever et al., ICML 2013.
    """

    def __init__(self, params=None, lr=None, momentum=0.9, weight_decay=0.0, **options):
        super().__init__(
            params, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay, **options
        )
