"""DistributedOptimizer: average the gradients over the ranks, then step the wrapped optimizer."""
from __future__ import annotations

from minigrad.distributed.buckets import average_gradients, check_bucket_options
from minigrad.distributed.communicator import init
from minigrad.distributed.replicas import CommReplicas
from minigrad.optim.optimizer import Optimizer

__all__ = ["DistributedOptimizer"]


class DistributedOptimizer(Optimizer):
    """Data-parallel training: ``step()`` averages every gradient over the ranks of
    ``comm``, then runs ``optimizer``'s step (Horovod's ``DistributedOptimizer``,
    ChainerMN's multi-node optimizer).

    ``DistributedOptimizer(optimizer, comm=None, bucket_mb=25, compression=None)``

    With each rank computing the gradient of its own shard's mean loss,
    ``g = (g_0 + ... + g_{size-1}) / size`` is the gradient of the mean loss
    over the global batch, so ``size`` ranks with local batch ``B`` take the
    steps of one process with batch ``size * B``. The wrapped optimizer sees
    only the averaged gradients: clipping by global norm, weight decay and
    constraints act on them, identically on every rank, so the weights stay
    identical (start them identical with :func:`broadcast_parameters`).

    * ``comm``: a communicator (default ``init()``'s world);
    * ``bucket_mb``: gradients travel in flat buckets of about this many
      megabytes, filled in reverse parameter order (tensor fusion);
    * ``compression``: None, or ``"fp16"`` to send float16 (half the bytes).

    A rank without a gradient for a parameter (a branch it did not take)
    contributes zeros. The parameter groups, hyperparameters and state are the
    wrapped optimizer's: schedules, callbacks, ``compile`` and checkpoints see
    an ordinary optimizer (a checkpoint saved from here loads into the wrapped
    optimizer's class and back). ``synchronize()`` averages now, for code that
    needs the averaged gradients before ``step()``, which then skips its own.
    """

    def __init__(self, optimizer, comm=None, bucket_mb=25, compression=None):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer: expected a minigrad Optimizer to wrap, "
                            f"got {type(optimizer).__name__}")
        if isinstance(optimizer, DistributedOptimizer):
            raise ValueError("DistributedOptimizer: the optimizer is a DistributedOptimizer "
                             "already; wrapping it twice would average twice")
        check_bucket_options("DistributedOptimizer", bucket_mb, compression)
        # No Optimizer.__init__: groups, defaults and state live in the wrapped optimizer.
        self.optimizer = optimizer
        self.comm = init() if comm is None else comm
        self.bucket_mb = bucket_mb
        self.compression = compression
        self.replicas = CommReplicas(self.comm)
        self._synchronized = False

    # -- the wrapped optimizer's groups, hyperparameters and state ---------------------------
    @property
    def param_groups(self):
        return self.optimizer.param_groups

    @property
    def defaults(self):
        return self.optimizer.defaults

    @property
    def state(self):
        return self.optimizer.state

    def add_param_group(self, group):
        self.optimizer.add_param_group(group)

    def zero_grad(self):
        self.optimizer.zero_grad()

    def state_dict(self) -> dict:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict):
        self.optimizer.load_state_dict(state_dict)

    def __getattr__(self, name):
        # only reached for names this class lacks: the wrapped optimizer's own (clipnorm, ...)
        if name == "optimizer":
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    # -- the step -------------------------------------------------------------------------------
    def synchronize(self):
        """Average the gradients over the ranks now (a collective: every rank calls it)."""
        if self.comm.size > 1:
            params = [p for group in self.param_groups for p in group["params"]]
            average_gradients(params, self.comm, self.bucket_mb, self.compression)
        self._synchronized = True

    def step(self, closure=None):
        """Average the gradients (unless :meth:`synchronize` just did), then update."""
        if not self.param_groups:
            self.optimizer.step()  # the wrapped optimizer's error: no parameters bound
        loss = closure() if closure is not None else None
        if not self._synchronized:
            self.synchronize()
        self._synchronized = False
        self.optimizer.step()
        return loss

    def __repr__(self):
        inner = repr(self.optimizer).replace("\n", "\n  ")
        return (f"DistributedOptimizer(rank {self.comm.rank} of {self.comm.size}, "
                f"bucket_mb={self.bucket_mb}, compression={self.compression!r},\n  {inner}\n)")
