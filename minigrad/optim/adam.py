"""Adam and its relatives: AdamW, Nadam, AdaMax (PyTorch's formulations, and Keras' with
``variant="keras"``)."""

from __future__ import annotations

import math
from typing import ClassVar

from minigrad import backend
from minigrad.optim.optimizer import Optimizer

__all__ = ["AdaMax", "Adam", "AdamW", "Adamax", "NAdam", "Nadam"]


def _betas(name, betas, beta1, beta2):
    """``betas`` with ``beta1``/``beta2`` overriding its entries."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
    return (betas[0] if beta1 is None else beta1, betas[1] if beta2 is None else beta2)


class _AdamBase(Optimizer):
    def _init_state(self, param, group):
        xp = backend.namespace(param)
        return {"exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}

    def _moments(self, g, state, group):
        """m <- b1 m + (1 - b1) g and v <- b2 v + (1 - b2) g^2, in place (one temporary each)."""
        b1, b2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += g * (1.0 - b1)
        g2 = g * g
        g2 *= 1.0 - b2
        v *= b2
        v += g2
        return m, v


class Adam(_AdamBase):
    """Adam: momentum on the gradient and on its square, both bias-corrected.

    At step ``t`` (from 1)::

        m <- b1 * m + (1 - b1) * g
        v <- b2 * v + (1 - b2) * g^2
        m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t)
        v_hat <- max(v_hat_max, v_hat)                (amsgrad=True: the running maximum of v)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    ``variant="keras"`` (Keras' ``Adam``) adds eps to ``sqrt(v)`` before the
    bias correction (the paper's "epsilon hat")::

        p <- p - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)

    which is the rule above with eps replaced by ``eps / sqrt(1 - b2^t)``, and
    decays weights directly, ``p <- p * (1 - lr * weight_decay)``, as every
    Keras optimizer does.

    ``state["exp_avg"]`` and ``state["exp_avg_sq"]`` hold m and v, as PyTorch's do;
    the update runs in the backend's ``adam_update_`` kernel (on the CPU in
    cache-sized slices).

    Defaults (PyTorch): ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=0`` (L2 added to the gradient; see :class:`AdamW` for the
    decoupled form), ``amsgrad=False``; Keras': the same with ``eps=1e-7``.
    ``beta1``/``beta2`` override ``betas``. The reference notes put eps inside
    the root, ``sqrt(v_hat + eps)``.

    Paper: Kingma, Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
    AMSGrad: Reddi, Kale, Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
    """

    variant_defaults: ClassVar[dict] = {
        "pytorch": {"lr": 1e-3, "eps": 1e-8, "weight_decay": 0.0},
        "keras": {"lr": 1e-3, "eps": 1e-7, "weight_decay": 0.0},
    }

    def __init__(
        self,
        params=None,
        lr=None,
        betas=(0.9, 0.999),
        eps=None,
        weight_decay=None,
        amsgrad=False,
        *,
        beta1=None,
        beta2=None,
        variant="pytorch",
        **options,
    ):
        defaults = {
            "lr": lr,
            "betas": _betas(type(self).__name__, betas, beta1, beta2),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults, variant=variant, **options)

    def _init_state(self, param, group):
        state = super()._init_state(param, group)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = backend.namespace(param).zeros_like(param)
        return state

    def _update(self, p, g, state, group):
        b1, b2 = group["betas"]
        t = state["step"]
        _fold_scales(state)
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t
        eps = _pytorch_eps(group, c2)
        if group["amsgrad"]:  # the running maximum of v
            xp = p.xp
            m, v = self._moments(g, state, group)
            v_max = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
            den, root = xp.sqrt(v_max), math.sqrt(c2)
            den += eps * root
            update = m / den
            update *= group["lr"] * root / c1
            p.data -= update
        else:
            # lr / c1 * m / (sqrt(v / c2) + eps) = (lr r / c1) * m / (sqrt(v) + eps r) with
            # r = sqrt(c2): two Python floats (a numpy float64 scalar would promote the
            # float32 arrays)
            r = math.sqrt(c2)
            backend.backend_of(p.data).adam_update_(
                p.data, state["exp_avg"], state["exp_avg_sq"], g, b1, b2, eps * r,
                group["lr"] * r / c1)


def _pytorch_eps(group, c2):
    """The eps that gives ``group``'s update in PyTorch's formulation.

    Keras' ``lr sqrt(c2) / c1 * m / (sqrt(v) + eps)`` equals PyTorch's
    ``lr / c1 * m / (sqrt(v / c2) + eps / sqrt(c2))``, with ``c2 = 1 - b2^t``.
    """
    eps = group["eps"]
    return eps / math.sqrt(c2) if group["variant"] == "keras" else eps


def _fold_scales(state):
    """A state saved by an earlier minigrad, whose Adam kept its moments scaled
    (``exp_avg`` held ``m / exp_avg_scale``, likewise ``exp_avg_sq``), gets the
    scales folded in at its first step, so that it holds m and v again."""
    if "exp_avg_scale" in state:
        state["exp_avg"] *= state.pop("exp_avg_scale")
        state["exp_avg_sq"] *= state.pop("exp_avg_sq_scale")


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p <- p * (1 - lr * weight_decay)``, then Adam.

    The decay acts on the weights directly instead of through the gradient, so
    Adam's per-coordinate scaling does not weaken it. Arguments as :class:`Adam`;
    ``weight_decay`` defaults to 1e-2 (PyTorch), or to 0.004 with
    ``variant="keras"`` (Keras' ``AdamW``: its Adam's eps, see :class:`Adam`).

    Paper: Loshchilov, Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """

    decoupled_weight_decay = True
    variant_defaults: ClassVar[dict] = {
        "pytorch": {"lr": 1e-3, "eps": 1e-8, "weight_decay": 1e-2},
        "keras": {"lr": 1e-3, "eps": 1e-7, "weight_decay": 0.004},
    }


class Nadam(_AdamBase):
    """Nadam: Adam with Nesterov momentum and a warming-up momentum schedule.

    PyTorch's ``NAdam``. With ``psi = momentum_decay`` and step ``t`` (from 1)::

        mu_t = b1 * (1 - 0.5 * 0.96^(t * psi))        (mu_{t+1} likewise)
        m <- b1 * m + (1 - b1) * g;   v <- b2 * v + (1 - b2) * g^2
        den = sqrt(v / (1 - b2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / den
               - lr * mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m / den

    Defaults (PyTorch): ``lr=2e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=0`` (L2), ``momentum_decay=4e-3``. The schedule and
    ``psi = 0.004`` (written ``0.96^(t/250)``) are Dozat's.

    ``variant="keras"`` (Keras 3's ``Nadam``): the same rule with Keras'
    schedule ``mu_t = b1 * (1 - 0.5 * 0.96^t)``, that is ``momentum_decay=1``
    (mu nears b1 within ~100 steps instead of ~10,000), ``lr=1e-3``,
    ``eps=1e-7``, and weights decayed directly, ``p <- p * (1 - lr * weight_decay)``.

    Paper: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR workshop 2016.
    """

    variant_defaults: ClassVar[dict] = {
        "pytorch": {"lr": 2e-3, "eps": 1e-8, "momentum_decay": 4e-3},
        "keras": {"lr": 1e-3, "eps": 1e-7, "momentum_decay": 1.0},
    }

    def __init__(
        self,
        params=None,
        lr=None,
        betas=(0.9, 0.999),
        eps=None,
        weight_decay=0.0,
        momentum_decay=None,
        *,
        beta1=None,
        beta2=None,
        variant="pytorch",
        **options,
    ):
        defaults = {
            "lr": lr,
            "betas": _betas(type(self).__name__, betas, beta1, beta2),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
        }
        super().__init__(params, defaults, variant=variant, **options)

    def _init_state(self, param, group):
        return {**super()._init_state(param, group), "mu_product": 1.0}

    def _update(self, p, g, state, group):
        xp, t = p.xp, state["step"]
        b1, b2 = group["betas"]
        psi = group["momentum_decay"]
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        m, v = self._moments(g, state, group)
        den = xp.sqrt(v / (1 - b2**t)) + group["eps"]
        lr = group["lr"]
        p.data -= lr * (1 - mu) / (1 - mu_product) * (g / den)
        p.data -= lr * mu_next / (1 - mu_product * mu_next) * (m / den)


class AdaMax(_AdamBase):
    """AdaMax: Adam with the infinity norm in place of the root mean square.

    ::

        m <- b1 * m + (1 - b1) * g
        u <- max(b2 * u, |g| + eps)
        p <- p - lr / (1 - b1^t) * m / u

    Defaults (PyTorch): ``lr=2e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=0``.

    ``variant="keras"`` (Keras' ``Adamax``) adds eps after the maximum, with
    ``lr=1e-3``, ``eps=1e-7`` and weights decayed directly
    (``p <- p * (1 - lr * weight_decay)``)::

        u <- max(b2 * u, |g|)
        p <- p - lr / (1 - b1^t) * m / (u + eps)

    Paper: Kingma, Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, section 7.
    """

    variant_defaults: ClassVar[dict] = {
        "pytorch": {"lr": 2e-3, "eps": 1e-8},
        "keras": {"lr": 1e-3, "eps": 1e-7},
    }

    def __init__(
        self,
        params=None,
        lr=None,
        betas=(0.9, 0.999),
        eps=None,
        weight_decay=0.0,
        *,
        beta1=None,
        beta2=None,
        variant="pytorch",
        **options,
    ):
        defaults = {
            "lr": lr,
            "betas": _betas(type(self).__name__, betas, beta1, beta2),
            "eps": eps,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults, variant=variant, **options)

    def _init_state(self, param, group):
        xp = backend.namespace(param)
        return {"exp_avg": xp.zeros_like(param), "exp_inf": xp.zeros_like(param)}

    def _update(self, p, g, state, group):
        xp, t = p.xp, state["step"]
        b1, b2 = group["betas"]
        m, u = state["exp_avg"], state["exp_inf"]
        m *= b1
        m += (1 - b1) * g
        if group["variant"] == "keras":
            u = state["exp_inf"] = xp.maximum(b2 * u, xp.abs(g))
            p.data -= group["lr"] / (1 - b1**t) * (m / (u + group["eps"]))
        else:
            u = state["exp_inf"] = xp.maximum(b2 * u, xp.abs(g) + group["eps"])
            p.data -= group["lr"] / (1 - b1**t) * (m / u)


NAdam = Nadam
Adamax = AdaMax
