"""Monte-Carlo dropout: average ``T`` stochastic predictions with dropout left on.

Each pass samples a thinned network; the mean over passes is the prediction and the
standard deviation a measure of the model's uncertainty:
``mean = 1/T sum_t f_t(x)``, ``std = sqrt(1/T sum_t (f_t(x) - mean)^2)``.
Paper: Gal, Ghahramani, "Dropout as a Bayesian Approximation: Representing Model
Uncertainty in Deep Learning", ICML 2016.
"""
from __future__ import annotations

from minigrad import backend
from minigrad.core import Variable
from minigrad.nn.dropout import Dropout, mc_dropout
from minigrad.training.inputs import float_dtype, make_loader, split_batch
from minigrad.training.trainer import _inference

__all__ = ["mc_predict"]


def mc_predict(model, x, T=50, batch_size=None, transform=None, return_samples=False):
    """``(mean, std)`` over ``T`` forward passes of ``x`` with every Dropout layer active,
    as host (numpy) arrays shaped like ``predict``'s output.

    Everything else runs as in ``predict``: evaluation mode (batch norm uses its running
    statistics), no graph, batch by batch (``batch_size`` defaults to 32). The dropout
    layers drop units through :func:`minigrad.nn.mc_dropout`, a context flag of this
    thread: no layer's attributes change, so a ``predict`` of the same model in
    another thread stays deterministic. ``transform`` is applied to
    each pass's output before averaging, e.g. ``F.softmax`` for a model that returns
    logits (average probabilities, not logits). ``return_samples=True`` adds the
    ``(T, n, ...)`` array of all passes: ``mean, std, samples``.
    """
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"mc_predict: T must be a positive integer, got {T!r}")
    dropouts = [m for m in model.modules() if isinstance(m, Dropout)]
    if not any(m.rate > 0 for m in dropouts):
        raise ValueError(f"mc_predict: {type(model).__name__} has no Dropout layer with a "
                         f"rate > 0, so all {T} passes would give the same output")
    loader = make_loader("mc_predict", x, None, batch_size, False, model.device)
    device, dtype = model.device, float_dtype(model)
    parts = []
    with _inference(), mc_dropout():
        for data in loader:
            xb, _ = split_batch(data, device, dtype)
            outs = []
            for _ in range(T):
                out = model(xb)
                if transform is not None:
                    out = transform(out)
                outs.append(out.data if isinstance(out, Variable) else out)
            parts.append(backend.namespace(outs[0]).stack(outs, axis=0))
    if not parts:
        raise ValueError("mc_predict: x has no samples")
    xp = backend.namespace(parts[0])
    samples = xp.concat(parts, axis=1)
    mean, std = xp.mean(samples, axis=0), xp.std(samples, axis=0)
    result = tuple(backend.to_numpy(a) for a in (mean, std))
    return (*result, backend.to_numpy(samples)) if return_samples else result
