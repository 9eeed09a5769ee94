"""``serialize_keras_object`` in Keras 3's layout, and the scopes shared with loading.

An object becomes ``{"module", "class_name", "config", "registered_name"}`` (plus
``build_config``/``compile_config`` for layers and models); built-in functions become
``{"module": "builtins", "class_name": "function", "config": name, ...}``. The way back is in
``deserialization``.
"""

import threading
import types

import numpy as np

from .. import registry

# Keras' public module for each registry kind ("models" live at the top: keras.Sequential).
_KIND_MODULES = {
    "layers": "keras.layers", "models": "keras", "optimizers": "keras.optimizers",
    "losses": "keras.losses", "metrics": "keras.metrics", "initializers": "keras.initializers",
    "regularizers": "keras.regularizers", "constraints": "keras.constraints",
    "activations": "keras.activations", "schedules": "keras.optimizers.schedules",
}
_MODULE_KINDS = {module: kind for kind, module in _KIND_MODULES.items()}
_MODULE_KINDS["keras.src.models.functional"] = "models"
_MODULE_KINDS["keras.models"] = "models"
_MAX_DEPTH = 200

_state = threading.local()


# ----- scopes ----------------------------------------------------------------------------------
class SafeModeScope:
    """Within the scope, deserialization refuses (``True``) or allows serialized code."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = bool(self.safe_mode)
        return self

    def __exit__(self, *exc):
        _state.safe_mode = self._previous


def in_safe_mode():
    """True while a load runs in safe mode (the default); None outside any load."""
    return getattr(_state, "safe_mode", None)


class CustomObjectScope:
    """Extra ``{name: class_or_function}`` visible to every deserialization in the scope.

    >>> from ember import keras
    >>> with keras.saving.CustomObjectScope({"MyLayer": keras.layers.Dense}):
    ...     pass
    """

    def __init__(self, custom_objects=None):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        self._previous = getattr(_state, "custom_objects", {})
        _state.custom_objects = {**self._previous, **self.custom_objects}
        return self

    def __exit__(self, *exc):
        _state.custom_objects = self._previous


def scoped_custom_objects(custom_objects=None):
    """The custom objects of the enclosing scopes merged with ``custom_objects``."""
    return {**getattr(_state, "custom_objects", {}), **(custom_objects or {})}


# ----- serialize -------------------------------------------------------------------------------
def builtin_kind(cls):
    """The registry kind under which ``cls`` is one of ember's built-ins (or None)."""
    ensure_builtins()
    for (kind, name), registered in registry._BUILTIN.items():
        if registered is cls and name == cls.__name__:
            return kind
    return None


def _module_of(obj, cls):
    module = getattr(obj if isinstance(obj, types.FunctionType) else cls, "__module__", None)
    return None if module == "__main__" else module


def serialize_keras_object(obj):
    """A JSON-ready description of ``obj`` in Keras 3's format.

    >>> from ember import keras
    >>> serialize_keras_object(keras.layers.Dense(2, name="d"))["class_name"]
    'Dense'
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        raise ValueError(
            "Cannot serialize a Python lambda: ember saves no code. Use a named function "
            "registered with @keras.saving.register_keras_serializable().")
    if callable(obj) and not hasattr(obj, "get_config"):
        return _serialize_function(obj)
    return _serialize_class_instance(obj)


def _serialize_function(fn):
    registered = getattr(fn, "_registered_name", None)
    if registered:
        return {"module": _module_of(fn, type(fn)), "class_name": "function",
                "config": registered, "registered_name": registered}
    name = getattr(fn, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {fn!r}: it has neither a name nor get_config().")
    if _builtin_function(name) is fn:
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    return {"module": _module_of(fn, type(fn)), "class_name": "function", "config": name,
            "registered_name": name}


def _builtin_function(name):
    """ember's built-in activation / loss / metric function called ``name`` (or None)."""
    from .. import activations, losses

    tables = [activations.ALL_OBJECTS_DICT, getattr(losses, "FUNCTIONS", {})]
    try:
        from .. import metrics

        tables.append(getattr(metrics, "FUNCTIONS", {}))
    except ImportError:
        pass
    for table in tables:
        if name in table:
            return table[name]
    return None


def _serialize_class_instance(obj):
    cls = type(obj)
    if not hasattr(obj, "get_config"):
        raise ValueError(f"Cannot serialize object {obj!r} of type {cls.__name__}: to be "
                         "serializable, a class must implement get_config().")
    inner = obj.get_config()
    if not isinstance(inner, dict):
        raise ValueError(f"The get_config() method of {cls.__name__} should return a dict. "
                         f"It returned: {inner!r:.200}")
    inner = serialize_keras_object(inner)
    kind = builtin_kind(cls)
    registered = registry.registered_name(cls)
    if cls.__name__ == "Functional" and kind == "models":
        config = {"module": "keras.src.models.functional", "class_name": "Functional",
                  "config": inner, "registered_name": "Functional"}
    elif kind is not None and registered is None:
        config = {"module": _KIND_MODULES.get(kind, f"keras.{kind}"),
                  "class_name": cls.__name__, "config": inner, "registered_name": None}
    else:
        config = {"module": _module_of(obj, cls), "class_name": cls.__name__, "config": inner,
                  "registered_name": registered or cls.__name__}
    build = getattr(obj, "get_build_config", None)
    if build is not None:
        build_config = build()
        if build_config is not None:
            config["build_config"] = serialize_keras_object(build_config)
    compile_config = getattr(obj, "get_compile_config", None)
    if compile_config is not None:
        compiled = compile_config()
        if compiled is not None:
            config["compile_config"] = serialize_keras_object(compiled)
    return config


_BUILTIN_MODULES = ("layers", "models", "optimizers", "losses", "metrics", "initializers",
                    "regularizers", "constraints", "activations")
_builtins_loaded = []


def ensure_builtins():
    """Import ember's own families once, so that their classes are in the registry. This is a
    fixed list: nothing a file names is ever imported."""
    if _builtins_loaded:
        return
    import importlib

    for name in _BUILTIN_MODULES:
        try:
            importlib.import_module(f"ember.keras.{name}")
        except ModuleNotFoundError as error:  # a family not written yet
            if error.name != f"ember.keras.{name}":
                raise
    _builtins_loaded.append(True)

