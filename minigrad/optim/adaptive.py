"""Per-coordinate adaptive step sizes: AdaGrad, RMSProp, Adadelta (PyTorch's formulations,
and Keras' with ``variant="keras"``)."""

from __future__ import annotations

from typing import ClassVar

from minigrad import backend
from minigrad.optim.optimizer import Optimizer

__all__ = ["AdaGrad", "Adadelta", "Adagrad", "RMSProp", "RMSprop"]


class AdaGrad(Optimizer):
    """AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    At step ``t`` (from 1)::

        s  <- s + g^2                              (s starts at initial_accumulator_value)
        p  <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Defaults (PyTorch): ``lr=0.01``, ``lr_decay=0``, ``weight_decay=0``,
    ``initial_accumulator_value=0``, ``eps=1e-10``.

    ``variant="keras"`` (Keras' ``Adagrad``) puts eps inside the root, with
    ``lr=1e-3``, ``initial_accumulator_value=0.1``, ``eps=1e-7`` and weights
    decayed directly (``p <- p * (1 - lr * weight_decay)``)::

        p  <- p - lr / (1 + (t - 1) * lr_decay) * g / sqrt(s + eps)

    Paper: Duchi, Hazan, Singer, "Adaptive Subgradient Methods for Online
    Learning and Stochastic Optimization", JMLR 2011.
    """

    variant_defaults: ClassVar[dict] = {
        "pytorch": {"lr": 0.01, "initial_accumulator_value": 0.0, "eps": 1e-10},
        "keras": {"lr": 1e-3, "initial_accumulator_value": 0.1, "eps": 1e-7},
    }

    def __init__(
        self,
        params=None,
        lr=None,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=None,
        eps=None,
        *,
        variant="pytorch",
        **options,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults, variant=variant, **options)

    def _init_state(self, param, group):
        xp = backend.namespace(param)
        return {"sum": xp.zeros_like(param) + group["initial_accumulator_value"]}

    def _update(self, p, g, state, group):
        s = state["sum"]
        s += g * g
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        if group["variant"] == "keras":
            p.data -= lr * (g / p.xp.sqrt(s + group["eps"]))
        else:
            p.data -= lr * (g / (p.xp.sqrt(s) + group["eps"]))


class RMSProp(Optimizer):
    """RMSProp: divide the step by a running root-mean-square of the gradients.

    With decay ``rho`` (PyTorch calls it ``alpha``)::

        v   <- rho * v + (1 - rho) * g^2
        a   <- rho * a + (1 - rho) * g               (centered only)
        den <- sqrt(v - a^2) + eps   if centered  else  sqrt(v) + eps
        b   <- momentum * b + g / den;  p <- p - lr * b      (momentum > 0)
        p   <- p - lr * g / den                                (momentum = 0)

    Defaults (PyTorch): ``lr=0.01``, ``rho=0.99``, ``eps=1e-8``, ``weight_decay=0``,
    ``momentum=0``, ``centered=False``.

    ``variant="keras"`` (Keras' ``RMSprop``) puts eps inside the root and lr
    inside the momentum buffer, with ``lr=1e-3``, ``rho=0.9``, ``eps=1e-7`` and
    weights decayed directly (``p <- p * (1 - lr * weight_decay)``)::

        den <- sqrt(v - a^2 + eps)   if centered  else  sqrt(v + eps)
        b   <- momentum * b + lr * g / den;  p <- p - b      (momentum > 0)
        p   <- p - lr * g / den                                (momentum = 0)

    The reference notes also put eps inside the root.

    Paper: Hinton, Srivastava, Swersky, "Neural Networks for Machine Learning",
    lecture 6e, 2012; centered form: Graves, "Generating Sequences With
    Recurrent Neural Networks", 2013.
    """

    variant_defaults: ClassVar[dict] = {
        "pytorch": {"lr": 0.01, "rho": 0.99, "eps": 1e-8},
        "keras": {"lr": 1e-3, "rho": 0.9, "eps": 1e-7},
    }

    def __init__(
        self,
        params=None,
        lr=None,
        rho=None,
        eps=None,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        *,
        alpha=None,
        variant="pytorch",
        **options,
    ):
        if alpha is not None:
            if rho is not None and rho != alpha:
                raise ValueError(
                    f"RMSProp: alpha is another name for rho; got rho={rho}, alpha={alpha}"
                )
            rho = alpha
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults, variant=variant, **options)

    def _init_state(self, param, group):
        xp = backend.namespace(param)
        state = {"square_avg": xp.zeros_like(param)}
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param)
        return state

    def _update(self, p, g, state, group):
        xp, rho, eps = p.xp, group["rho"], group["eps"]
        keras = group["variant"] == "keras"
        v = state["square_avg"]
        v *= rho
        v += (1 - rho) * (g * g)
        if group["centered"]:
            a = state["grad_avg"]
            a *= rho
            a += (1 - rho) * g
            v = v - a * a
        den = xp.sqrt(v + eps) if keras else xp.sqrt(v) + eps
        if group["momentum"] > 0:
            b = state.get("momentum_buffer")
            if b is None:  # created on first use: a schedule may switch momentum on later
                b = state["momentum_buffer"] = xp.zeros_like(p.data)
            b *= group["momentum"]
            if keras:  # Keras' buffer holds lr * g / den: a change of lr acts gradually
                b += group["lr"] * (g / den)
                p.data -= b
            else:
                b += g / den
                p.data -= group["lr"] * b
        else:
            p.data -= group["lr"] * (g / den)


class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running RMS of updates and of gradients.

    ::

        v  <- rho * v + (1 - rho) * g^2
        dx <- sqrt(u + eps) / sqrt(v + eps) * g
        u  <- rho * u + (1 - rho) * dx^2
        p  <- p - lr * dx

    Defaults (PyTorch): ``lr=1.0``, ``rho=0.9``, ``eps=1e-6``, ``weight_decay=0``.
    ``variant="keras"`` (Keras' ``Adadelta``): the same rule with ``lr=1e-3``,
    ``rho=0.95``, ``eps=1e-7`` and weights decayed directly
    (``p <- p * (1 - lr * weight_decay)``).

    Paper: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    """

    variant_defaults: ClassVar[dict] = {
        "pytorch": {"lr": 1.0, "rho": 0.9, "eps": 1e-6},
        "keras": {"lr": 1e-3, "rho": 0.95, "eps": 1e-7},
    }

    def __init__(self, params=None, lr=None, rho=None, eps=None, weight_decay=0.0, *,
                 variant="pytorch", **options):
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, variant=variant, **options)

    def _init_state(self, param, group):
        xp = backend.namespace(param)
        return {"square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}

    def _update(self, p, g, state, group):
        xp, rho, eps = p.xp, group["rho"], group["eps"]
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * (g * g)
        dx = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * (dx * dx)
        p.data -= group["lr"] * dx


Adagrad = AdaGrad
RMSprop = RMSProp
