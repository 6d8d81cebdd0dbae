"""Only minigrad/backend/ may import numpy or cupy: everything else computes
through the array namespace of its data, so the same code runs on any device.

Rule: no `import numpy`, `from numpy ...`, `import cupy`, `from cupy ...`,
`import cupyx` anywhere in minigrad/ outside minigrad/backend/ (type hints
and dtype constants included: use the namespace of the data instead).
"""
import ast
import pathlib

import minigrad

PACKAGE = pathlib.Path(minigrad.__file__).parent
FORBIDDEN = {"numpy", "cupy", "cupyx"}


def _imported_roots(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def test_only_the_backend_imports_numpy_or_cupy():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "backend":
            continue
        for root, line in _imported_roots(ast.parse(path.read_text())):
            if root in FORBIDDEN:
                offenders.append(f"minigrad/{rel}:{line} imports {root}")
    assert not offenders, "\n".join(offenders)


def test_the_scan_detects_an_import(tmp_path):
    tree = ast.parse("import numpy as np\nfrom cupy import ndarray\n")
    assert [r for r, _ in _imported_roots(tree)] == ["numpy", "cupy"]
