"""Host file formats, written through one atomic and durable writer.

==================  =============================================================
``atomic``           :func:`atomic_writer`: the one way minigrad writes a file
``npz``              named arrays in an ``.npz`` file (``Module.save`` / ``load``)
``tree``             nested state (dicts, lists, numbers, arrays) in one ``.npz``
                     file: training checkpoints
``idx``              IDX files, the MNIST format, gzip or raw
==================  =============================================================

These modules use numpy for the bytes of host files, never to compute.
"""
from minigrad.io.atomic import atomic_writer
from minigrad.io.idx import read_idx, write_idx
from minigrad.io.npz import UnreadableFileError, load_npz, save_npz
from minigrad.io.tree import load_tree, save_tree

__all__ = ["UnreadableFileError", "atomic_writer", "load_npz", "load_tree", "read_idx",
           "save_npz", "save_tree", "write_idx"]
