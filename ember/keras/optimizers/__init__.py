"""Keras' optimizers on flat parameter buffers: SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW,
Adamax, Nadam, Lion; learning-rate schedules in ``optimizers.schedules``.

Names are case-insensitive, as in Keras (``"Adam"``, ``"adam"``, ``"ADAM"``).

>>> from ember.keras import optimizers
>>> optimizers.get("ADAM").name
'adam'
"""

from ..families import serialize_object
from ..identifiers import unknown_identifier_error
from ..registry import lookup
from . import schedules
from .adam import Adam, Adamax, AdamW, Nadam
from .base import LearningRate, Optimizer
from .lion import Lion
from .rmsprop import Adadelta, Adagrad, RMSprop
from .sgd import SGD

_CLASSES = [SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Lion]
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in _CLASSES}


def get(identifier):
    """An optimizer from a name (any case), a config dict, a class or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier.lower())
        if cls is None:
            cls = lookup("optimizers", identifier)
        if cls is None:
            raise unknown_identifier_error("optimizer", identifier, ALL_OBJECTS_DICT)
        return cls()
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    """``{"module": "keras.optimizers", "class_name": ..., "config": ..., ...}``."""
    return serialize_object("keras.optimizers", optimizer)


def deserialize(config, custom_objects=None):
    """The optimizer saved by ``serialize`` (class names are case-insensitive)."""
    name = config.get("class_name", "")
    cls = ALL_OBJECTS_DICT.get(name.lower()) or lookup(
        "optimizers", name, config.get("registered_name"), custom_objects)
    if cls is None:
        raise unknown_identifier_error("optimizer", name, ALL_OBJECTS_DICT)
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects) \
        if _takes_custom_objects(cls) else cls.from_config(dict(config.get("config") or {}))


def _takes_custom_objects(cls):
    import inspect

    return "custom_objects" in inspect.signature(cls.from_config).parameters


__all__ = [cls.__name__ for cls in _CLASSES] + ["LearningRate", "Optimizer", "deserialize",
                                                "get", "schedules", "serialize"]
