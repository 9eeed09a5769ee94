"""The one registry of serializable classes: name -> class.

Layers, models, losses, optimizers, metrics, regularizers, constraints, initializers and schedules
register here when defined. Saving talks only to this registry and to
``get_config``/``from_config``, so loading a file never imports or executes anything it names.
"""

_BUILTIN = {}  # (kind, class_name) -> class
_CUSTOM = {}  # "package>name" -> class


def register_builtin(kind, cls, name=None):
    """Record one of ember's own classes under its Keras class name."""
    _BUILTIN[(kind, name or cls.__name__)] = cls
    return cls


def builtin(kind):
    """Class decorator: ``@builtin("layers")``."""

    def decorate(cls):
        return register_builtin(kind, cls)

    return decorate


def register_keras_serializable(package="Custom", name=None):
    """Decorator that makes a user class loadable by name, as Keras' function of that name."""

    def decorate(obj):
        key = f"{package}>{name or obj.__name__}"
        _CUSTOM[key] = obj
        obj._registered_name = key
        return obj

    return decorate


def registered_name(obj):
    """The name a class is saved under: ``package>Name`` for user classes, else None."""
    cls = obj if isinstance(obj, type) else type(obj)
    return getattr(cls, "_registered_name", None) if cls.__dict__.get("_registered_name") else None


def lookup(kind, class_name, registered=None, custom_objects=None):
    """The class for a saved name, from ``custom_objects``, user registrations, then built-ins."""
    custom_objects = custom_objects or {}
    for key in (registered, class_name):
        if key and key in custom_objects:
            return custom_objects[key]
    if registered and registered in _CUSTOM:
        return _CUSTOM[registered]
    for key, cls in _CUSTOM.items():
        if key.split(">")[-1] == class_name:
            return cls
    if (kind, class_name) in _BUILTIN:
        return _BUILTIN[(kind, class_name)]
    for (_, name), cls in _BUILTIN.items():
        if name == class_name:
            return cls
    return None


def builtin_names(kind):
    return sorted(name for k, name in _BUILTIN if k == kind)
