"""Run the ```python snippets of markdown pages and show what each print gives beside the
line that printed it, comment included, so that a value written in a comment can be
checked against the code:

    python benchmarks/doc_outputs.py README.md docs/*.md

    practice.md:132: print(f"{len(lrs)} steps, suggested lr {suggested:.2g} ...")   # 79 steps ...
        -> 81 steps, suggested lr 0.0061 (steepest)

The snippets of one page run in order in one namespace (a page reads as one session), in
a temporary directory. A snippet that raises is reported with its error and the page goes
on; the exit status is 1 if any did. Lines printed outside a snippet's own code (by a
library, a callback) are shown under the line that caused them.
"""
from __future__ import annotations

import argparse
import builtins
import contextlib
import os
import pathlib
import sys
import tempfile
import textwrap
import traceback


def snippets(path):
    """``(first_line, code)`` for each ```python block of ``path`` (1-based line of its
    first code line; the code dedented, for blocks inside list items)."""
    lines = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            yield i + 2, textwrap.dedent("\n".join(lines[i + 1:end]))
            i = end
        i += 1


def _caller_line(path):
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename != path:
        frame = frame.f_back
    return frame.f_lineno if frame is not None else 0


def run_page(path, out=sys.stdout):
    """Run the snippets of ``path``; write each printed value beside its source line.
    Returns the number of snippets that raised."""
    path = os.path.abspath(path)
    source = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    name, namespace, failures = os.path.basename(path), {"__name__": "__main__"}, 0
    real_print = builtins.print

    def show(line, text):
        where = source[line - 1].strip() if line else "(outside the page)"
        real_print(f"{name}:{line}: {where}", file=out)
        for part in text.split("\n"):
            real_print(f"    -> {part}", file=out)

    def print_beside(*args, sep=" ", end="\n", file=None, flush=False):
        if file not in (None, sys.stdout):
            return real_print(*args, sep=sep, end=end, file=file, flush=flush)
        show(_caller_line(path), sep.join(map(str, args)))
        return None

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            for first, code in snippets(path):
                caught = _StdoutLines()
                builtins.print = print_beside
                try:
                    with contextlib.redirect_stdout(caught):
                        compiled = compile("\n" * (first - 1) + code, path, "exec")
                        exec(compiled, namespace)  # noqa: S102 -- running the docs is the point
                except Exception:  # noqa: BLE001 -- a failing snippet is reported, not fatal
                    failures += 1
                    real_print(f"{name}:{first}: the snippet raised\n"
                               f"{traceback.format_exc(limit=-2)}", file=out)
                finally:
                    builtins.print = real_print
                for text in caught.lines():
                    show(0, text)
        finally:
            os.chdir(cwd)
    return failures


class _StdoutLines:
    """A stdout stand-in that keeps what was written directly (``sys.stdout.write``, tqdm)."""

    def __init__(self):
        self._parts = []

    def write(self, text):
        self._parts.append(text)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False

    def lines(self):
        return [line for line in "".join(self._parts).splitlines() if line.strip()]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("pages", nargs="+", help="markdown files")
    args = p.parse_args()
    failures = sum(run_page(page) for page in args.pages)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
