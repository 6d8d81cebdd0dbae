"""docs/names.md's "Coming from PyTorch" and "Coming from Keras" tables against the code.

For every row: each name in the minigrad column exists and takes the keywords
written after it (``kw=``), and the check in the last column holds. A renamed
function, a dropped keyword or a changed meaning fails here, so the table
cannot drift from the code.
"""
import ast
import inspect
import pathlib
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import F, Variable, data, nn, optim, training

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "names.md"
SECTIONS = ("## Coming from PyTorch", "## Coming from Keras")
CODE = re.compile(r"`([^`]+)`")


def _rows():
    """(section, line number, minigrad cell, check cell) of every table row."""
    rows, section = [], None
    for number, line in enumerate(DOC.read_text().splitlines(), 1):
        if line.startswith("## "):
            section = line if line in SECTIONS else None
        elif section and line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if cells[1] == "minigrad":
                continue  # the header
            assert len(cells) == 3, f"docs/names.md:{number}: expected 3 cells, got {cells}"
            rows.append(pytest.param(cells[1], cells[2], id=f"names.md:{number}"))
    return rows


ROWS = _rows()


def _namespace(tmp_path):
    def saved(obj):
        path = tmp_path / f"saved{len(list(tmp_path.iterdir()))}.npz"
        mg.save(obj, path)
        return path

    return {"mg": mg, "F": F, "nn": nn, "data": data, "optim": optim, "training": training,
            "np": np, "Variable": Variable, "x": mg.arange(6.0).view(2, 3),
            "model": nn.Sequential(nn.Input((3,)), nn.Dense(2)), "saved": saved,
            "a": np.zeros(3, np.float32)}


def test_both_tables_are_there():
    assert len(ROWS) > 50


def _accepts(target, keyword):
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return False
    return keyword in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@pytest.mark.parametrize("names, check", ROWS)
def test_each_name_exists_and_takes_its_keywords(names, check, tmp_path):
    spans = CODE.findall(names)
    assert spans, f"no name in {names!r}"
    scope = _namespace(tmp_path)
    for span in spans:
        # `f(a, kw=)` lists the keyword kw: parse it as kw=None
        tree = ast.parse(re.sub(r"=([,)])", r"=None\1", span), mode="eval").body
        call = tree if isinstance(tree, ast.Call) else None
        target = eval(compile(ast.Expression(call.func if call else tree), span, "eval"), scope)
        for keyword in call.keywords if call else ():
            assert _accepts(target, keyword.arg), f"{span}: {keyword.arg}= is not accepted"


@pytest.mark.parametrize("names, check", ROWS)
def test_each_check_holds(names, check, tmp_path):
    spans = CODE.findall(check)
    assert len(spans) == 1, f"the check cell must hold one expression, got {check!r}"
    assert eval(spans[0], _namespace(tmp_path)), spans[0]
