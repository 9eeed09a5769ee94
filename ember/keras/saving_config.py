"""Layer configs in Keras 3's layout, for ``Sequential``/``Functional`` configs and ``clone_model``.

``serialize_layer(layer)`` gives ``{"module", "class_name", "config", "registered_name",
"build_config"}``; ``deserialize_layer(config)`` turns it back into a layer, finding classes only
through the registry and ``custom_objects`` (nothing is imported, no code is run).
"""

from .saving.deserialization import _deserialize, check_no_code
from .saving.serialization import (
    CustomObjectScope,
    SafeModeScope,
    in_safe_mode,
    serialize_keras_object,
)

# Keys that ember layers may carry but Keras 3 configs do not: the legacy input shape is
# represented by the model's InputLayer entry instead (Keras' Layer.get_config omits it).
_DROPPED_KEYS = ("batch_input_shape",)


def serialize_layer(layer):
    """A layer's config in Keras 3's layout.

    >>> from ember import keras
    >>> config = serialize_layer(keras.layers.Dense(4, name="d"))
    >>> config["module"], config["class_name"], config["config"]["units"]
    ('keras.layers', 'Dense', 4)
    """
    config = serialize_keras_object(layer)
    config.pop("compile_config", None)  # only a saved model's top level carries compile settings
    inner = config.get("config")
    if isinstance(inner, dict):
        for key in _DROPPED_KEYS:
            inner.pop(key, None)
    return config


def deserialize_layer(config, custom_objects=None, safe_mode=True):
    """The layer described by ``serialize_layer``'s output (or a Keras 3 layer config).

    Unknown class names raise ``ValueError`` naming the class; a serialized Python lambda is
    refused unless ``safe_mode=False``.

    >>> from ember import keras
    >>> layer = deserialize_layer(serialize_layer(keras.layers.Dense(4, name="d")))
    >>> layer.name, layer.units
    ('d', 4)
    """
    if not isinstance(config, dict):
        raise ValueError(f"A layer config must be a dict. Received: {config!r:.100}")
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    check_no_code(config, safe_mode, where=f"Layer config {config.get('class_name')!r}")
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects):
        layer = _deserialize(config, "layers", 0)
    from .layers.base import Layer

    if not isinstance(layer, Layer):
        raise ValueError(f"The config of class {config.get('class_name')!r} does not describe a "
                         f"layer (it gave a {type(layer).__name__}).")
    return layer


__all__ = ["deserialize_layer", "serialize_layer"]
