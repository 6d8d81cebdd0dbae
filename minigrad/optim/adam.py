"""Adam and its relatives: AdamW, Nadam, AdaMax (PyTorch's formulations)."""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.optim.optimizer import Optimizer

__all__ = ["AdaMax", "Adam", "AdamW", "Adamax", "NAdam", "Nadam"]


def _betas(name, betas, beta1, beta2):
    """``betas`` with Keras' ``beta_1``/``beta_2`` names overriding its entries."""
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

    ``state["exp_avg"]`` and ``state["exp_avg_sq"]`` hold m and v, as PyTorch's do;
    the update runs in the backend's ``adam_update_`` kernel (on the CPU in
    cache-sized slices).

    Defaults (PyTorch): ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=0`` (L2 added to the gradient; see :class:`AdamW` for the
    decoupled form), ``amsgrad=False``. ``beta1``/``beta2`` override ``betas``.
    Keras uses ``eps=1e-7`` added to ``sqrt(v)`` before the ``sqrt(1 - b2^t)``
    correction (the paper's "epsilon hat"); the reference notes put eps inside
    the root, ``sqrt(v_hat + eps)``.

    Paper: Kingma, Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
    AMSGrad: Reddi, Kale, Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
    """

    def __init__(
        self,
        params=None,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        *,
        beta1=None,
        beta2=None,
        **clipping,
    ):
        defaults = {
            "lr": lr,
            "betas": _betas(type(self).__name__, betas, beta1, beta2),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults, **clipping)

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
        eps = group["eps"]
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
    Adam's per-coordinate scaling does not weaken it. Defaults as :class:`Adam`
    but ``weight_decay=1e-2`` (PyTorch). Keras' ``AdamW`` decays the same way
    with ``weight_decay=0.004`` and its Adam eps placement (see :class:`Adam`).

    Paper: Loshchilov, Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params=None,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        beta1=None,
        beta2=None,
        **clipping,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            beta1=beta1,
            beta2=beta2,
            **clipping,
        )


class Nadam(_AdamBase):
    """Nadam: Adam with Nesterov momentum and a warming-up momentum schedule.

    PyTorch's ``NAdam``. With ``psi = momentum_decay`` and step ``t`` (from 1)::

        mu_t = b1 * (1 - 0.5 * 0.96^(t * psi))        (mu_{t+1} likewise)
        m <- b1 * m + (1 - b1) * g;   v <- b2 * v + (1 - b2) * g^2
        den = sqrt(v / (1 - b2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / den
               - lr * mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m / den

    Defaults (PyTorch): ``lr=2e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=0`` (L2), ``momentum_decay=4e-3``. Keras hard-wires the
    same schedule (``0.96^(0.004 t)``) with ``lr=0.001``, ``eps=1e-7`` added to
    the root of the bias-corrected ``v``, as here. The schedule and
    ``psi = 0.004`` (written ``0.96^(t/250)``) are Dozat's.

    Paper: Dozat, "Incorporating Nesterov Momentum into Adam", ICLR workshop 2016.
    """

    def __init__(
        self,
        params=None,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        *,
        beta1=None,
        beta2=None,
        **clipping,
    ):
        defaults = {
            "lr": lr,
            "betas": _betas(type(self).__name__, betas, beta1, beta2),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
        }
        super().__init__(params, defaults, **clipping)

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
    ``weight_decay=0``. Keras: ``lr=0.001``, ``u <- max(b2 * u, |g|)`` and
    ``m / (u + eps)`` with ``eps=1e-7``.

    Paper: Kingma, Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, section 7.
    """

    def __init__(
        self,
        params=None,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        *,
        beta1=None,
        beta2=None,
        **clipping,
    ):
        defaults = {
            "lr": lr,
            "betas": _betas(type(self).__name__, betas, beta1, beta2),
            "eps": eps,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults, **clipping)

    def _init_state(self, param, group):
        xp = backend.namespace(param)
        return {"exp_avg": xp.zeros_like(param), "exp_inf": xp.zeros_like(param)}

    def _update(self, p, g, state, group):
        xp, t = p.xp, state["step"]
        b1, b2 = group["betas"]
        m, u = state["exp_avg"], state["exp_inf"]
        m *= b1
        m += (1 - b1) * g
        u = state["exp_inf"] = xp.maximum(b2 * u, xp.abs(g) + group["eps"])
        p.data -= group["lr"] / (1 - b1**t) * (m / u)


NAdam = Nadam
Adamax = AdaMax
