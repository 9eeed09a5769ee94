"""``keras.utils``: to_categorical, set_random_seed, normalize and friends."""

import numpy as np

from ...backend import set_random_seed
from ..registry import register_keras_serializable
from .progbar import Progbar


def to_categorical(x, num_classes=None):
    """Integer class labels as one-hot rows (float32), as ``keras.utils.to_categorical``.

    >>> to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(x)
    if labels.dtype.kind == "f":
        if not np.all(labels == np.round(labels)):
            raise ValueError("to_categorical: labels must be integers. Received non-integer "
                             "float values.")
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"to_categorical: labels must be integers. Received dtype {labels.dtype}")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must lie in [0, {num_classes}). Received values "
                         f"from {labels.min()} to {labels.max()}.")
    out = np.zeros(labels.shape + (num_classes,), np.float32)
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis``."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def get_custom_objects():
    from ..registry import _CUSTOM

    return _CUSTOM


__all__ = ["Progbar", "get_custom_objects", "normalize", "register_keras_serializable",
           "set_random_seed", "to_categorical"]
