"""``deserialize_keras_object``: configs back into objects, without running any code.

Classes are found only through ``ember.keras.registry`` and ``custom_objects``: nothing a config
names is ever imported, and serialized Python code (a ``"__lambda__"`` entry) is refused unless
the caller passed ``safe_mode=False``. Invalid configs raise ``ValueError``.
"""

import types

import numpy as np

from .. import registry
from .serialization import (
    _MAX_DEPTH,
    _MODULE_KINDS,
    CustomObjectScope,
    SafeModeScope,
    _builtin_function,
    ensure_builtins,
    in_safe_mode,
    scoped_custom_objects,
)


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
    >>> from ember.keras.saving import serialize_keras_object
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
