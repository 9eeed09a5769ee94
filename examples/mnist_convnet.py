"""keras-io's "Simple MNIST convnet", on ember.

The model is the one of the keras-io example (and of ``ember train mnist-cnn``):
Conv2D(32, 3, relu) - MaxPooling2D - Conv2D(64, 3, relu) - MaxPooling2D - Flatten -
Dropout(0.5) - Dense(10, softmax), trained with Adam on batches of 128.

The data are MNIST's 10,000 test images (the IDX ``t10k-*.gz`` files): the first 8,000 train,
the last 2,000 test, pixels / 255 as float32 (``ember.datasets.load_mnist``). The number of epochs
(15, as keras-io) is fixed beforehand; the test images are only evaluated, never used to choose it.

Run (on a machine shared by many processes, one BLAS thread is much faster):

    OPENBLAS_NUM_THREADS=1 python examples/mnist_convnet.py --data /work/shared/data

Options: ``--epochs``, ``--limit`` (training images), ``--batch-size``, ``--seed``, ``--data``
(the folder or file of the IDX files; by default ember's data folders, see ``ember.datasets``).
``main(argv)`` returns the test accuracy and timings, so tests run it on a reduced size.
"""

import argparse
import time

import numpy as np

import ember
from ember import datasets, keras
from ember.recipes import build_mnist_cnn


class EpochTimer(keras.callbacks.Callback):
    """Records each epoch's wall-clock seconds in ``self.seconds``."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None,
                        help="folder (or file) holding the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first LIMIT of the 8,000 training images")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2),
                        help="fit's verbosity: 0 silent, 1 progress bar, 2 one line per epoch")
    return parser.parse_args(argv)


def main(argv=None):
    """Train and evaluate; returns a dict with ``test_accuracy``, ``test_loss``,
    ``epoch_seconds`` and the fit ``history``."""
    args = parse_args(argv)
    ember.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(args.data)
    x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    print(f"MNIST: {len(x_train)} training and {len(x_test)} test images of "
          f"{x_train.shape[1]}x{x_train.shape[2]} pixels")

    model = build_mnist_cnn()  # (N, 28, 28) -> (N, 10) probabilities
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    if args.verbose:
        model.summary()

    timer = EpochTimer()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        callbacks=[timer], verbose=args.verbose)
    train_seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)

    steps = -(-len(x_train) // args.batch_size)
    per_epoch = float(np.median(timer.seconds))
    print(f"Trained {args.epochs} epochs of {steps} steps in {train_seconds:.1f} s "
          f"(median {per_epoch:.2f} s per epoch, {1000 * per_epoch / steps:.0f} ms per step)")
    print(f"Test loss: {test_loss:.4f}")
    print(f"Test accuracy: {test_accuracy:.4f}")
    return {"test_accuracy": test_accuracy, "test_loss": test_loss,
            "epoch_seconds": timer.seconds, "history": history.history}


if __name__ == "__main__":
    main()
