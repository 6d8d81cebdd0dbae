"""Training checkpoints: model, optimizer, schedule, epoch and RNG state in one file."""
from __future__ import annotations

import os
import warnings

from minigrad.backend.random_state import rng_states, set_rng_states
from minigrad.io.tree import load_tree, save_tree
from minigrad.training.callbacks.base import callback_states, load_callback_states

__all__ = ["load_checkpoint", "read_checkpoint", "restore_checkpoint", "save_checkpoint"]

_FORMAT = "minigrad-checkpoint"
_VERSION = 1


def save_checkpoint(path, model, optimizer=None, schedule=None, epoch=None, *,
                    callbacks=None, extra=None, rng=None):
    """Write what is needed to continue training to ``path`` (an ``.npz`` file), atomically.

    Saved: ``model.state_dict()`` (parameters and buffers), the optimizer's
    ``state_dict()`` (hyperparameters, moments, step counts), the schedule's
    (one schedule or a list, or None), ``epoch`` (the number of epochs done,
    where a resumed run starts), the state of every backend's random generator
    (so shuffling and dropout continue exactly), the states of ``callbacks``
    (any iterable of callbacks, such as a :class:`CallbackList`) and ``extra``, a dict of numbers,
    strings, lists, dicts and arrays of your own. The file is written to a
    temporary name and moved over ``path`` in one step, so a crash never
    leaves a truncated checkpoint.

    ``rng``: the random state to save; by default this process's. A list with
    one state per rank of a data-parallel run (rank 0 gathers them; the
    ModelCheckpoint callback does this) lets every rank resume its own streams.
    """
    tree = {
        "format": _FORMAT,
        "version": _VERSION,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "schedule": _schedule_state(schedule),
        "callbacks": callback_states(callbacks) if callbacks is not None else {},
        "rng": rng_states() if rng is None else rng,
        "extra": extra or {},
    }
    save_tree(path, tree)


def _schedule_state(schedule):
    if schedule is None:
        return None
    if isinstance(schedule, (list, tuple)):
        return [s.state_dict() for s in schedule]
    return schedule.state_dict()


def load_checkpoint(path, model=None, optimizer=None, schedule=None, *, callbacks=None,
                    restore_rng=True, rank=0) -> dict:
    """Load ``path`` (written by :func:`save_checkpoint`) into the objects given.

    The model gets its parameters and buffers (lazy layers are built from the
    saved shapes), the optimizer and schedule(s) their state, ``callbacks``
    theirs, and, with ``restore_rng``, every backend's random generator its
    saved state (last, so nothing loaded here draws from it afterwards); from
    a checkpoint of a data-parallel run, the state of rank ``rank``.
    Build the optimizer and schedules on the model before loading, as for a
    fresh run. Returns the whole checkpoint as a dict: ``"epoch"``,
    ``"extra"``, and the saved states.
    """
    tree = read_checkpoint(path)
    restore_checkpoint(tree, path, model, optimizer, schedule, callbacks=callbacks,
                       restore_rng=restore_rng, rank=rank)
    return tree


def read_checkpoint(path) -> dict:
    """The checkpoint at ``path`` as a dict (host arrays), checked but not applied.

    An empty, truncated, damaged or foreign file raises
    :class:`~minigrad.io.npz.UnreadableFileError` (a ValueError) naming ``path``.
    """
    tree = load_tree(path)
    if not isinstance(tree, dict) or tree.get("format") != _FORMAT:
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r} is not a training checkpoint "
                         f"written by save_checkpoint")
    return tree


def restore_checkpoint(tree, path, model=None, optimizer=None, schedule=None, *, callbacks=None,
                       restore_rng=True, rank=0, size=None):
    """Apply a checkpoint read by :func:`read_checkpoint`; see :func:`load_checkpoint`.
    ``size``: the number of processes of the run that resumes (checked against the
    random states saved, when given)."""
    if model is not None:
        model.load_state_dict(tree["model"])
    if isinstance(schedule, (list, tuple)):
        saved = tree["schedule"] or []
        if len(saved) != len(schedule):
            raise ValueError(f"load_checkpoint: {os.fspath(path)!r} holds {len(saved)} schedules, "
                             f"got {len(schedule)}")
        for s, state in zip(schedule, saved):
            s.load_state_dict(state)
    else:
        _load_part(path, "schedule", schedule, tree["schedule"])
    if callbacks is not None:
        unused = load_callback_states(callbacks, tree["callbacks"])
        if unused:
            warnings.warn(f"load_checkpoint: no callback of this run takes the saved state of "
                          f"{unused}", RuntimeWarning, stacklevel=2)
    # The optimizer last: a schedule's load sets the lr it computed, but another
    # callback (plateau reduction) may have changed it since; the saved lr is the truth.
    _load_part(path, "optimizer", optimizer, tree["optimizer"])
    if restore_rng:
        _restore_rng(tree["rng"], path, rank, size)


def _restore_rng(saved, path, rank, size):
    """``saved``: one process's random state (a dict), or one per rank (a list)."""
    ranks = len(saved) if isinstance(saved, list) else 1
    if size is not None and size != ranks or rank >= ranks:
        warnings.warn(f"load_checkpoint: {os.fspath(path)!r} holds the random state of {ranks} "
                      f"process(es), this is rank {rank} of {size or '?'}: its random state is "
                      f"not restored (dropout and shuffling will differ from an uninterrupted "
                      f"run)", RuntimeWarning, stacklevel=3)
        return
    skipped = set_rng_states(saved[rank] if isinstance(saved, list) else saved)
    if skipped:
        warnings.warn(f"load_checkpoint: the random state of backend(s) {skipped} was not "
                      f"restored (not available here); the run will not continue exactly",
                      RuntimeWarning, stacklevel=3)


def _load_part(path, name, obj, state):
    if obj is None:
        return
    if state is None:
        raise ValueError(f"load_checkpoint: {os.fspath(path)!r} holds no {name} state")
    obj.load_state_dict(state)
