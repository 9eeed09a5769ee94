"""Regression losses: mean squared/absolute (percentage, logarithmic) error, cosine similarity,
Huber and log-cosh. Each function returns one value per sample (the mean over the last axis).

>>> import numpy as np
>>> from ember.keras import losses
>>> losses.mean_squared_error(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]], "float32")).numpy()
array([0.5], dtype=float32)
"""

import math

import numpy as np

from ... import ops
from ...autograd.function import Function
from ..registry import builtin
from .base import (
    _BuiltinWrapper,
    as_prediction,
    as_target,
    builtin_loss_class,
    squeeze_or_expand_to_same_rank,
)

EPSILON = 1e-7


class _MeanError(Function):
    """``mean(|p - t| ** power, axis=-1)`` for power 1 or 2, with its gradient, in one op."""

    def forward(self, pred, target, power):
        self.diff, self.power = pred - target, power
        values = np.square(self.diff) if power == 2 else np.abs(self.diff)
        return values.mean(axis=-1) if pred.ndim else values

    def backward(self, g):
        diff = self.diff
        if diff.ndim:
            g = np.expand_dims(g, -1) / np.asarray(diff.shape[-1], g.dtype)
        grad = g * (2 * diff) if self.power == 2 else g * np.sign(diff)
        grad = grad.astype(diff.dtype, copy=False)
        return grad, (-grad if self.needs_input_grad[1] else None)


def _pair(y_true, y_pred):
    y_pred = as_prediction(y_pred)
    y_true = as_target(y_true, y_pred)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred) ** 2, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _MeanError.apply(y_pred, y_true, power=2)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _MeanError.apply(y_pred, y_true, power=1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, 1e-7)|, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    scale = np.maximum(np.abs(y_true.data), EPSILON).astype(y_pred.dtype)
    return ops.mean(ops.abs((y_true - y_pred) / scale), axis=-1) * 100.0


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)) ** 2, axis=-1)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    first = ops.log(ops.maximum(y_pred, EPSILON) + 1.0)
    second = ops.log(ops.maximum(y_true, EPSILON) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


def _l2_normalize(x, axis):
    norm_sq = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(norm_sq, 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 when aligned."""
    y_true, y_pred = _pair(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """``0.5 * e**2`` where ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``; mean."""
    y_true, y_pred = _pair(y_true, y_pred)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = ops.square(error) * 0.5
    linear = abs_error * float(delta) - 0.5 * float(delta) ** 2
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as x + softplus(-2x) - log 2."""
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - math.log(2.0), axis=-1)


MeanSquaredError = builtin_loss_class(
    "MeanSquaredError", mean_squared_error, "mean_squared_error",
    "Mean of squared errors (``mse``).")
MeanAbsoluteError = builtin_loss_class(
    "MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
    "Mean of absolute errors (``mae``).")
MeanAbsolutePercentageError = builtin_loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "Mean absolute percentage error (``mape``).")
MeanSquaredLogarithmicError = builtin_loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean squared logarithmic error (``msle``).")
LogCosh = builtin_loss_class("LogCosh", log_cosh, "log_cosh", "Logarithm of the hyperbolic cosine.")


@builtin("losses")
class CosineSimilarity(_BuiltinWrapper):
    """Negative cosine similarity along ``axis``."""

    _config_keys = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, name, reduction, dtype, axis=axis)


@builtin("losses")
class Huber(_BuiltinWrapper):
    """Huber loss: quadratic for errors up to ``delta`` (1.0), linear beyond."""

    _config_keys = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(huber, name, reduction, dtype, delta=delta)
