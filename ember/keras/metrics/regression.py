"""Regression metrics: MSE, RMSE, MAE, MAPE, MSLE, cosine similarity, log-cosh, R2.

>>> import numpy as np
>>> m = R2Score()
>>> m.update_state(np.array([[1], [4], [3]]), np.array([[2], [4], [4]]))
>>> round(m.result(), 6)
0.571429
"""

import warnings

import numpy as np

from .. import losses
from ..losses.base import squeeze_or_expand_to_same_rank
from ..registry import builtin
from .base import Mean, Metric, _Wrapped, python_result, to_numpy


def _pair(y_true, y_pred):
    y_pred = to_numpy(y_pred).astype(np.float64, copy=False)
    y_true = to_numpy(y_true).astype(np.float64, copy=False)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def _mean_last(values):
    """Keras averages over the last axis; rank-1 inputs keep one value per sample."""
    return values.mean(axis=-1) if values.ndim > 1 else values


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean_last(np.square(y_true - y_pred))


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return _mean_last(np.abs(y_true - y_pred))


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return 100.0 * _mean_last(np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), 1e-7)))


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    first = np.log(np.maximum(y_pred, 1e-7) + 1.0)
    second = np.log(np.maximum(y_true, 1e-7) + 1.0)
    return _mean_last(np.square(first - second))


def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)

    def unit(x):
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), 1e-12))

    return np.sum(unit(y_true) * unit(y_pred), axis=axis)


class _Error(_Wrapped):
    _direction = "down"


def _error_class(name, fn, default_name, doc):
    def __init__(self, name=default_name, dtype=None):
        _Wrapped.__init__(self, fn, name, dtype)

    cls = type(name, (_Error,), {"__init__": __init__, "__doc__": doc})
    return builtin("metrics")(cls)


MeanSquaredError = _error_class("MeanSquaredError", mean_squared_error, "mean_squared_error",
                                "Mean of squared errors.")
MeanAbsoluteError = _error_class("MeanAbsoluteError", mean_absolute_error,
                                 "mean_absolute_error", "Mean of absolute errors.")
MeanAbsolutePercentageError = _error_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "Mean absolute percentage error.")
MeanSquaredLogarithmicError = _error_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean squared logarithmic error.")
LogCoshError = _error_class("LogCoshError", losses.log_cosh, "logcosh",
                            "Mean log(cosh(y_pred - y_true)).")


@builtin("metrics")
class CosineSimilarity(_Wrapped):
    """Mean cosine similarity between labels and predictions along ``axis``."""

    _direction = "up"
    _config_keys = ("axis",)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype, axis=axis)


@builtin("metrics")
class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_pred - y_true) ** 2))`` over all samples seen."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _pair(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


@builtin("metrics")
class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output, aggregated with
    ``class_aggregation`` ("uniform_average", "variance_weighted_average" or None);
    ``num_regressors`` > 0 gives the adjusted R2."""

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError("Invalid value for argument `class_aggregation`. Expected one of "
                             f"{valid}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value "
                             f">= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(name="num_samples", dtype="float64")
        self._built = False

    def _build(self, outputs):
        for name in ("squared_sum", "sum", "residual", "count"):
            setattr(self, name, self.add_variable(shape=(outputs,), name=name, dtype="float64"))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _pair(y_true, y_pred)
        if y_true.ndim == 1:  # one output: (batch,) -> (batch, 1)
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        if y_pred.ndim != 2 or y_true.shape != y_pred.shape:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred.shape} and "
                             f"y_true.shape={y_true.shape}.")
        if not self._built:
            self._build(y_pred.shape[-1])
        weights = np.ones(()) if sample_weight is None else to_numpy(sample_weight, np.float64)
        if weights.ndim == 1:
            weights = weights[:, None]
        weights = np.broadcast_to(weights, y_true.shape)
        weighted = y_true * weights
        self.sum.data += weighted.sum(axis=0)
        self.squared_sum.data += (y_true * weighted).sum(axis=0)
        self.residual.data += (np.square(y_true - y_pred) * weights).sum(axis=0)
        self.count.data += weights.sum(axis=0)
        self.num_samples.data += y_true.size

    def result(self):
        if not self._built:
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.data / self.count.data
            total = self.squared_sum.data - self.sum.data * mean
            raw = 1 - self.residual.data / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        n, p = float(self.num_samples.data), self.num_regressors
        if p:
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard "
                              "R2 score.", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return python_result(score)

    def reset_state(self):
        for v in self._variables:
            v.data[...] = 0

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
