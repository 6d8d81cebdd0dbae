"""benchmarks/RESULTS.md: one section per benchmark and setting, each replaced when its
script runs again, written atomically (temp file in the same folder, then rename)."""
from __future__ import annotations

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS.md")
HEADER = """# Benchmark results

Written by the scripts in `benchmarks/` (see README.md there). Each section is
replaced when its script runs again with the same setting; the others stay.
Times vary about +-15% between runs on the shared development machines:
compare ratios taken within one section.
"""


def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file and a rename, so a reader
    never sees half a file and an interrupted run leaves the old one intact."""
    # imported here: the PyTorch workers import this module and should not load minigrad
    from minigrad.io.atomic import atomic_writer

    with atomic_writer(path) as f:
        f.write(text.encode("utf-8"))


def update_section(path, name, body):
    """Put ``body`` (markdown) into ``path`` as the section ``name``: in place of the
    section of that name if the file has one, else at the end."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{body.strip()}\n{end}\n"
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    write_atomic(path, text)
