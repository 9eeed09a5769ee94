"""mnist_mlp: the Keras mnist_mlp example on the project's MNIST split. 784-512-512-10
(relu, relu, softmax; glorot_uniform kernels, zero biases) with Dropout(0.2) after each hidden
layer, Adam (Keras defaults), sparse categorical cross-entropy, batch 128, accuracy tracked during
fit; train = first 8,000 images of the t10k file, test = the last 2,000 (pixels / 255, float32).

Run alone: python benchmarks/workloads/mnist_mlp.py --framework {ember,torch,keras} [--epochs 3]
It prints one JSON line; ``epoch_s`` is the median over epochs 2..N (63 steps each).
"""

import sys

from bench_common import MNIST_TRAIN, mnist, parse_args, report, timed_import, train_step_flops

NAME = "mnist_mlp"
DEFAULTS = {"epochs": 3, "batch_size": 128}
LAYERS = (784, 512, 512, 10)


def forward_gemms(batch):
    """The forward pass's matrix products ``(m, k, n, count)`` for a batch of ``batch`` images."""
    return [(batch, k, n, 1) for k, n in zip(LAYERS[:-1], LAYERS[1:])]


def flops_per_step(batch_size=DEFAULTS["batch_size"]):
    """Matmul FLOPs of one training step (forward 2mkn per GEMM, backward twice that), averaged
    over an epoch's steps."""
    steps = -(-MNIST_TRAIN // batch_size)
    return train_step_flops(forward_gemms(MNIST_TRAIN / steps))


def build_keras(keras):
    """The model, for ``ember.keras`` or ``keras``."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])


def build_torch(nn):
    """The same model in PyTorch; its logits go through the fused softmax + cross-entropy."""
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))


COMPILE = {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
           "metrics": ["accuracy"]}


def load(limit):
    x_train, y_train, x_test, y_test = mnist(limit)
    return x_train.reshape(len(x_train), 784), y_train, x_test.reshape(len(x_test), 784), y_test


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, **DEFAULTS)
    if args.framework == "torch":
        _, import_s = timed_import("torch")
        import torch_common

        version, figures = torch_common.run_fit(args, build_torch, load(args.limit))
    else:
        import keras_api

        version, import_s, figures = keras_api.run_fit(args, build_keras, load(args.limit),
                                                       COMPILE)
    return report(NAME, args, version, import_s, **figures)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
