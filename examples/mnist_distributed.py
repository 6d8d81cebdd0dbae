"""The notes' MNIST MLP trained data-parallel: every process a shard, gradients averaged.

The model, loss, optimizer and hyperparameters of mnist_mlp.py, with ``--batch-size``
the *global* batch: each of the ``size`` processes takes ``batch_size / size`` samples
of its shard per step and the DistributedOptimizer averages the gradients, so the
steps are those of one process with the whole batch (same learning rate). Only rank 0
prints. Run it under MPI, or alone (one process: the same as mnist_mlp.py):

    mpiexec -n 2 python examples/mnist_distributed.py --dataset fashion-mnist
    python examples/mnist_distributed.py --quick            # one process, seconds
    mpiexec -n 2 python examples/mnist_distributed.py --quick
"""
import contextlib
import io
import time

import mnist_common as common
from mnist_mlp import EpochTimer, build_model

import minigrad
from minigrad import data, optim
from minigrad import distributed as dist


def main():
    p = common.parser(__doc__.split("\n\n")[0], plots=False)
    p.add_argument("--lr", type=float, default=1e-3,
                   help="Adam's learning rate for the global batch (default %(default)s)")
    p.add_argument("--bucket-mb", type=float, default=25,
                   help="gradient bucket size in MB (default %(default)s)")
    p.add_argument("--compression", choices=["none", "fp16"], default="none",
                   help="send gradients as float16 (default none)")
    args = common.parse_args(p)
    comm = dist.init()
    if args.batch_size % comm.size:
        common.fail(f"--batch-size {args.batch_size} does not split evenly over {comm.size} "
                    f"processes")
    local_batch = args.batch_size // comm.size
    quiet = contextlib.redirect_stdout(io.StringIO()) if comm.rank else contextlib.nullcontext()
    with quiet:  # every rank loads the data; rank 0 says what it loaded
        (x_train, y_train), (x_test, y_test), name = common.load(args)
    y_train_1h, y_test_1h = data.to_categorical(y_train, 10), data.to_categorical(y_test, 10)

    minigrad.manual_seed(args.seed + comm.rank)  # each rank its own dropout masks
    model = build_model().to(args.device)
    model(minigrad.Variable(x_train[:1]).to(args.device))  # build the lazy layers
    dist.broadcast_parameters(model, comm=comm)              # then start from rank 0's weights
    if comm.rank == 0:
        model.summary(input_shape=(784,))
        print(f"{comm.size} process(es), global batch {args.batch_size} "
              f"({local_batch} per process)", flush=True)
        common.say_how_to_get_the_bar()
    compression = None if args.compression == "none" else args.compression
    opt = dist.DistributedOptimizer(optim.Adam(model.parameters(), lr=args.lr), comm=comm,
                                    bucket_mb=args.bucket_mb, compression=compression)
    model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=["accuracy"])
    train = dist.shard((x_train, y_train_1h), comm=comm, seed=args.seed)
    test = dist.shard((x_test, y_test_1h), comm=comm, shuffle=False)
    timer = EpochTimer()
    started = time.perf_counter()
    model.fit(train, batch_size=local_batch, epochs=args.epochs, verbose=1 if comm.rank == 0 else 0,
              validation_data=test, callbacks=[timer])
    seconds = time.perf_counter() - started
    if comm.rank == 0:  # the weights are the same on every rank: one evaluation says it all
        score = model.evaluate(x_test, y_test_1h, batch_size=1000, return_dict=False)
        print(f"Test loss: {score[0]:.4f}")
        print(f"Test accuracy: {score[1]:.4f}")
        print(f"Seconds per epoch: {sum(timer.seconds) / len(timer.seconds):.1f} "
              f"(mean of {len(timer.seconds)}; {seconds:.1f} s in all, {comm.size} process(es), "
              f"data {name})", flush=True)


if __name__ == "__main__":
    main()
