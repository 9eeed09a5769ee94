"""Keras' metrics on NumPy arrays: accuracies, AUC/precision/recall, F-scores, regression
errors, R2, losses as metrics; ``get`` resolves Keras' string identifiers (case-sensitive).

``"accuracy"``/``"acc"`` and ``"crossentropy"``/``"ce"`` depend on the shapes of the first
batch, as in Keras' ``compile``: ``resolve_accuracy`` and ``resolve_crossentropy`` give the
class to use.

>>> from ember.keras import metrics
>>> metrics.get("mae").name
'mean_absolute_error'
>>> metrics.resolve_accuracy((32,), (32, 10)).__name__
'SparseCategoricalAccuracy'
"""

from ..families import saved_class, serialize_object
from ..identifiers import unknown_identifier_error
from ..losses import labels_kind
from ..naming import to_snake_case
from ..registry import lookup
from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .base import Mean, MeanMetricWrapper, Metric, Sum
from .confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from .f_score import F1Score, FBetaScore
from .probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from .regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)

_CLASSES = [
    Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError,
    R2Score, AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
    TruePositives, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Accuracy,
    BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, F1Score, FBetaScore,
]
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
})
# Metrics that need arguments cannot come from a bare name.
_NEEDS_ARGUMENTS = {MeanMetricWrapper, PrecisionAtRecall, RecallAtPrecision,
                    SensitivityAtSpecificity, SpecificityAtSensitivity}
_STRING_NAMES = sorted(k for k, v in ALL_OBJECTS_DICT.items() if v not in _NEEDS_ARGUMENTS)


def get(identifier):
    """A ``Metric`` for a name (case-sensitive, Keras' table: class names, their snake_case
    forms, ``mse``/``mae``/``mape``/``msle``/``bce`` and upper-case forms), a config dict, a
    ``Metric`` class or instance, or a function ``fn(y_true, y_pred)`` (wrapped in
    ``MeanMetricWrapper`` named after it)."""
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier) or lookup("metrics", identifier)
        if cls is None or cls in _NEEDS_ARGUMENTS:
            raise unknown_identifier_error("metric", identifier, _STRING_NAMES)
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


_ACCURACY_CLASSES = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,
                     "categorical": CategoricalAccuracy}


def resolve_accuracy(y_true_shape, y_pred_shape, loss=None):
    """The accuracy class Keras' ``compile`` picks for ``"accuracy"``/``"acc"``:

    - ``BinaryAccuracy`` when y_pred has one value per sample (shape (..., 1));
    - ``SparseCategoricalAccuracy`` when y_true has lower rank than y_pred, or a last axis of
      1 while y_pred's is larger (integer labels);
    - ``CategoricalAccuracy`` otherwise (one-hot labels).

    Like Keras 3, only the shapes decide; ``loss`` is used only when a shape is unknown (None
    or rank 0): its ``probabilities_kind`` ("binary", "sparse", "categorical") then picks the
    class, and plain ``Accuracy`` (exact match) is the last resort.
    """
    if y_true_shape is None or y_pred_shape is None or not len(y_pred_shape) \
            or not len(y_true_shape):
        kind = getattr(loss, "probabilities_kind", None)
        return _ACCURACY_CLASSES.get(kind, Accuracy)
    return _ACCURACY_CLASSES[labels_kind(y_true_shape, y_pred_shape)]


def resolve_crossentropy(y_true_shape, y_pred_shape, loss=None):
    """The crossentropy metric class for ``"crossentropy"``/``"ce"``, by the same shape rule
    as ``resolve_accuracy``."""
    accuracy_cls = resolve_accuracy(y_true_shape, y_pred_shape, loss)
    return {BinaryAccuracy: BinaryCrossentropy, Accuracy: BinaryCrossentropy,
            SparseCategoricalAccuracy: SparseCategoricalCrossentropy}.get(
        accuracy_cls, CategoricalCrossentropy)


def serialize(metric):
    """``{"module": "keras.metrics", "class_name": ..., "config": ..., ...}``."""
    return serialize_object("keras.metrics", metric)


def deserialize(config, custom_objects=None):
    """The metric saved by ``serialize``."""
    if isinstance(config, str):
        return get(config)
    cls = saved_class("metrics", "metric", ALL_OBJECTS_DICT, config, custom_objects,
                      valid=_STRING_NAMES)
    return cls.from_config(dict(config.get("config") or {}))


__all__ = sorted(cls.__name__ for cls in _CLASSES) + [
    "Metric", "accuracy", "binary_accuracy", "categorical_accuracy", "deserialize", "get",
    "resolve_accuracy", "resolve_crossentropy", "serialize", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy"]
