"""Train the notes' MNIST MLP and CNN, export them to ONNX and run the files in onnxruntime.

Each model is trained (one epoch by default), written with minigrad.onnx.export to
<output-dir>/mnist_mlp.onnx and mnist_cnn.onnx, then the test set goes through
onnxruntime and through minigrad's predict: the script prints the largest difference
between the two, how many predicted labels agree, and both accuracies. Needs
pip install "minigrad[onnx]" (onnx and onnxruntime).

    python examples/export_onnx.py                      # MNIST (downloaded once)
    python examples/export_onnx.py --dataset fashion-mnist --epochs 3
    python examples/export_onnx.py --quick              # seconds; synthetic data if no files
"""
import functools
import importlib.util
import os

import mnist_cnn
import mnist_common as common
import mnist_mlp
import numpy as np

import minigrad
from minigrad import data, optim
from minigrad.onnx import export


def onnxruntime_session(path):
    import onnxruntime

    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])


def train_export_and_compare(name, model, shape, args, train, test, out):
    (x_train, y_train), (x_test, y_test) = train, test
    x_train, x_test = x_train.reshape(-1, *shape), x_test.reshape(-1, *shape)
    print(f"\n{name}: training for {args.epochs} epoch(s)", flush=True)
    model.compile(loss="categorical_crossentropy",
                  optimizer=functools.partial(optim.Adam, lr=1e-3), metrics=["accuracy"])
    model.fit(x_train, data.to_categorical(y_train, 10), batch_size=args.batch_size,
              epochs=args.epochs, verbose=2)
    path = os.path.join(out, f"{name}.onnx")
    export(model, x_test[:1], path)
    print(f"exported {path} ({os.path.getsize(path):,} bytes)")
    ours = model.predict(x_test, batch_size=1000)
    theirs = onnxruntime_session(path).run(None, {"input": x_test})[0]
    agree = int((ours.argmax(1) == theirs.argmax(1)).sum())
    print(f"onnxruntime vs minigrad on {len(x_test)} test images: largest |difference| "
          f"{np.abs(ours - theirs).max():.2e}, same label for {agree} of {len(x_test)}")
    print(f"test accuracy: minigrad {(ours.argmax(1) == y_test).mean():.4f}, "
          f"onnxruntime {(theirs.argmax(1) == y_test).mean():.4f}")


def main():
    p = common.parser(__doc__.split("\n\n")[0], epochs=1)
    args = common.parse_args(p)
    for package in ("onnx", "onnxruntime"):  # before the training, not after
        if importlib.util.find_spec(package) is None:
            common.fail(f'exporting and running the models needs {package}: pip install '
                        f'"minigrad[onnx]"')
    minigrad.manual_seed(args.seed)
    train, test, _ = common.load(args)
    out = common.output_dir(args, "export_onnx")
    train_export_and_compare("mnist_mlp", mnist_mlp.build_model().to(args.device), (784,),
                             args, train, test, out)
    train_export_and_compare("mnist_cnn", mnist_cnn.build_model().to(args.device),
                             (1, 28, 28), args, train, test, out)


if __name__ == "__main__":
    main()
