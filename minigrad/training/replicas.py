"""How ``fit`` acts together with the other processes of a data-parallel run.

``fit`` asks the model's optimizer for ``replicas``. An optimizer that trains
one copy of the model among several processes
(:class:`minigrad.distributed.DistributedOptimizer`) gives an object with the
methods below; any other optimizer gets :data:`SINGLE`, this process alone,
whose methods change nothing. So the training loop holds no code about MPI,
and one process trains exactly as it always did.

With several processes, ``fit`` uses them to keep every rank's decisions
identical (each deciding alone would let one rank stop or save while the
others wait for it in a collective, which hangs the job):

* batch and epoch logs, and the validation results, are sample-weighted means
  over all ranks, so EarlyStopping, ReduceLROnPlateau and TerminateOnNaN see
  the same numbers everywhere;
* ``stop_training`` set on any rank stops every rank;
* callbacks marked ``rank_zero_only`` (progress bar, CSV log) run on rank 0
  only, and ModelCheckpoint writes from rank 0 with every rank's random state.
"""
from __future__ import annotations

__all__ = ["Replicas", "SINGLE", "replicas_of"]


class Replicas:
    """One process training alone; the interface a data-parallel run implements."""

    rank = 0
    size = 1

    def mean(self, values: dict, count):
        """``(means, total)``: the ``count``-weighted means of the numbers in ``values``
        over all ranks, and the sum of the counts."""
        return values, count

    def any(self, flag) -> bool:
        """True on every rank when ``flag`` is true on some rank."""
        return bool(flag)

    def gather(self, obj):
        """``[obj of rank 0, obj of rank 1, ...]`` on rank 0, None on the others."""
        return [obj]

    def check_equal(self, what, value):
        """Raise ValueError on every rank unless ``value`` is the same on all of them."""

    def broadcast_model(self, model):
        """Give every rank rank 0's parameters and buffers."""

    def average_buffers(self, model):
        """Replace the model's floating buffers (running statistics) by their mean over ranks."""

    def barrier(self):
        """Wait until every rank gets here."""


SINGLE = Replicas()


def replicas_of(model) -> Replicas:
    """The ``replicas`` of ``model.optimizer``, or :data:`SINGLE`."""
    return getattr(getattr(model, "optimizer", None), "replicas", None) or SINGLE
