"""seed_iris: the project's seed program. Iris (train_test_split test_size=0.2, random_state=42,
unscaled), Dense 4-10-8-3 relu/relu/softmax (glorot_uniform kernels, zero biases), Adam (Keras
defaults: lr 1e-3, betas 0.9/0.999, epsilon 1e-7), sparse categorical cross-entropy, batch 32,
100 epochs (4 steps each), accuracy tracked during fit, then evaluate on the 30 test flowers.

Run alone: python benchmarks/workloads/seed_iris.py --framework {ember,torch,keras}
It prints one JSON line; ``step_ms`` is the median epoch time (epochs 2..N) / 4 steps. fit runs
with verbose=1 by default (the seed program prints its progress bars): pass --verbose 0 to drop it.
"""

import sys

from bench_common import iris_split, parse_args, report, timed_import, train_step_flops

NAME = "seed_iris"
DEFAULTS = {"epochs": 100, "batch_size": 32, "verbose": 1}
TRAIN_SIZE = 120
LAYERS = (4, 10, 8, 3)


def forward_gemms(batch):
    """The forward pass's matrix products ``(m, k, n, count)`` for a batch of ``batch`` rows."""
    return [(batch, k, n, 1) for k, n in zip(LAYERS[:-1], LAYERS[1:])]


def flops_per_step(batch_size=DEFAULTS["batch_size"]):
    """Matmul FLOPs of one training step (forward 2mkn per GEMM, backward twice that), averaged
    over an epoch's steps (120 rows in 4 steps: 30 rows a step)."""
    steps = -(-TRAIN_SIZE // batch_size)
    return train_step_flops(forward_gemms(TRAIN_SIZE / steps))


def build_keras(keras):
    """The seed program's model, for ``ember.keras`` or ``keras``."""
    return keras.Sequential([
        keras.layers.Dense(10, input_shape=(4,), activation="relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])


def build_torch(nn):
    """The same model in PyTorch; its logits go through the fused softmax + cross-entropy."""
    return nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 8), nn.ReLU(),
                         nn.Linear(8, 3))


COMPILE = {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
           "metrics": ["accuracy"]}


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, **DEFAULTS)
    if args.framework == "torch":
        _, import_s = timed_import("torch")
        import torch_common

        data = iris_split()
        version, figures = torch_common.run_fit(args, build_torch, _limited(data, args.limit))
    else:
        import keras_api

        version, import_s, figures = keras_api.run_fit(
            args, build_keras, _limited(iris_split(), args.limit), COMPILE)
    return report(NAME, args, version, import_s, **figures)


def _limited(data, limit):
    x_train, x_test, y_train, y_test = data
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    return x_train, y_train, x_test, y_test


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
