"""The reference notes' Keras MNIST CNN, in minigrad.

Conv2D(32, 3x3, relu) - MaxPooling2D(2x2) - Conv2D(64, 3x3, relu) - MaxPooling2D(2x2) -
Dropout(0.25) - Flatten - Dense(128, relu) - Dropout(0.5) - Dense(10, softmax), categorical
cross-entropy on one-hot labels, Adam, batch 128, 12 epochs (Keras' mnist_cnn.py). The notes
report 99.25% on MNIST, up from the MLP's 98.40%, and name batch normalization and data
augmentation as further improvements: ``--batchnorm`` puts BatchNorm between each Conv2D or
hidden Dense and its ReLU (those layers then drop their bias), ``--augment`` turns and shifts
every training batch at random (up to 10 degrees and 2 pixels, minigrad.data.augment), and
``--flip`` mirrors half of each training batch left to right (for Fashion-MNIST's clothes; a
mirrored digit is not a digit).
As in the notes, the test set is the validation data shown during training.

    python examples/mnist_cnn.py                                  # MNIST (downloaded once)
    python examples/mnist_cnn.py --dataset fashion-mnist --batchnorm --flip --cosine --epochs 40
    python examples/mnist_cnn.py --quick                          # seconds; synthetic data
"""
import functools

import mnist_common as common
from mnist_mlp import EpochTimer

import minigrad
from minigrad import data, nn, optim, training
from minigrad.data.augment import random_affine
from minigrad.nn.conv import Conv2D
from minigrad.nn.pooling import MaxPooling2D


def relu_layer(layer, size, batchnorm):
    """``layer(size)`` with a ReLU; with ``batchnorm``, BatchNorm before the ReLU
    (which makes the layer's bias redundant: BatchNorm's beta shifts instead)."""
    if batchnorm:
        return [layer(size, use_bias=False), nn.BatchNorm(), nn.ReLU()]
    return [layer(size, activation="relu")]


def build_model(batchnorm=False, dropout=True):
    """The notes' network; ``dropout=False`` leaves out the two Dropout layers."""
    conv3x3 = functools.partial(Conv2D, kernel_size=3)
    return nn.Sequential(
        *relu_layer(conv3x3, 32, batchnorm),
        MaxPooling2D(2),
        *relu_layer(conv3x3, 64, batchnorm),
        MaxPooling2D(2),
        *([nn.Dropout(0.25)] if dropout else []),
        nn.Flatten(),
        *relu_layer(nn.Dense, 128, batchnorm),
        *([nn.Dropout(0.5)] if dropout else []),
        nn.Dense(10, activation="softmax"),
    )


def main():
    p = common.parser(__doc__.split("\n\n")[0], epochs=12)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    p.add_argument("--batchnorm", action="store_true",
                   help="BatchNorm after each Conv2D and the hidden Dense, before the ReLU")
    p.add_argument("--augment", action="store_true",
                   help="random rotations (up to 10 degrees) and shifts (up to 2 pixels) of "
                        "every training batch")
    p.add_argument("--flip", action="store_true",
                   help="mirror each training image left to right with probability 1/2")
    p.add_argument("--validation-split", type=float, default=0.0,
                   help="hold out this last fraction of the training set for validation "
                        "(default 0: show the test set, as the notes do)")
    p.add_argument("--cosine", action="store_true",
                   help="anneal the learning rate to 0 over the epochs (cosine schedule)")
    args = common.parse_args(p)
    minigrad.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test), name = common.load(args)
    x_train, x_test = x_train.reshape(-1, 1, 28, 28), x_test.reshape(-1, 1, 28, 28)
    y_train_1h, y_test_1h = data.to_categorical(y_train, 10), data.to_categorical(y_test, 10)

    model = build_model(args.batchnorm).to(args.device)
    model.summary(input_shape=(1, 28, 28))
    model.compile(loss="categorical_crossentropy",
                  optimizer=functools.partial(optim.Adam, lr=args.lr), metrics=["accuracy"])
    if args.validation_split:
        (x_train, y_train_1h), validation = data.validation_split(
            x_train, y_train_1h, split=args.validation_split)
    else:
        validation = (x_test, y_test_1h)
    # the transform sees whole batches (docs/data.md), so each batch is augmented at once
    transform = None
    if args.augment or args.flip:
        turns = {} if args.augment else {"degrees": 0, "max_shift": 0}
        transform = functools.partial(random_affine, flip=args.flip, **turns)
    train_set = data.ArrayDataset(x_train, y_train_1h, transform=transform)
    timer = EpochTimer()
    callbacks = [timer]
    if args.cosine:
        callbacks.append(training.LRSchedulerCallback(optim.CosineAnnealingLR, T_max=args.epochs))
    common.say_how_to_get_the_bar()
    history = model.fit(train_set, batch_size=args.batch_size, epochs=args.epochs, verbose=1,
                        validation_data=validation, callbacks=callbacks)
    score = model.evaluate(x_test, y_test_1h, batch_size=1000, return_dict=False)
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    print(f"Seconds per epoch: {sum(timer.seconds) / len(timer.seconds):.1f} "
          f"(mean of {len(timer.seconds)}, on {args.device}, data {name})")
    out = common.output_dir(args, "mnist_cnn")
    common.try_plot(training.plot_history, history, f"{out}/learning_curves.png")


if __name__ == "__main__":
    main()
