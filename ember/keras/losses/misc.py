"""Hinge losses, Kullback-Leibler divergence, Poisson, Dice and Tversky.

>>> import numpy as np
>>> from ember.keras import losses
>>> losses.hinge(np.array([[1.0, -1.0]]), np.array([[0.5, 0.5]], "float32")).numpy()
array([1.], dtype=float32)
"""

import numpy as np

from ... import ops
from ..registry import builtin
from .base import _BuiltinWrapper, as_prediction, as_target, builtin_loss_class

EPSILON = 1e-7


def _hinge_labels(y_true):
    """Binary 0/1 labels become -1/1 (Keras converts only when every label is 0 or 1)."""
    data = y_true.data
    if data.size and np.all((data == 0) | (data == 1)):
        return y_true * 2.0 - 1.0
    return y_true


def _pair(y_true, y_pred):
    y_pred = as_prediction(y_pred)
    return as_target(y_true, y_pred), y_pred


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ops.mean(ops.relu(1.0 - y_true * y_pred), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ops.mean(ops.square(ops.relu(1.0 - y_true * y_pred)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.relu(neg - pos + 1.0)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [1e-7, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + EPSILON), axis=-1)


def dice(y_true, y_pred, axis=None):
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + 1e-7)`` over ``axis``."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    total = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + EPSILON
    return 1.0 - intersection * 2.0 / total


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha * FP + beta * FN + 1e-7)`` with soft counts over ``axis``."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    fp = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - intersection / (intersection + fp * alpha + fn * beta + EPSILON)


Hinge = builtin_loss_class("Hinge", hinge, "hinge", "Hinge loss for -1/1 (or 0/1) labels.")
SquaredHinge = builtin_loss_class("SquaredHinge", squared_hinge, "squared_hinge",
                                  "Squared hinge loss.")
CategoricalHinge = builtin_loss_class("CategoricalHinge", categorical_hinge, "categorical_hinge",
                                      "Hinge loss for one-hot labels.")
KLDivergence = builtin_loss_class("KLDivergence", kl_divergence, "kl_divergence",
                                  "Kullback-Leibler divergence (``kld``).")
Poisson = builtin_loss_class("Poisson", poisson, "poisson", "Poisson negative log-likelihood.")


@builtin("losses")
class Dice(_BuiltinWrapper):
    """Dice loss over ``axis`` (all axes when None)."""

    _config_keys = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name, reduction, dtype, axis=axis)


@builtin("losses")
class Tversky(_BuiltinWrapper):
    """Tversky loss: ``alpha`` weighs false positives, ``beta`` false negatives."""

    _config_keys = ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, name, reduction, dtype, alpha=alpha, beta=beta, axis=axis)
