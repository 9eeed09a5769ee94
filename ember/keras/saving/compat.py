"""Configs written by newer Keras 3 releases carry options ember's classes do not take.

When such an option holds its neutral default (``quantization_config: None``, an initializer's
``input_axes: None``, ``MultiHeadAttention(use_gate=False)``), dropping it changes nothing, so
it is dropped before ``from_config``. A non-default value is kept, and the class then rejects
it with its own error, naming the option. Options a class does accept are never touched.
"""

import inspect

from .. import registry

_ANY_CLASS = {"quantization_config": None}
_BY_FAMILY = {"keras.initializers": {"input_axes": None, "output_axes": None}}
_BY_CLASS = {
    "MultiHeadAttention": {"use_gate": False, "sliding_window": None},
    "BatchNormalization": {"synchronized": False, "renorm": False, "renorm_clipping": None,
                           "renorm_momentum": 0.99},
}
_MODULE_KINDS = {"keras.layers": "layers", "keras.initializers": "initializers",
                 "keras.regularizers": "regularizers", "keras.constraints": "constraints"}


def _accepted(cls):
    """The keyword names ``cls.__init__`` takes explicitly (None when it takes anything)."""
    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return None
    names = {name for name, p in parameters.items()
             if p.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)}
    for base in cls.__mro__[1:]:  # **kwargs forwarded to the bases (Layer takes name, dtype...)
        init = base.__dict__.get("__init__")
        if init is not None:
            try:
                names |= set(inspect.signature(init).parameters)
            except (TypeError, ValueError):
                pass
    return names


def drop_neutral_options(cls, inner, module=None):
    """``inner`` without Keras-only options that hold their neutral default for ``cls``."""
    if not isinstance(inner, dict) or cls is None:
        return inner
    neutral = dict(_ANY_CLASS)
    neutral.update(_BY_FAMILY.get(module, {}))
    neutral.update(_BY_CLASS.get(cls.__name__, {}))
    accepted = _accepted(cls)
    out = {}
    for key, value in inner.items():
        if key in neutral and accepted is not None and key not in accepted \
                and value == neutral[key]:
            continue
        out[key] = _nested(value)
    return out


def _nested(value):
    """Apply the same to serialized objects nested in a config (initializers of a layer)."""
    if isinstance(value, dict):
        module = value.get("module")
        if isinstance(value.get("config"), dict) and module in _MODULE_KINDS and \
                isinstance(value.get("class_name"), str):
            cls = registry.lookup(_MODULE_KINDS[module], value["class_name"],
                                  value.get("registered_name"))
            if cls is None and module == "keras.initializers":
                from .. import initializers

                cls = initializers.ALL_OBJECTS_DICT.get(value["class_name"])
            if isinstance(cls, type):
                return {**value, "config": drop_neutral_options(cls, value["config"], module)}
        return {key: _nested(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nested(item) for item in value]
    return value


__all__ = ["drop_neutral_options"]
