"""What the object families' ``get``/``serialize``/``deserialize`` share.

Constraints, initializers, regularizers, metrics, losses, optimizers and schedules are written
in Keras' layout ``{"module", "class_name", "config", "registered_name"}`` and read back by
looking the class name up in the family's own table, then in the registry. Constraints,
initializers and regularizers also share one ``get``.
"""

from .identifiers import unknown_identifier_error
from .registry import lookup, registered_name


def serialize_object(module, obj):
    """``obj`` in Keras' layout, ``module`` being its family's (``"keras.constraints"``)."""
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": registered_name(obj)}


def saved_class(kind, word, table, config, custom_objects=None, valid=None):
    """The class a serialized ``config`` names: from ``table`` (name -> class), else from
    ``custom_objects`` and the registry under ``kind``; unknown names raise the identifier
    error for ``word`` listing ``valid`` (default: the table's names)."""
    name = config.get("class_name")
    cls = table.get(name) or lookup(kind, name, config.get("registered_name"), custom_objects)
    if cls is None:
        raise unknown_identifier_error(word, name, table if valid is None else valid)
    return cls


def get_object(kind, word, table, identifier, deserialize, valid=None):
    """The ``get`` of constraints, initializers and regularizers.

    ``None`` gives ``None``; a dict goes to ``deserialize``; a name (case-sensitive) is looked up
    in ``table``, then among the registered classes of ``kind``, and instantiated with its
    defaults; a class is instantiated; any other callable is returned as is.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = table.get(identifier) or lookup(kind, identifier)
        if cls is None:
            raise unknown_identifier_error(word, identifier, table if valid is None else valid)
        return cls()
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {word} identifier: {identifier!r}")
