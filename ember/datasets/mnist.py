"""MNIST (and Fashion-MNIST) from files on disk: Keras' ``mnist.npz`` or the IDX ``.gz`` files.

Splits:
- ``mnist.npz`` (Keras' file): its own ``x_train``/``x_test`` (60,000 / 10,000 images).
- the four IDX files (``train-*`` and ``t10k-*``): the official 60,000 / 10,000 split.
- only the two ``t10k-*`` IDX files (the test set, as in the project's shared data): the first
  8,000 images train, the last 2,000 test, so that figures across the project are comparable.
"""

import gzip
from pathlib import Path

import numpy as np

from ._paths import find_group

_IMAGES, _LABELS = 2051, 2049
_TRAIN = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_TEST = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
TEST_ONLY_SPLIT = 8000


def read_idx(path):
    """An IDX file (gzip or raw) as a uint8 array: images ``(n, rows, cols)`` or labels ``(n,)``.

    >>> read_idx("t10k-labels-idx1-ubyte.gz").shape  # doctest: +SKIP
    (10000,)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: not an IDX file (only {len(raw)} bytes).")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (_IMAGES, _LABELS):
        raise ValueError(f"{path}: not an IDX file of MNIST images or labels: expected magic "
                         f"number {_IMAGES} or {_LABELS}. Received: {magic}")
    ndim = magic & 0xFF
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: truncated IDX file: the header announces shape {dims} "
                         f"({int(np.prod(dims))} values) but the file holds {data.size}.")
    return data.reshape(dims)


def _groups(folder_names):
    """Candidate file groups, best first: npz, all four IDX files, the test IDX files."""
    groups = []
    for sub in folder_names:
        prefix = f"{sub}/" if sub else ""
        groups.append((f"{prefix}mnist.npz",) if sub != "fashion-mnist" else ())
        for suffix in (".gz", ""):
            groups.append(tuple(f"{prefix}{n}{suffix}" for n in _TRAIN + _TEST))
            groups.append(tuple(f"{prefix}{n}{suffix}" for n in _TEST))
    return [g for g in groups if g]


def load_raw(path=None, dataset="mnist"):
    """``((x_train, y_train), (x_test, y_test))`` as uint8 arrays, images ``(n, 28, 28)``.

    ``path`` may be ``mnist.npz``, any of the IDX files, or a folder holding them.
    """
    if path is not None and Path(path).expanduser().is_file():
        path = Path(path).expanduser()
        if path.suffix != ".npz":  # an IDX file: its folder holds the set
            path = path.parent
    sub = "mnist" if dataset == "mnist" else "fashion-mnist"
    wanted = (f"{'mnist.npz or ' if sub == 'mnist' else ''}the IDX files "
              f"{_TEST[0]}.gz and {_TEST[1]}.gz (optionally with the train-* pair), "
              f"directly or in a {sub}/ subfolder")
    _, files = find_group(dataset, _groups(["", sub]), path, keras_cache=True, wanted=wanted)
    if len(files) == 1:
        return _from_npz(files[0])
    arrays = [read_idx(f) for f in files]
    if len(arrays) == 4:
        return (arrays[0], arrays[1]), (arrays[2], arrays[3])
    images, labels = arrays
    _check_pair(images, labels, files[0])
    cut = TEST_ONLY_SPLIT
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def _from_npz(path):
    with np.load(path, allow_pickle=False) as data:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(data.files)
        if missing:
            raise ValueError(f"{path}: expected Keras' mnist.npz with arrays x_train, y_train, "
                             f"x_test, y_test. Missing: {sorted(missing)}")
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def _check_pair(images, labels, where):
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{where}: expected images (n, rows, cols) and n labels. Received "
                         f"images {images.shape} and labels {labels.shape}")


def load_mnist(path=None):
    """MNIST digits: ``((x_train, y_train), (x_test, y_test))``, pixels / 255 as float32
    ``(n, 28, 28)`` and int64 labels 0-9. Never downloads: see the module docstring for files
    and splits, and ``ember.datasets`` for where ember looks.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype  # doctest: +SKIP
    ((8000, 28, 28), dtype('float32'))
    """
    (x_train, y_train), (x_test, y_test) = load_raw(path, "mnist")
    return _scale(x_train, y_train), _scale(x_test, y_test)


def load_fashion_mnist(path=None):
    """Fashion-MNIST from its IDX files (folder ``fashion-mnist``), like ``load_mnist``."""
    (x_train, y_train), (x_test, y_test) = load_raw(path, "fashion_mnist")
    return _scale(x_train, y_train), _scale(x_test, y_test)


def _scale(images, labels):
    return images.astype(np.float32) / np.float32(255.0), labels.astype(np.int64)
