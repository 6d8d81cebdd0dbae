"""The learning-rate range test on the notes' MNIST MLP.

Trains for a few hundred mini-batches while the learning rate grows exponentially from
1e-7 to 10, then prints the smoothed loss along the way and two suggested rates, each
labelled with the rule that gave it: where the loss falls fastest ("steepest"), and the
rate of the lowest loss divided by 10 ("min/10"; "steepest" falls back to it when too
few points precede the minimum). Saves the curve. The model's weights are left as they
were.

    python examples/lr_finder.py --optimizer adam
    python examples/lr_finder.py --optimizer sgd --iters 300
"""
import mnist_common as common
from mnist_mlp import build_model

import minigrad
from minigrad import optim, training


def main():
    p = common.parser(__doc__.split("\n\n")[0], epochs=None)
    p.add_argument("--optimizer", choices=list(optim.OPTIMIZERS), default="adam",
                   help="default %(default)s")
    p.add_argument("--start-lr", type=float, default=1e-7, help="default %(default)s")
    p.add_argument("--end-lr", type=float, default=10.0, help="default %(default)s")
    p.add_argument("--iters", type=int, default=None,
                   help="mini-batches (default 200; 20 with --quick)")
    args = common.parse_args(p)
    iters = args.iters or (20 if args.quick else 200)
    minigrad.manual_seed(args.seed)
    (x_train, y_train), _, name = common.load(args)

    model = build_model().to(args.device)
    model.compile(optimizer=args.optimizer, loss="sparse_categorical_crossentropy")
    result = training.lr_finder(model, x_train, y_train, start_lr=args.start_lr,
                                end_lr=args.end_lr, num_iters=iters,
                                batch_size=args.batch_size)
    every = max(1, len(result.lrs) // 15)
    rows = [{"step": i + 1, "lr": result.lrs[i], "loss": result.raw_losses[i],
             "smoothed loss": result.losses[i]} for i in range(0, len(result.lrs), every)]
    print(training.format_table(rows))
    if result.diverged:
        print(f"stopped after {len(result.lrs)} steps: the loss diverged")
    shown = f"{result.suggested_lr:.2e} ({result.method})"
    if result.method != "min/10":
        lr_min10, _ = training.suggest_lr(result.lrs, result.losses, "min/10")
        shown += f"; {lr_min10:.2e} (min/10)"
    print(f"suggested learning rate for {args.optimizer} on {name}: {shown}")
    out = common.output_dir(args, "lr_finder")
    common.try_plot(result.plot, f"{out}/lr_finder_{args.optimizer}.png")


if __name__ == "__main__":
    main()
