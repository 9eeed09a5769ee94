"""``keras.datasets.fashion_mnist``: Fashion-MNIST from local IDX files."""

from ...datasets.mnist import load_raw


def load_data(path=None):
    """``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, as Keras returns them.

    Nothing is downloaded: the four IDX ``.gz`` files (``train-images-idx3-ubyte.gz``, ...) are
    looked up in ``path``, ``$EMBER_DATA``, ``~/.ember/datasets`` and ``~/.keras/datasets``,
    directly or in a ``fashion-mnist/`` subfolder (Keras' cache layout).

    >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    """
    return load_raw(path, "fashion_mnist")
