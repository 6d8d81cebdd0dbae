"""The reference notes' Keras MNIST MLP, in minigrad.

Dense(512, relu) - Dropout(0.2) - Dense(512, relu) - Dropout(0.2) - Dense(10, softmax),
categorical cross-entropy on one-hot labels, Adam, batch 128, 20 epochs. Prints the test
loss and accuracy and saves the learning curves (train and validation loss and accuracy).
As in the notes, the test set is the validation data shown during training (it only
watches; nothing is chosen by it); ``--validation-split 0.1`` holds out the last 10% of the
training set instead.

    python examples/mnist_mlp.py                            # MNIST (downloaded once)
    python examples/mnist_mlp.py --dataset fashion-mnist    # offline on Debian/Ubuntu with
                                                            # apt-get install dataset-fashion-mnist
    python examples/mnist_mlp.py --quick                    # seconds; synthetic data if no files
"""
import functools
import time

import mnist_common as common

import minigrad
from minigrad import data, nn, optim, training


def build_model():
    return nn.Sequential(
        nn.Dense(512, activation="relu"),
        nn.Dropout(0.2),
        nn.Dense(512, activation="relu"),
        nn.Dropout(0.2),
        nn.Dense(10, activation="softmax"),
    )


class EpochTimer(training.Callback):
    """Wall-clock seconds of each epoch (training and validation)."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def main():
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--lr", type=float, default=1e-3,
                   help="Adam's learning rate (default %(default)s)")
    p.add_argument("--validation-split", type=float, default=0.0,
                   help="hold out this last fraction of the training set for validation "
                        "(default 0: show the test set, as the notes do)")
    args = common.parse_args(p)
    minigrad.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test), name = common.load(args)
    y_train_1h, y_test_1h = data.to_categorical(y_train, 10), data.to_categorical(y_test, 10)

    model = build_model().to(args.device)
    model.summary(input_shape=(784,))
    model.compile(loss="categorical_crossentropy",
                  optimizer=functools.partial(optim.Adam, lr=args.lr), metrics=["accuracy"])
    if args.validation_split:
        validation = {"validation_split": args.validation_split}
    else:
        validation = {"validation_data": (x_test, y_test_1h)}
    timer = EpochTimer()
    common.say_how_to_get_the_bar()
    history = model.fit(x_train, y_train_1h, batch_size=args.batch_size, epochs=args.epochs,
                        verbose=1, callbacks=[timer], **validation)
    score = model.evaluate(x_test, y_test_1h, batch_size=1000, return_dict=False)
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    print(f"Seconds per epoch: {sum(timer.seconds) / len(timer.seconds):.1f} "
          f"(mean of {len(timer.seconds)}, on {args.device}, data {name})")
    out = common.output_dir(args, "mnist_mlp")
    common.try_plot(training.plot_history, history, f"{out}/learning_curves.png")


if __name__ == "__main__":
    main()
