"""``compile_config``: the compile arguments of a model in Keras 3's layout, and back.

Strings stay strings (``"mse"``, ``["accuracy"]``); objects (optimizer, ``Loss``/``Metric``
instances, functions) become ``{"module", "class_name", "config", "registered_name"}`` entries.
"""

from .deserialization import _deserialize
from .serialization import serialize_keras_object

_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")


def compile_config(model):
    """The compile arguments of ``model`` as JSON-ready values; ``{}`` when not compiled.

    >>> from ember import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> compile_config(model)["loss"], compile_config(model)["optimizer"]["class_name"]
    ('mse', 'SGD')
    """
    given = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or given is None:
        return {}
    config = {key: serialize_keras_object(given.get(key)) for key in _KEYS}
    config["optimizer"] = serialize_keras_object(model.optimizer)
    config.update({"run_eagerly": False, "steps_per_execution": 1, "jit_compile": False})
    return config


def compile_from_config(model, config):
    """Compile ``model`` from ``compile_config``'s output (also Keras 3's), then build the
    optimizer on the model's trainable weights so saved optimizer state can be restored."""
    if not isinstance(config, dict):
        raise ValueError(f"compile_config must be a dict. Received: {config!r:.100}")
    unknown = sorted(set(config) - set(_KEYS) - {"run_eagerly", "steps_per_execution",
                                                  "jit_compile", "auto_scale_loss"})
    if unknown:
        raise ValueError(f"compile_config has unknown keys {unknown}.")
    arguments = {}
    for key in _KEYS:
        value = config.get(key)
        if key == "optimizer":
            value = _deserialize(value, "optimizers", 0) if value is not None else "rmsprop"
        elif key in ("loss", "metrics", "weighted_metrics"):
            value = _deserialize(value, "losses" if key == "loss" else "metrics", 0)
        arguments[key] = value
    model.compile(**arguments)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(model, "built", False) and \
            not getattr(optimizer, "built", True):
        optimizer.build(model.trainable_weights)


__all__ = ["compile_config", "compile_from_config"]
