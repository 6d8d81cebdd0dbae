"""Per-coordinate adaptive step sizes: AdaGrad, RMSProp, Adadelta (PyTorch's formulations)."""

from __future__ import annotations

from minigrad import backend
from minigrad.optim.optimizer import Optimizer

__all__ = ["AdaGrad", "Adadelta", "Adagrad", "RMSProp", "RMSprop"]


class AdaGrad(Optimizer):
    """AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    At step ``t`` (from 1)::

        s  <- s + g^2                              (s starts at initial_accumulator_value)
        p  <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Defaults (PyTorch): ``lr=0.01``, ``lr_decay=0``, ``weight_decay=0``,
    ``initial_accumulator_value=0``, ``eps=1e-10``. Keras differs: ``lr=0.001``,
    the accumulator starts at 0.1 and eps (1e-7) sits inside the root,
    ``g / sqrt(s + eps)``.

    Paper: Duchi, Hazan, Singer, "Adaptive Subgradient Methods for Online
    Learning and Stochastic Optimization", JMLR 2011.
    """

    def __init__(
        self,
        params=None,
        lr=0.01,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        **clipping,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults, **clipping)

    def _init_state(self, param, group):
        xp = backend.namespace(param)
        return {"sum": xp.zeros_like(param) + group["initial_accumulator_value"]}

    def _update(self, p, g, state, group):
        s = state["sum"]
        s += g * g
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
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
    ``momentum=0``, ``centered=False``. Keras differs: ``lr=0.001``, ``rho=0.9``,
    eps (1e-7) inside the root, ``g / sqrt(v + eps)``, and its momentum buffer
    accumulates ``lr * g / den``. The reference notes also put eps inside the root.

    Paper: Hinton, Srivastava, Swersky, "Neural Networks for Machine Learning",
    lecture 6e, 2012; centered form: Graves, "Generating Sequences With
    Recurrent Neural Networks", 2013.
    """

    def __init__(
        self,
        params=None,
        lr=0.01,
        rho=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        *,
        alpha=None,
        **clipping,
    ):
        if alpha is not None:
            if rho != 0.99 and rho != alpha:
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
        super().__init__(params, defaults, **clipping)

    def _init_state(self, param, group):
        xp = backend.namespace(param)
        state = {"square_avg": xp.zeros_like(param)}
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param)
        return state

    def _update(self, p, g, state, group):
        xp, rho = p.xp, group["rho"]
        v = state["square_avg"]
        v *= rho
        v += (1 - rho) * (g * g)
        if group["centered"]:
            a = state["grad_avg"]
            a *= rho
            a += (1 - rho) * g
            den = xp.sqrt(v - a * a) + group["eps"]
        else:
            den = xp.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            b = state.get("momentum_buffer")
            if b is None:  # created on first use: a schedule may switch momentum on later
                b = state["momentum_buffer"] = xp.zeros_like(p.data)
            b *= group["momentum"]
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
    Keras uses the same rule with ``lr=0.001``, ``rho=0.95``, ``eps=1e-7``.

    Paper: Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012.
    """

    def __init__(self, params=None, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, **clipping):
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, **clipping)

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
