"""mnist_cnn: keras-io's mnist_convnet on the project's MNIST split. Conv2D(32, 3, relu) -
MaxPooling2D(2) - Conv2D(64, 3, relu) - MaxPooling2D(2) - Flatten - Dropout(0.5) - Dense(10,
softmax) (glorot_uniform kernels, zero biases), Adam (Keras defaults), sparse categorical
cross-entropy, batch 128, accuracy tracked during fit; train = first 8,000 images of the t10k file,
test = the last 2,000. ember and Keras take NHWC images (n, 28, 28, 1), PyTorch NCHW (n, 1, 28, 28).

Run alone: python benchmarks/workloads/mnist_cnn.py --framework {ember,torch,keras} [--epochs 3]
It prints one JSON line; ``epoch_s`` is the median over epochs 2..N (63 steps each).
"""

import sys

from bench_common import MNIST_TRAIN, mnist, parse_args, report, timed_import, train_step_flops

NAME = "mnist_cnn"
DEFAULTS = {"epochs": 3, "batch_size": 128}


def forward_gemms(batch):
    """The forward pass as matrix products ``(m, k, n, count)``: each convolution as its im2col GEMM
    (rows = output pixels, k = kh * kw * in_channels), then the Dense head."""
    return [
        (batch * 26 * 26, 3 * 3 * 1, 32, 1),   # conv1: 28x28x1 -> 26x26x32
        (batch * 11 * 11, 3 * 3 * 32, 64, 1),  # conv2: 13x13x32 -> 11x11x64
        (batch, 5 * 5 * 64, 10, 1),            # dense: 1600 -> 10
    ]


def flops_per_step(batch_size=DEFAULTS["batch_size"]):
    """Conv and matmul FLOPs of one training step (forward 2mkn per GEMM, backward twice that),
    averaged over an epoch's steps."""
    steps = -(-MNIST_TRAIN // batch_size)
    return train_step_flops(forward_gemms(MNIST_TRAIN / steps))


def build_keras(keras):
    """The model, for ``ember.keras`` or ``keras``."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def build_torch(nn):
    """The same model in PyTorch (NCHW); its logits go through the fused softmax +
    cross-entropy."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(5 * 5 * 64, 10))


COMPILE = {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
           "metrics": ["accuracy"]}


def load(limit, channels_first):
    x_train, y_train, x_test, y_test = mnist(limit)
    shape = (1, 28, 28) if channels_first else (28, 28, 1)
    return (x_train.reshape((len(x_train),) + shape), y_train,
            x_test.reshape((len(x_test),) + shape), y_test)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, **DEFAULTS)
    if args.framework == "torch":
        _, import_s = timed_import("torch")
        import torch_common

        data = load(args.limit, channels_first=True)
        version, figures = torch_common.run_fit(args, build_torch, data)
    else:
        import keras_api

        data = load(args.limit, channels_first=False)
        version, import_s, figures = keras_api.run_fit(args, build_keras, data, COMPILE)
    return report(NAME, args, version, import_s, **figures)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
