"""Lambda: wrap a Python function as a layer.

Its config stores the function's name (``{"module", "class_name": "function", "config": name,
"registered_name": "function"}``), never its code: loading resolves the name through
``custom_objects`` or ``register_keras_serializable`` and refuses anything else.
"""

import inspect

from ..registry import builtin
from ._utils import dtype_name_config
from .base import Layer


@builtin("layers")
class Lambda(Layer):
    """``function(inputs, **arguments)`` as a layer (``mask``/``training`` passed if accepted).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Lambda(lambda x: x * 2)(np.ones((1, 2), "float32")).numpy().tolist()
    [[2.0, 2.0]]
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable. Received: function="
                            f"{function!r:.100} (of type {type(function).__name__})")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        params = _parameters(function)
        self._fn_expects_training = "training" in params
        self._fn_expects_mask = "mask" in params
        self.supports_masking = mask is not None
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0],) + tuple(self._output_shape) if isinstance(input_shape, tuple) \
            else tuple(self._output_shape)

    def get_config(self):
        config = super().get_config()
        config["function"] = _serialize_function(self.function)
        config["arguments"] = self.arguments
        output_shape = self._output_shape
        if callable(output_shape):
            output_shape = _serialize_function(output_shape)
        config["output_shape"] = list(output_shape) if isinstance(output_shape, tuple) \
            else output_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["function"] = _resolve_function(config["function"], custom_objects)
        shape = config.get("output_shape")
        if isinstance(shape, dict):
            config["output_shape"] = _resolve_function(shape, custom_objects)
        return cls(**dtype_name_config(config))


def _parameters(function):
    try:
        return inspect.signature(function).parameters
    except (TypeError, ValueError):
        return {}


def _serialize_function(function):
    from ..registry import registered_name

    name = getattr(function, "_registered_name", None) or registered_name(function)
    return {"module": getattr(function, "__module__", None), "class_name": "function",
            "config": getattr(function, "__name__", type(function).__name__),
            "registered_name": name or "function"}


def _resolve_function(value, custom_objects=None):
    """The function a config names; only registered or explicitly given functions load."""
    if callable(value):
        return value
    from ..registry import _CUSTOM

    custom_objects = custom_objects or {}
    if isinstance(value, dict):
        registered = value.get("registered_name")
        name = value.get("config")
    else:
        registered, name = None, value
    for key in (registered, name):
        if not isinstance(key, str):  # Keras' bytecode entry is a dict: never resolved
            continue
        if key in custom_objects:
            return custom_objects[key]
        if key in _CUSTOM:
            return _CUSTOM[key]
    for key, fn in _CUSTOM.items():
        if isinstance(name, str) and key.split(">")[-1] == name:
            return fn
    raise ValueError(f"Lambda: cannot load the function '{name}': ember never deserializes "
                     "Python code. Pass it in `custom_objects={'" + str(name) + "': fn}` or "
                     "decorate it with `keras.saving.register_keras_serializable()`.")
