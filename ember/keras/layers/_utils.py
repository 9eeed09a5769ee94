"""Helpers shared by the layer modules: argument checks, config (de)serialization, masks."""

import numpy as np

from ...autograd.tensor import Tensor
from ...ops._convert import constant


def normalize_tuple(value, n, name, layer, allow_zero=False):
    """An int or a sequence of ``n`` ints as a tuple (Keras' ``standardize_tuple``)."""
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    low = 0 if allow_zero else 1
    if len(items) != n or not all(isinstance(v, (int, np.integer)) and v >= low for v in items):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{layer}: the `{name}` argument must be a tuple of {n} {kind} "
                         f"integers (or one integer). Received: {name}={value!r}")
    return tuple(int(v) for v in items)


def normalize_padding(value, layer, allowed=("valid", "same")):
    mode = value.lower() if isinstance(value, str) else value
    if mode not in allowed:
        raise ValueError(f"{layer}: the `padding` argument must be one of {list(allowed)}. "
                         f"Received: padding={value!r}")
    return mode


def normalize_data_format(value, layer):
    if value is None:
        return "channels_last"
    mode = value.lower() if isinstance(value, str) else value
    if mode not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: the `data_format` argument must be one of "
                         f"'channels_first', 'channels_last'. Received: data_format={value!r}")
    return mode


def check_rate(value, name, layer):
    if not isinstance(value, (int, float, np.number)) or not 0 <= value <= 1:
        raise ValueError(f"{layer}: invalid value for argument `{name}`: expected a float in "
                         f"the range [0, 1]. Received: {name}={value!r}")
    return float(value)


def check_positive_int(value, name, layer):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: invalid value for argument `{name}`: expected a strictly "
                         f"positive integer. Received: {name}={value!r}")
    return int(value)


# ----- configs ----------------------------------------------------------------------------------


def serialize(family, obj):
    """Keras' config entry for an initializer/regularizer/constraint (None stays None)."""
    if obj is None:
        return None
    from importlib import import_module

    module = import_module(f"ember.keras.{family}")
    if not hasattr(obj, "get_config") or isinstance(obj, type):
        return getattr(obj, "__name__", str(obj))
    return module.serialize(obj)


def kernel_bias_config(layer):
    """The config entries of a layer's kernel and bias initializers, regularizers, constraints."""
    return {
        "kernel_initializer": serialize("initializers", layer.kernel_initializer),
        "bias_initializer": serialize("initializers", layer.bias_initializer),
        "kernel_regularizer": serialize("regularizers", layer.kernel_regularizer),
        "bias_regularizer": serialize("regularizers", layer.bias_regularizer),
        "activity_regularizer": serialize("regularizers", layer.activity_regularizer),
        "kernel_constraint": serialize("constraints", layer.kernel_constraint),
        "bias_constraint": serialize("constraints", layer.bias_constraint),
    }


def resolve_kernel_bias_options(layer, kernel_initializer, bias_initializer,
                                kernel_regularizer, bias_regularizer, activity_regularizer,
                                kernel_constraint, bias_constraint):
    """Set a layer's kernel and bias initializers, regularizers and constraints from their
    identifiers (the inverse of ``kernel_bias_config``)."""
    layer.kernel_initializer = resolve("initializers", kernel_initializer)
    layer.bias_initializer = resolve("initializers", bias_initializer)
    layer.kernel_regularizer = resolve("regularizers", kernel_regularizer)
    layer.bias_regularizer = resolve("regularizers", bias_regularizer)
    layer.activity_regularizer = resolve("regularizers", activity_regularizer)
    layer.kernel_constraint = resolve("constraints", kernel_constraint)
    layer.bias_constraint = resolve("constraints", bias_constraint)


def resolve(family, identifier):
    from importlib import import_module

    return import_module(f"ember.keras.{family}").get(identifier)


def dtype_name_config(config):
    """A copy of a layer config whose ``dtype``, if Keras' DTypePolicy dict, is its dtype name."""
    config = dict(config)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
    return config


def serialize_layer(layer):
    """``{"module", "class_name", "config", "registered_name"}`` of a layer, as Keras writes."""
    from ..families import serialize_object

    return serialize_object("keras.layers", layer)


def deserialize_layer(config, custom_objects=None):
    """A layer from ``serialize_layer``'s output (or a layer instance, returned as is)."""
    from ..registry import lookup
    from .base import Layer

    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Expected a serialized layer (a dict with 'class_name' and 'config'). "
                         f"Received: {config!r:.200}")
    cls = lookup("layers", config["class_name"], config.get("registered_name"), custom_objects)
    if cls is None:
        raise ValueError(f"Unknown layer: '{config['class_name']}'. Please ensure you are using "
                         "a `keras.utils.custom_object_scope` or pass it in `custom_objects`.")
    return cls.from_config(dict(config.get("config") or {}))


# ----- masks ------------------------------------------------------------------------------------


def mask_array(mask):
    """A mask (tensor, array, list or None) as a NumPy bool array (or None)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        mask = mask.data
    return np.asarray(mask).astype(bool, copy=False)


def mask_tensor(array):
    """A bool NumPy array as the constant tensor that travels as ``_keras_mask``."""
    return constant(np.asarray(array, dtype=bool))


def as_tensor(value, dtype=None):
    """A tensor for a call argument that may still be a NumPy array or list."""
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if dtype is not None and array.dtype.kind == "f":
        array = array.astype(dtype, copy=False)
    return Tensor(array)
