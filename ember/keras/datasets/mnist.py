"""``keras.datasets.mnist``: MNIST digits from a local ``mnist.npz`` or IDX files."""

from ...datasets.mnist import load_raw


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them: uint8 images
    ``(n, 28, 28)`` with values 0-255 and uint8 labels 0-9.

    Nothing is downloaded. ``path`` may be a ``mnist.npz`` file, an IDX file or a folder. With
    Keras' default ``"mnist.npz"`` (no such file here), ember searches ``$EMBER_DATA``,
    ``~/.ember/datasets`` and Keras' cache ``~/.keras/datasets`` for ``mnist.npz`` or the IDX
    ``.gz`` files; with only the 10,000 test images, the first 8,000 train and the last 2,000 test.

    >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    >>> x_train = x_train.astype("float32") / 255  # doctest: +SKIP
    """
    return load_raw(_searched(path), "mnist")


def _searched(path):
    from pathlib import Path

    if path is None or (path == "mnist.npz" and not Path(path).exists()):
        return None
    return path
