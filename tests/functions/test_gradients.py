"""Runs every GradCase registered in the test suite, on every backend.

* first derivatives against central differences in float64;
* second derivatives for smooth functions;
* float32 in, float32 out, float32 gradients;
* coverage: every Function subclass in minigrad appears in some case's graph.
"""
from __future__ import annotations

import importlib
import inspect
import pathlib
import pkgutil

import numpy as np
import pytest

import minigrad
from minigrad import Function, Variable
from tests.gradcase import GradCase

TESTS = pathlib.Path(__file__).resolve().parents[1]


def _collect_cases():
    cases = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if "CASES" not in path.read_text():
            continue  # e.g. modules that skip themselves when torch is missing
        module = ".".join(("tests",) + path.relative_to(TESTS).with_suffix("").parts)
        found = getattr(importlib.import_module(module), "CASES", [])
        if isinstance(found, (list, tuple)):
            cases += [c for c in found if isinstance(c, GradCase)]
    return cases


CASES = _collect_cases()
SMOOTH = [c for c in CASES if c.smooth]
F32 = [c for c in CASES if c.float32]


def _on(device, arrays, dtype=None):
    out = []
    for a in arrays:
        a = np.asarray(a)
        if dtype is not None and a.dtype.kind == "f":
            a = a.astype(dtype)
        out.append(minigrad.to_device(a, device))
    return out


def test_case_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) > 100, "the gradient case table was not collected"
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def _checked(case, device):
    """``case.fn`` of its floating inputs, with the others (labels, indices, masks)
    held constant, and those floating inputs: gradcheck checks every input it gets."""
    hosts = [np.asarray(a) for a in case.inputs()]
    floating = [a.dtype.kind == "f" for a in hosts]
    arrays = [a if f else Variable(a) for a, f in zip(_on(device, hosts), floating)]

    def fn(*xs):
        xs = iter(xs)
        return case.fn(*[next(xs) if f else a for a, f in zip(arrays, floating)])
    return fn, [a for a, f in zip(arrays, floating) if f]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradient(case: GradCase, device):
    fn, xs = _checked(case, device)
    minigrad.gradcheck(fn, *xs, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", SMOOTH, ids=lambda c: c.name)
def test_second_order_gradient(case: GradCase, device):
    fn, xs = _checked(case, device)
    minigrad.gradgradcheck(fn, *xs, atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case", F32, ids=lambda c: c.name)
def test_float32_stays_float32(case: GradCase, device):
    xs = [Variable(a) for a in _on(device, case.inputs(), np.float32)]
    ys = case.fn(*xs)
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    for y in ys:
        assert str(y.dtype).endswith("float32"), f"{case.name}: output dtype {y.dtype}"
    wanted = [x for x in xs if x.requires_grad]
    for g in minigrad.grad([y for y in ys if y.requires_grad], wanted):
        assert str(g.dtype).endswith("float32"), f"{case.name}: gradient dtype {g.dtype}"


def _all_function_classes():
    for info in pkgutil.walk_packages(minigrad.__path__, "minigrad."):
        if ".backend." in info.name + ".":
            continue
        importlib.import_module(info.name)
    found, todo = set(), [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if not sub.__name__.startswith("_") and sub.__module__.startswith("minigrad."):
                found.add(sub)
    return found


def _functions_in_graph(variables, seen):
    stack = [v.creator for v in variables if v is not None and v.creator is not None]
    while stack:
        f = stack.pop()
        if f in seen:
            continue
        seen.add(f)
        stack += [x.creator for x in f.inputs if x.creator is not None]


def test_every_function_has_a_gradient_case():
    covered = set()
    for case in CASES:
        xs = [Variable(a) for a in case.inputs()]
        ys = case.fn(*xs)
        ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
        funcs = set()
        _functions_in_graph(ys, funcs)
        wanted = [x for x in xs if x.requires_grad]
        grads = minigrad.grad([y for y in ys if y.requires_grad], wanted, create_graph=True)
        if case.smooth:  # functions used only in backward are checked by gradgradcheck
            _functions_in_graph(grads, funcs)
        covered |= {type(f) for f in funcs}
    missing = sorted(
        f"{c.__module__}.{c.__name__}" for c in _all_function_classes() - covered
        if not inspect.isabstract(c)
    )
    assert not missing, f"Functions without a gradient-check case: {missing}"
