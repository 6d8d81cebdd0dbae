"""Only minigrad/backend/ may import numpy or cupy: everything else computes
through the array namespace of its data, so the same code runs on any device.

Rule: no `import numpy`, `from numpy ...`, `import cupy`, `from cupy ...`,
`import cupyx` anywhere in minigrad/ outside minigrad/backend/ (type hints
and dtype constants included: use the namespace of the data instead).
One exception: minigrad/io/ may import numpy, whose formats (.npz) and byte
handling it uses for host files; it computes nothing and never imports cupy.
"""
import ast
import pathlib

import minigrad

PACKAGE = pathlib.Path(minigrad.__file__).parent
FORBIDDEN = {"numpy", "cupy", "cupyx"}
ALLOWED = {"backend": FORBIDDEN, "io": {"numpy"}}  # top-level package -> imports it may make


def _imported_roots(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def _offenders(rel, source):
    allowed = ALLOWED.get(rel.parts[0], set()) if len(rel.parts) > 1 else set()
    return [f"minigrad/{rel.as_posix()}:{line} imports {root}"
            for root, line in _imported_roots(ast.parse(source))
            if root in FORBIDDEN - allowed]


def test_only_the_backend_imports_numpy_or_cupy():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        offenders += _offenders(path.relative_to(PACKAGE), path.read_text())
    assert not offenders, "\n".join(offenders)


def test_io_may_import_numpy_but_not_cupy():
    source = "import numpy as np\nimport cupy\n"
    offenders = _offenders(pathlib.PurePath("io/npz.py"), source)
    assert offenders == ["minigrad/io/npz.py:2 imports cupy"]
    assert len(_offenders(pathlib.PurePath("nn/module.py"), source)) == 2
    assert _offenders(pathlib.PurePath("backend/registry.py"), source) == []


def test_the_scan_detects_an_import(tmp_path):
    tree = ast.parse("import numpy as np\nfrom cupy import ndarray\n")
    assert [r for r, _ in _imported_roots(tree)] == ["numpy", "cupy"]
