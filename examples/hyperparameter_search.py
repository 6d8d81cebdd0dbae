"""Grid or random search over the MNIST MLP's learning rate, dropout and width.

Each trial builds the notes' MLP (two hidden Dense layers with dropout, Adam), trains it
for a few epochs on a subset, and is ranked by its best validation accuracy (the last
10% of the training subset); the test set is used once, by the best trial's model.
Random search samples the learning rate log-uniformly, as the notes advise.

    python examples/hyperparameter_search.py --method random --trials 8
    python examples/hyperparameter_search.py --method grid
"""
import functools

import mnist_common as common

import minigrad
from minigrad import nn, optim, training

GRID = {"lr": [1e-4, 1e-3, 1e-2], "dropout": [0.0, 0.2], "units": [128, 512]}
SPACE = {"lr": training.LogUniform(1e-4, 3e-2), "dropout": training.Uniform(0.0, 0.5),
         "units": [128, 256, 512]}


def build_model(units, dropout):
    return nn.Sequential(nn.Dense(units, activation="relu"), nn.Dropout(dropout),
                         nn.Dense(units, activation="relu"), nn.Dropout(dropout),
                         nn.Dense(10))


def main():
    p = common.parser(__doc__.split("\n\n")[0], epochs=3, plots=False)
    p.add_argument("--method", choices=["grid", "random"], default="random",
                   help="default %(default)s")
    p.add_argument("--trials", type=int, default=None,
                   help="random search: number of trials (default 8, 3 with --quick)")
    p.add_argument("--train-size", type=int, default=10000,
                   help="training samples per trial, the last 10%% validate (default "
                        "%(default)s)")
    args = common.parse_args(p)
    epochs = args.epochs
    minigrad.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test), name = common.load(args)
    x_train, y_train = x_train[:args.train_size], y_train[:args.train_size]
    models = []

    def build_and_train(params):
        model = build_model(params["units"], params["dropout"]).to(args.device)
        model.compile(optimizer=functools.partial(optim.Adam, lr=params["lr"]),
                      loss="softmax_cross_entropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs,
                            validation_split=0.1, verbose=0)
        models.append((params, model))
        return history

    if args.method == "grid":
        grid = {"lr": [1e-3, 1e-2], "dropout": [0.2], "units": [128]} if args.quick else GRID
        result = training.grid_search(build_and_train, grid, metric="val_accuracy")
    else:
        trials = args.trials or (3 if args.quick else 8)
        result = training.random_search(build_and_train, SPACE, n_iter=trials,
                                        metric="val_accuracy", seed=args.seed)
    print(f"\n{args.method} search on {name}, {len(x_train)} training samples, "
          f"{epochs} epoch(s) per trial, ranked by the best val_accuracy:")
    print(result.table())
    best = next(model for params, model in models if params == result.best_params)
    test = best.evaluate(x_test, y_test, batch_size=1000)
    shown = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in result.best_params.items())
    print(f"best: {shown}; its test accuracy {test['accuracy']:.4f}")


if __name__ == "__main__":
    main()
