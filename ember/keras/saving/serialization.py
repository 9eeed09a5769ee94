"""``serialize_keras_object`` / ``deserialize_keras_object`` in Keras 3's layout.

An object becomes ``{"module", "class_name", "config", "registered_name"}`` (plus
``build_config``/``compile_config`` for layers and models); built-in functions become
``{"module": "builtins", "class_name": "function", "config": name, ...}``. Classes are found
only through ``ember.keras.registry`` and ``custom_objects``: nothing named in a config is ever
imported, and a serialized Python lambda (``"__lambda__"``) is refused unless the caller passed
``safe_mode=False``.
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


# ----- deserialize -----------------------------------------------------------------------------
def check_no_code(config, safe_mode=True, where="config"):
    """Refuse configs that carry serialized Python code (a ``"__lambda__"`` entry, marshalled
    bytecode) unless ``safe_mode`` is False. Runs before anything is instantiated."""
    if not safe_mode:
        return
    stack = [(config, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ValueError(f"{where}: the configuration is nested deeper than {_MAX_DEPTH} "
                             "levels.")
        if isinstance(value, dict):
            if value.get("class_name") == "__lambda__" or _is_legacy_lambda(value):
                raise ValueError(
                    f"{where}: requested the deserialization of a Python lambda (bytecode). "
                    "This carries a risk of arbitrary code execution and is disallowed by "
                    "default. If you trust the source of the file, pass safe_mode=False to the "
                    "loading function.")
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _is_legacy_lambda(entry):
    """A Keras 2 ``Lambda`` config: ``function_type == "lambda"`` with marshalled code."""
    inner = entry.get("config")
    return (entry.get("class_name") == "Lambda" and isinstance(inner, dict)
            and inner.get("function_type") == "lambda")


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


def resolve_class(class_name, registered_name=None, module=None, custom_objects=None,
                  kind=None):
    """The class or function a saved entry names, looked up in ``custom_objects``, the user
    registrations and ember's built-ins (never imported). Unknown names raise ``ValueError``."""
    if not isinstance(class_name, str) or not class_name:
        raise ValueError(f"Invalid configuration: `class_name` must be a non-empty string. "
                         f"Received: class_name={class_name!r:.100}")
    ensure_builtins()
    custom_objects = scoped_custom_objects(custom_objects)
    kind = kind or _MODULE_KINDS.get(module)
    cls = _lookup(kind, class_name, registered_name, module, custom_objects)
    if cls is None:
        valid = registry.builtin_names(kind) if kind else []
        hint = f" Known {kind}: {', '.join(valid)}." if valid and len(valid) < 80 else ""
        raise ValueError(
            f"Unknown {kind[:-1] if kind else 'object'} class '{class_name}'"
            f"{f' (registered as {registered_name!r})' if registered_name else ''}. Make sure "
            "custom classes are decorated with @keras.saving.register_keras_serializable() or "
            f"passed in `custom_objects`.{hint}")
    return cls


def _lookup(kind, class_name, registered_name, module, custom_objects):
    """custom_objects, then the user registration the entry names, then (for Keras' own
    modules) ember's built-in of that kind, then anything registered under the name."""
    for key in (registered_name, class_name):
        if isinstance(key, str) and key in custom_objects:
            return custom_objects[key]
    if isinstance(registered_name, str) and registered_name in registry._CUSTOM:
        return registry._CUSTOM[registered_name]
    if kind is not None and (module in _MODULE_KINDS or module is None):
        found = registry._BUILTIN.get((kind, class_name))
        if found is not None:
            return found
    return registry.lookup(kind, class_name, registered_name if isinstance(registered_name, str)
                           else None, custom_objects)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Re-create the object described by ``serialize_keras_object``'s output.

    >>> from ember import keras
    >>> layer = deserialize_keras_object(serialize_keras_object(keras.layers.Dense(2)))
    >>> layer.units
    2
    """
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    check_no_code(config, safe_mode)
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects):
        return _deserialize(config, kwargs.get("kind"), 0)


def _deserialize(config, kind, depth):
    if depth > _MAX_DEPTH:
        raise ValueError(f"Invalid configuration: nested deeper than {_MAX_DEPTH} levels.")
    if config is None or isinstance(config, (bool, int, float)):
        return config
    custom_objects = scoped_custom_objects()
    if isinstance(config, str):
        return custom_objects.get(config, config)
    if isinstance(config, list):
        return [_deserialize(item, kind, depth + 1) for item in config]
    if not isinstance(config, dict):
        raise ValueError(f"Invalid configuration entry: {config!r:.100}")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value, kind, depth + 1) for key, value in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    special = _deserialize_special(class_name, inner)
    if special is not _NOT_SPECIAL:
        return special
    module = config.get("module")
    registered = config.get("registered_name")
    if class_name == "function":
        return _deserialize_function(inner, module, registered, custom_objects)
    if not isinstance(inner, dict):
        raise ValueError(f"Invalid configuration for '{class_name}': `config` must be a dict. "
                         f"Received: {inner!r:.100}")
    family = _MODULE_KINDS.get(module) or kind
    if family in _FAMILY_DESERIALIZERS and registered in (None, class_name):
        found = _FAMILY_DESERIALIZERS[family](config, custom_objects)
        if found is not None:
            return found
    cls = resolve_class(class_name, registered, module, custom_objects, family)
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise ValueError(f"Cannot re-create '{class_name}': its class has no from_config().")
    return instantiate(cls, inner, config, custom_objects)


def instantiate(cls, inner, config, custom_objects):
    """``cls.from_config(inner)``, then ``build_from_config``/``compile_from_config``."""
    from . import limits
    from .compat import drop_neutral_options

    if limits.active():
        _check_shapes(cls, inner, config.get("build_config"))
    inner = drop_neutral_options(cls, inner, config.get("module"))
    from_config = cls.from_config
    try:
        instance = from_config(inner, custom_objects=custom_objects) \
            if _takes_custom_objects(from_config) else from_config(inner)
    except TypeError as error:
        raise ValueError(f"{cls.__name__} could not be re-created from its config: {error}") \
            from error
    build_config = config.get("build_config")
    if build_config and hasattr(instance, "build_from_config") and not instance.built:
        if not isinstance(build_config, dict):
            raise ValueError(f"Invalid build_config for '{config.get('class_name')}': "
                             f"{build_config!r:.100}")
        shapes = build_config.get("shapes_dict")
        if isinstance(shapes, dict) and "input_shape" not in build_config:
            _build_from_shapes_dict(instance, shapes)
        else:
            instance.build_from_config(build_config)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(instance, "compile_from_config"):
        instance.compile_from_config(compile_config)
    return instance


def _check_shapes(cls, inner, build_config):
    """While a file loads: bound the input shapes a config asks for (see ``limits``)."""
    from . import limits

    where = f"Config of {cls.__name__}"
    for key in ("batch_shape", "batch_input_shape"):
        if inner.get(key) is not None:
            limits.check_input_shape(inner[key], where)
    if inner.get("shape") is not None and cls.__name__ == "InputLayer":
        shape = inner["shape"]
        limits.check_input_shape([None] + list(shape) if isinstance(shape, list) else shape,
                                 where)
    if isinstance(build_config, dict):
        shape = build_config.get("input_shape")
        if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
            limits.check_input_shape(shape, where)


def _build_from_shapes_dict(instance, shapes):
    """Keras' build config of layers whose ``build`` takes several shapes (by name)."""
    kwargs = {}
    for key, shape in shapes.items():
        if not isinstance(key, str) or not isinstance(shape, list):
            raise ValueError(f"Invalid shapes_dict entry {key!r:.50}: {shape!r:.100}")
        kwargs[key] = tuple(shape)
    instance.build(**kwargs)
    instance.built = True
    instance._build_shapes = kwargs.get(next(iter(kwargs))) if kwargs else None


def _takes_custom_objects(method):
    import inspect

    try:
        return "custom_objects" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


_NOT_SPECIAL = object()


def _deserialize_special(class_name, inner):
    if class_name == "__numpy__":
        if not isinstance(inner, dict):
            raise ValueError("Invalid __numpy__ entry: its config must be a dict.")
        dtype = np.dtype(_checked_dtype(inner.get("dtype")))
        return np.asarray(inner.get("value"), dtype=dtype)
    if class_name == "__tensor__":
        return _deserialize_special("__numpy__", inner)
    if class_name == "__bytes__":
        return str(inner.get("value", "")).encode("utf-8")
    if class_name == "__tuple__":
        return tuple(_deserialize(inner.get("value", []), None, 1))
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__lambda__":
        raise ValueError("Deserializing Python lambdas is not supported: ember never loads "
                         "bytecode. Register a named function and pass it in custom_objects.")
    return _NOT_SPECIAL


def _checked_dtype(dtype):
    try:
        resolved = np.dtype(dtype)
    except TypeError as error:
        raise ValueError(f"Invalid dtype in configuration: {dtype!r:.50}") from error
    if resolved.kind not in "biuf":
        raise ValueError(f"Invalid dtype in configuration: {dtype!r:.50} (not numeric)")
    return resolved


def _deserialize_function(name, module, registered, custom_objects):
    if not isinstance(name, str):
        raise ValueError(f"Invalid function entry: `config` must be the function's name. "
                         f"Received: {name!r:.100}")
    for key in (registered, name):
        if key and key in custom_objects:
            return custom_objects[key]
    for key in (registered, name):
        if key and key in registry._CUSTOM:
            return registry._CUSTOM[key]
    found = _builtin_function(name)
    if found is not None:
        return found
    for key, value in registry._CUSTOM.items():
        if key.split(">")[-1] == name:
            return value
    raise ValueError(f"Unknown function '{name}'. Register it with "
                     "@keras.saving.register_keras_serializable() or pass it in custom_objects.")


def _family(name):
    def load(config, custom_objects):
        import importlib

        module = importlib.import_module(f"ember.keras.{name}")
        deserialize = getattr(module, "deserialize", None)
        if deserialize is None:
            return None
        return deserialize(config, custom_objects=custom_objects)

    return load


# Families whose own ``deserialize`` knows their aliases and wrappers (losses wrap functions).
_FAMILY_DESERIALIZERS = {name: _family(name) for name in (
    "optimizers", "losses", "metrics", "initializers", "regularizers", "constraints")}
