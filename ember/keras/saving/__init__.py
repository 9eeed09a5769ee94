"""``keras.saving``: ``.keras`` archives, ``.weights.h5`` files and object configs, in Keras 3's
formats, with no pickle anywhere: loading a file never runs code from it.

>>> from ember import keras
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
>>> model.save("model.keras")  # doctest: +SKIP
>>> restored = keras.saving.load_model("model.keras")  # doctest: +SKIP
"""

from ..registry import register_keras_serializable
from .api import (
    load_model,
    load_weights,
    model_from_json,
    model_to_json,
    save_model,
    save_weights,
)
from .compile_config import compile_config, compile_from_config
from .deserialization import deserialize_keras_object
from .serialization import (
    CustomObjectScope,
    SafeModeScope,
    in_safe_mode,
    serialize_keras_object,
)

custom_object_scope = CustomObjectScope


def get_custom_objects():
    """The live dict of user-registered objects (``"package>Name"`` -> class or function)."""
    from ..registry import _CUSTOM

    return _CUSTOM


def get_registered_name(obj):
    """The name ``obj`` is saved under: ``"package>Name"`` when registered, else its name."""
    from ..registry import registered_name

    return registered_name(obj) or getattr(obj, "_registered_name", None) or getattr(
        obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered (or passed in ``custom_objects``) under ``name``."""
    from ..registry import _CUSTOM

    for table in (custom_objects or {}, _CUSTOM, module_objects or {}):
        if name in table:
            return table[name]
    return None


__all__ = [
    "CustomObjectScope", "SafeModeScope", "compile_config", "compile_from_config",
    "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "in_safe_mode", "load_model",
    "load_weights", "model_from_json", "model_to_json", "register_keras_serializable",
    "save_model", "save_weights", "serialize_keras_object",
]
