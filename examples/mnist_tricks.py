"""The notes' training toolbox on the MNIST MLP, one flag per trick.

Initialization (He, Glorot, LeCun), activations, batch normalization, every optimizer,
every learning-rate schedule, L1/L2 penalties, max-norm, gradient clipping, dropout and
early stopping. The last 10% of the training set is the validation set (the test set is
used once, at the end). ``--compare`` trains a list of configurations that each change
one thing from the baseline and prints their final validation accuracy side by side.

    python examples/mnist_tricks.py --init he --batchnorm --schedule 1cycle
    python examples/mnist_tricks.py --optimizer nesterov --lr 0.05 --schedule cosine
    python examples/mnist_tricks.py --compare --train-size 10000 --epochs 5
"""
import argparse
import math
import time

import mnist_common as common

import minigrad
from minigrad import nn, optim, training
from minigrad.nn.constraints import MaxNorm
from minigrad.nn.regularizers import L1L2

INITS = {"he": "he_normal", "glorot": "glorot_uniform", "lecun": "lecun_normal"}
SCHEDULES = ("none", "step", "exponential", "power", "piecewise", "plateau", "1cycle", "cosine")

# --compare: each configuration changes the baseline (the notes' MLP with Adam) in one way.
COMPARE = [
    ("baseline (glorot, adam)", {}),
    ("he init", {"init": "he"}),
    ("lecun init + selu, no dropout", {"init": "lecun", "activation": "selu", "dropout": 0.0}),
    ("batchnorm", {"batchnorm": True}),
    ("sgd", {"optimizer": "sgd", "lr": 0.1}),
    ("nesterov", {"optimizer": "nesterov", "lr": 0.05}),
    ("rmsprop", {"optimizer": "rmsprop", "lr": 1e-3}),
    ("adamw", {"optimizer": "adamw"}),
    ("adam + exponential", {"schedule": "exponential"}),
    ("adam + 1cycle", {"schedule": "1cycle", "lr": 3e-3}),
    ("adam + cosine", {"schedule": "cosine"}),
    ("l2 1e-4", {"l2": 1e-4}),
    ("max-norm 3", {"max_norm": 3.0}),
    ("clipnorm 1", {"clipnorm": 1.0}),
    ("early stopping", {"early_stopping": 2}),
]
QUICK_COMPARE = ["baseline (glorot, adam)", "batchnorm", "adam + 1cycle"]


def add_arguments(p):
    p.add_argument("--init", choices=sorted(INITS), default="glorot",
                   help="he_normal, glorot_uniform (default) or lecun_normal kernels")
    p.add_argument("--activation", default="relu",
                   help="relu (default), elu, selu, leaky_relu, ...")
    p.add_argument("--batchnorm", action="store_true",
                   help="BatchNorm between each hidden Dense layer and its activation")
    p.add_argument("--dropout", type=float, default=0.2,
                   help="rate after each hidden layer (default %(default)s)")
    p.add_argument("--optimizer", choices=list(optim.OPTIMIZERS), default="adam",
                   help="default %(default)s")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: the optimizer's); the peak for 1cycle")
    p.add_argument("--schedule", choices=SCHEDULES, default="none",
                   help="learning-rate schedule over the epochs (1cycle: over the batches)")
    p.add_argument("--l1", type=float, default=0.0, help="L1 penalty on the kernels")
    p.add_argument("--l2", type=float, default=0.0, help="L2 penalty on the kernels")
    p.add_argument("--max-norm", type=float, default=None, help="MaxNorm(r) on the kernels")
    clip = p.add_mutually_exclusive_group()
    clip.add_argument("--clipnorm", type=float, default=None, help="clip each gradient's norm")
    clip.add_argument("--clipvalue", type=float, default=None, help="clip gradient entries")
    p.add_argument("--early-stopping", type=int, nargs="?", const=3, default=None,
                   metavar="PATIENCE", help="stop when val_loss stalls (default patience 3), "
                                            "keep the best weights")
    p.add_argument("--train-size", type=int, default=None,
                   help="use only the first N training samples")
    p.add_argument("--compare", action="store_true",
                   help="train each configuration of a fixed list and print a table")


def build_model(cfg):
    regularizer = L1L2(cfg.l1, cfg.l2) if cfg.l1 or cfg.l2 else None
    constraint = MaxNorm(cfg.max_norm) if cfg.max_norm else None
    layers = []
    for _ in range(2):
        layers.append(nn.Dense(512, activation=None if cfg.batchnorm else cfg.activation,
                               use_bias=not cfg.batchnorm, kernel_initializer=INITS[cfg.init],
                               kernel_regularizer=regularizer, kernel_constraint=constraint))
        if cfg.batchnorm:
            layers += [nn.BatchNorm1d(), nn.Activation(cfg.activation)]
        if cfg.dropout:
            layers.append(nn.Dropout(cfg.dropout))
    layers.append(nn.Dense(10, kernel_initializer=INITS[cfg.init]))   # logits
    return nn.Sequential(*layers)


def make_optimizer(cfg):
    cls = optim.OPTIMIZERS[cfg.optimizer]
    kwargs = {} if cfg.lr is None else {"lr": cfg.lr}
    if cfg.clipnorm:
        kwargs["clipnorm"] = cfg.clipnorm
    if cfg.clipvalue:
        kwargs["clipvalue"] = cfg.clipvalue
    return lambda params: cls(params, **kwargs)


def schedule_callbacks(cfg, epochs, steps_per_epoch):
    """The callbacks that drive ``cfg.schedule`` over ``epochs`` epochs."""
    e = max(1, epochs)
    bounds = sorted({max(1, e // 2), max(2, 3 * e // 4)})   # lr / 10 at half, / 100 at 3/4
    per_epoch = {
        "step": lambda opt: optim.StepLR(opt, step_size=max(1, e // 4), gamma=0.5),
        # lr0 * 0.1 ** (t / epochs): ten times smaller at the end
        "exponential": lambda opt: optim.ExponentialDecay(opt, decay_rate=0.1, decay_steps=e),
        "power": lambda opt: optim.PowerSchedule(opt, s=max(1, e / 4), c=1.0),
        "piecewise": lambda opt: optim.PiecewiseConstant(
            opt, bounds, [opt.lr * 10.0 ** -k for k in range(len(bounds) + 1)]),
        "cosine": lambda opt: optim.CosineAnnealingLR(opt, T_max=e),
    }
    if cfg.schedule in per_epoch:
        return [training.LRSchedulerCallback(per_epoch[cfg.schedule])]
    if cfg.schedule == "1cycle":
        return [training.LRSchedulerCallback(
            lambda opt: optim.OneCycleLR(opt, max_lr=opt.lr, total_steps=e * steps_per_epoch),
            interval="batch")]
    if cfg.schedule == "plateau":
        return [training.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)]
    return []


def run(cfg, train, test, epochs, verbose):
    """Train one configuration; returns the row of the comparison table and the History."""
    minigrad.manual_seed(cfg.seed)
    (x, y), (x_test, y_test) = train, test
    n_train = math.floor(len(x) * 0.9)
    model = build_model(cfg).to(cfg.device)
    model.compile(optimizer=make_optimizer(cfg), loss="softmax_cross_entropy",
                  metrics=["accuracy"])
    callbacks = schedule_callbacks(cfg, epochs, math.ceil(n_train / cfg.batch_size))
    if cfg.early_stopping is not None:
        callbacks.append(training.EarlyStopping(monitor="val_loss", patience=cfg.early_stopping,
                                                restore_best_weights=True))
    started = time.perf_counter()
    history = model.fit(x, y, batch_size=cfg.batch_size, epochs=epochs, validation_split=0.1,
                        callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - started
    test_scores = model.evaluate(x_test, y_test, batch_size=1000)
    h = history.history
    return {"final val_acc": h["val_accuracy"][-1], "best val_acc": max(h["val_accuracy"]),
            "test acc": test_scores["accuracy"], "epochs": len(history.epoch),
            "s/epoch": seconds / len(history.epoch)}, history


def main():
    p = common.parser(__doc__.split("\n\n")[0], epochs=20)
    add_arguments(p)
    args = common.parse_args(p)
    epochs = args.epochs
    train, test, name = common.load(args)
    size = args.train_size or (500 if args.quick and args.compare else None)
    if size:
        train = tuple(a[:size] for a in train)
    print(f"{len(train[0])} training samples (the last 10% validate), {epochs} epoch(s), "
          f"data {name}", flush=True)
    if not args.compare:
        common.say_how_to_get_the_bar()
        row, history = run(args, train, test, epochs, verbose=1)
        print(training.format_table([row]))
        out = common.output_dir(args, "mnist_tricks")
        common.try_plot(training.plot_history, history, f"{out}/learning_curves.png")
        return
    rows = []
    for label, changes in COMPARE:
        if args.quick and label not in QUICK_COMPARE:
            continue
        cfg = argparse.Namespace(**{**vars(args), **changes})
        row, _ = run(cfg, train, test, epochs, verbose=0)
        rows.append({"configuration": label, **row})
        print(f"{label}: final val_acc {row['final val_acc']:.4f} "
              f"({row['s/epoch']:.1f} s/epoch)", flush=True)
    rows.sort(key=lambda r: -r["final val_acc"])
    print()
    print(training.format_table(rows))


if __name__ == "__main__":
    main()
