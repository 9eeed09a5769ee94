"""Keras' losses: classes (``SparseCategoricalCrossentropy``), per-sample functions
(``mean_squared_error``), string identifiers (case-sensitive) and serialization.

>>> from ember.keras import losses
>>> losses.get("mse").name
'mean_squared_error'
>>> losses.get("SparseCategoricalCrossentropy").probabilities_kind
'sparse'
"""

from ..families import saved_class, serialize_object
from ..identifiers import unknown_identifier_error
from ..registry import lookup
from .base import (
    Loss,
    LossFunctionWrapper,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from .crossentropy import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    sparse_categorical_crossentropy,
)
from .misc import (
    CategoricalHinge,
    Dice,
    Hinge,
    KLDivergence,
    Poisson,
    SquaredHinge,
    Tversky,
    categorical_hinge,
    dice,
    hinge,
    kl_divergence,
    poisson,
    squared_hinge,
    tversky,
)
from .regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

# Each function name maps to the class with the same defaults (its Keras twin).
_FUNCTION_CLASSES = {
    binary_crossentropy: BinaryCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity,
    huber: Huber,
    log_cosh: LogCosh,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    dice: Dice,
    tversky: Tversky,
}
FUNCTIONS = {fn.__name__: fn for fn in _FUNCTION_CLASSES}
FUNCTIONS.update({"bce": binary_crossentropy, "BCE": binary_crossentropy,
                  "kld": kl_divergence, "KLD": kl_divergence,
                  "mae": mean_absolute_error, "MAE": mean_absolute_error,
                  "mse": mean_squared_error, "MSE": mean_squared_error,
                  "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
                  "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error})
CLASSES = {cls.__name__: cls for cls in _FUNCTION_CLASSES.values()}
CLASSES["LossFunctionWrapper"] = LossFunctionWrapper
ALL_OBJECTS_DICT = {**FUNCTIONS, **CLASSES}


def get(identifier):
    """A ``Loss`` for a name (exact, case-sensitive: ``"mse"`` works, ``"Mse"`` does not), a
    config dict, a ``Loss`` class or instance, or a per-sample function ``fn(y_true, y_pred)``.

    Function names give the matching class with its defaults. ``"crossentropy"`` depends on
    the shapes: see ``resolve_crossentropy``.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in FUNCTIONS:
            return _FUNCTION_CLASSES[FUNCTIONS[identifier]]()
        if identifier in CLASSES and identifier != "LossFunctionWrapper":
            return CLASSES[identifier]()
        cls = lookup("losses", identifier)
        if cls is not None:
            return cls() if isinstance(cls, type) else LossFunctionWrapper(cls)
        raise unknown_identifier_error("loss", identifier,
                                       [k for k in ALL_OBJECTS_DICT if k != "LossFunctionWrapper"])
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Expected a name, a "
                     "config dict, a Loss or a function(y_true, y_pred).")


def labels_kind(y_true_shape, y_pred_shape):
    """Keras' shape rule for ``"crossentropy"`` and ``"accuracy"``: ``"binary"`` when y_pred has
    one value per sample (shape (..., 1)), ``"sparse"`` when y_true has one label per sample
    (a lower rank than y_pred, or a last axis of 1 while y_pred's is larger), else
    ``"categorical"`` (the values of ``Loss.probabilities_kind``)."""
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if y_pred_shape[-1] == 1:
        return "binary"
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1):
        return "sparse"
    return "categorical"


_CROSSENTROPY_CLASSES = {"binary": BinaryCrossentropy, "sparse": SparseCategoricalCrossentropy,
                         "categorical": CategoricalCrossentropy}


def resolve_crossentropy(y_true_shape, y_pred_shape):
    """The loss class Keras picks for ``"crossentropy"``/``"ce"`` from the shapes (see
    ``labels_kind``)."""
    return _CROSSENTROPY_CLASSES[labels_kind(y_true_shape, y_pred_shape)]


def serialize(loss):
    """Keras' format: a ``Loss`` as ``{"module": "keras.losses", "class_name", "config", ...}``;
    a built-in function as ``{"module": "builtins", "class_name": "function", ...}``."""
    if isinstance(loss, Loss):
        return serialize_object("keras.losses", loss)
    name = getattr(loss, "__name__", None)
    if name in FUNCTIONS and FUNCTIONS[name] is loss:
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    registered = getattr(loss, "_registered_name", None)
    return {"module": getattr(loss, "__module__", None), "class_name": "function",
            "config": registered or name, "registered_name": registered or name}


def deserialize_function(config, custom_objects=None):
    """The per-sample function saved by ``serialize`` (or its name)."""
    custom_objects = custom_objects or {}
    name = config.get("config") if isinstance(config, dict) else config
    if name in custom_objects:
        return custom_objects[name]
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    found = lookup("losses", name, name, custom_objects)
    if found is None:
        raise unknown_identifier_error("loss function", name, FUNCTIONS)
    return found


def deserialize(config, custom_objects=None):
    """The ``Loss`` saved by ``serialize`` (functions come back wrapped in a ``Loss``)."""
    if isinstance(config, str):
        return get(config)
    name = config.get("class_name")
    if name == "function":
        return LossFunctionWrapper(deserialize_function(config, custom_objects))
    cls = saved_class("losses", "loss", CLASSES, config, custom_objects)
    inner = dict(config.get("config") or {})
    if cls is LossFunctionWrapper or "fn" in inner:
        if "fn" in inner:
            inner["fn"] = deserialize_function(inner["fn"], custom_objects)
    return cls.from_config(inner)


__all__ = sorted(fn.__name__ for fn in _FUNCTION_CLASSES) + sorted(CLASSES) + [
    "Loss", "deserialize", "get", "reduce_weighted_values", "resolve_crossentropy", "serialize",
    "squeeze_or_expand_to_same_rank", "standardize_reduction"]
