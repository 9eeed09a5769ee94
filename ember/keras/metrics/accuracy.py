"""Accuracy metrics, computed with NumPy on the batch's arrays.

>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state([[2], [1]], np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]]))
>>> m.result()
0.5
"""

import numpy as np

from ..losses.base import squeeze_or_expand_to_same_rank
from ..registry import builtin
from .base import _Wrapped, to_numpy


def _mean_last(matches):
    """Keras averages matches over the last axis; rank-1 inputs keep one value per sample."""
    return matches.mean(axis=-1) if matches.ndim > 1 else matches


def accuracy(y_true, y_pred):
    """How often ``y_pred`` equals ``y_true`` exactly."""
    y_pred = to_numpy(y_pred)
    y_true = to_numpy(y_true).astype(y_pred.dtype, copy=False)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _mean_last((y_true == y_pred).astype(np.float32))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """How often ``y_pred > threshold`` equals the 0/1 label."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return _mean_last((y_true == predicted).astype(np.float32))


def categorical_accuracy(y_true, y_pred):
    """How often ``argmax(y_pred)`` equals ``argmax(y_true)`` (one-hot labels)."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """How often ``argmax(y_pred)`` equals the integer label."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    matches = (y_true == np.argmax(y_pred, axis=-1)).astype(np.float32)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches[..., 0]
    return matches


def _in_top_k(labels, y_pred, k):
    """True where the label's score is at least the k-th largest score (ties count)."""
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    labels = labels.reshape(-1).astype(np.int64)
    if k >= y_pred.shape[-1]:
        return np.ones(labels.shape, bool)
    kth = np.partition(y_pred, -k, axis=-1)[:, -k]
    return np.take_along_axis(y_pred, labels[:, None], axis=-1)[:, 0] >= kth


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """How often the one-hot label is among the ``k`` highest scores."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    labels = np.argmax(y_true, axis=-1)
    return _in_top_k(labels, y_pred, k).astype(np.float32).reshape(labels.shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """How often the integer label is among the ``k`` highest scores."""
    y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return _in_top_k(y_true, y_pred, k).astype(np.float32).reshape(y_true.shape)


class _Accuracy(_Wrapped):
    _direction = "up"


@builtin("metrics")
class Accuracy(_Accuracy):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


@builtin("metrics")
class BinaryAccuracy(_Accuracy):
    """How often ``y_pred > threshold`` (0.5) matches the binary label."""

    _config_keys = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError("Invalid value for argument `threshold`. Expected a value in "
                             f"interval (0, 1). Received: threshold={threshold}")
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


@builtin("metrics")
class CategoricalAccuracy(_Accuracy):
    """How often the argmax of ``y_pred`` matches the argmax of one-hot ``y_true``."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


@builtin("metrics")
class SparseCategoricalAccuracy(_Accuracy):
    """How often the argmax of ``y_pred`` matches the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


@builtin("metrics")
class TopKCategoricalAccuracy(_Accuracy):
    """How often the one-hot label is among the top ``k`` (5) predictions."""

    _config_keys = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)


@builtin("metrics")
class SparseTopKCategoricalAccuracy(_Accuracy):
    """How often the integer label is among the top ``k`` (5) predictions."""

    _config_keys = ("k",)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k)
