"""Numerical gradient checks: compare backward() with central differences in float64.

``gradcheck(fn, *inputs)`` weights the outputs of ``fn`` by fixed random
cotangents ``g`` and compares the analytic gradient of ``L = sum(g * fn(x))``
with ``(L(x + eps e_j) - L(x - eps e_j)) / (2 eps)`` for every element ``j`` of
every input (or along one random direction for inputs larger than
``max_elements``). Every input is checked, so every input must be floating:
constants such as class labels belong inside ``fn``. ``gradgradcheck``
applies the same test to the first derivative, built with ``create_graph=True``.
"""

from __future__ import annotations

import math

from minigrad import backend
from minigrad.core import Variable, grad


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree."""


def _host(obj):
    data = obj.data if isinstance(obj, Variable) else backend.as_array(obj)
    return backend.to_numpy(data), backend.device_of(data)


def _outputs(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


class _Problem:
    """fn, its inputs held on the host in float64, and fixed random cotangents."""

    def __init__(self, fn, inputs, seed, op):
        self.fn = fn
        if not inputs:
            raise ValueError(f"{op}: no inputs to check; pass the floating inputs of fn")
        hosts = [_host(x) for x in inputs]
        self.device = hosts[0][1]
        self.hosts = []
        for i, (h, _) in enumerate(hosts):
            hxp = backend.namespace(h)
            if not hxp.isdtype(h.dtype, "real floating"):
                raise TypeError(
                    f"{op}: input {i} has dtype {h.dtype} (shape {tuple(h.shape)}) and no "
                    f"gradient to check; every input is checked, so pass it as floats, or "
                    f"hold it constant inside fn, e.g. {op}(lambda x: fn(x, labels), x)"
                )
            self.hosts.append(hxp.astype(h, hxp.float64))
        self.rng = backend.host_generator(seed)
        self.cotangents = None

    def variables(self, hosts):
        return [Variable(backend.to_device(h, self.device), requires_grad=True) for h in hosts]

    def outputs(self, xs):
        ys = _outputs(self.fn(*xs))
        if self.cotangents is None:
            self.cotangents = [
                backend.to_device(self.rng.normal(tuple(y.shape), dtype=_host_f64(y)), self.device)
                for y in ys
            ]
        return ys

    def loss(self, hosts) -> float:
        ys = self.outputs(self.variables(hosts))
        total = 0.0
        for y, g in zip(ys, self.cotangents):
            data = y.data if isinstance(y, Variable) else y
            if not backend.is_floating(data.dtype, backend.namespace(data)):
                continue
            xp = backend.namespace(data)
            total += float(backend.to_numpy(xp.sum(xp.astype(data, g.dtype) * g)))
        return total


def _host_f64(y):
    return backend.namespace(backend.to_numpy(y.data)).float64


def gradcheck(
    fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, max_elements=512, seed=0, raise_exception=True
):
    """Check ``fn``'s gradients at ``inputs`` against central differences in float64.

    ``inputs`` are floating Variables, arrays or numbers on any device; each is
    copied to float64 and checked. An integer or boolean input (class labels, a
    mask) has no gradient and raises TypeError: hold it constant inside ``fn``
    (``gradcheck(lambda x: fn(x, labels), x)``) rather than pass it. Returns
    True, or raises :class:`GradcheckError` naming the input, the worst element,
    and its absolute and relative error (returns False if ``raise_exception``
    is off). An element passes when ``|analytic - numeric| <= atol + rtol |numeric|``.
    """
    return _check("gradcheck", fn, inputs, eps, atol, rtol, max_elements, seed, raise_exception)


def _check(op, fn, inputs, eps, atol, rtol, max_elements, seed, raise_exception):
    problem = _Problem(fn, inputs, seed, op)
    xs = problem.variables(problem.hosts)
    ys = problem.outputs(xs)
    analytic = grad(
        [y for y in ys if isinstance(y, Variable)],
        xs,
        grad_outputs=[
            Variable._wrap(g) for y, g in zip(ys, problem.cotangents) if isinstance(y, Variable)
        ],
    )
    for i, (host, g) in enumerate(zip(problem.hosts, analytic)):
        a = backend.to_numpy(g.data)
        failure = (
            _check_elements(problem, i, a, eps, atol, rtol)
            if host.size <= max_elements
            else _check_direction(problem, i, a, eps, atol, rtol)
        )
        if failure:
            if raise_exception:
                raise GradcheckError(failure)
            return False
    return True


def _perturbed_loss(problem, i, flat_index, delta):
    hosts = list(problem.hosts)
    h = hosts[i].copy()
    h.reshape(-1)[flat_index] += delta
    hosts[i] = h
    return problem.loss(hosts)


def _check_elements(problem, i, analytic, eps, atol, rtol):
    host = problem.hosts[i]
    worst = None
    for j in range(host.size):
        numeric = (_perturbed_loss(problem, i, j, eps) - _perturbed_loss(problem, i, j, -eps)) / (
            2 * eps
        )
        a = float(analytic.reshape(-1)[j])
        excess = abs(a - numeric) - (atol + rtol * abs(numeric))
        if not math.isfinite(a) or (excess > 0 and (worst is None or excess > worst[0])):
            worst = (excess, j, a, numeric)
    if worst is None:
        return None
    _, j, a, numeric = worst
    index = tuple(int(k) for k in _unravel(j, host.shape))
    abs_err = abs(a - numeric)
    rel_err = abs_err / max(abs(numeric), 1e-300)
    return (
        f"gradcheck failed for input {i} (shape {tuple(host.shape)}): worst element {index}: "
        f"analytic {a:.6g}, numerical {numeric:.6g}, absolute error {abs_err:.3g}, "
        f"relative error {rel_err:.3g} (atol {atol}, rtol {rtol})"
    )


def _check_direction(problem, i, analytic, eps, atol, rtol):
    host = problem.hosts[i]
    direction = problem.rng.normal(tuple(host.shape), dtype=host.dtype)
    hosts_plus, hosts_minus = list(problem.hosts), list(problem.hosts)
    hosts_plus[i] = host + eps * direction
    hosts_minus[i] = host - eps * direction
    numeric = (problem.loss(hosts_plus) - problem.loss(hosts_minus)) / (2 * eps)
    a = float((analytic * direction).sum())
    abs_err = abs(a - numeric)
    if math.isfinite(a) and abs_err <= atol + rtol * abs(numeric):
        return None
    return (
        f"gradcheck failed for input {i} (shape {tuple(host.shape)}) along a random direction: "
        f"analytic {a:.6g}, numerical {numeric:.6g}, absolute error {abs_err:.3g}, "
        f"relative error {abs_err / max(abs(numeric), 1e-300):.3g} (atol {atol}, rtol {rtol})"
    )


def _unravel(j, shape):
    index = []
    for size in reversed(shape):
        index.append(j % size)
        j //= size
    return reversed(index)


def gradgradcheck(
    fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, max_elements=512, seed=0, raise_exception=True
):
    """Check second derivatives: ``gradcheck`` of ``x -> d(sum(g * fn(x)))/dx``,
    the first derivative built with ``create_graph=True``. Inputs as for
    :func:`gradcheck`: all floating, all checked."""
    cotangents = {}

    def first_derivative(*xs):
        ys = _outputs(fn(*xs))
        if "g" not in cotangents:
            rng = backend.host_generator(seed + 1)
            cotangents["g"] = [
                backend.to_device(rng.normal(tuple(y.shape), dtype=_host_f64(y)), y.device)
                for y in ys
            ]
        return grad(
            ys, xs, grad_outputs=[Variable._wrap(g) for g in cotangents["g"]], create_graph=True
        )

    return _check("gradgradcheck", first_derivative, inputs, eps, atol, rtol, max_elements, seed,
                  raise_exception)
