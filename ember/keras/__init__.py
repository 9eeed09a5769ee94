"""The Keras 3 API on ember's engine: ``import ember as tf`` then ``tf.keras.*``, or
``from ember import keras``.

Submodules load on first use so that ``import ember`` stays fast.
"""

import importlib

_SUBMODULES = {
    "activations", "backend", "callbacks", "constraints", "datasets", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving", "utils",
}
_SHORTCUTS = {
    "Sequential": ("models", "Sequential"),
    "Model": ("models", "Model"),
    "Input": ("layers", "Input"),
    "Layer": ("layers", "Layer"),
    "Variable": ("ember.autograd", "Variable"),
}


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name in _SHORTCUTS:
        module_name, attr = _SHORTCUTS[name]
        if module_name.startswith("ember."):
            module = importlib.import_module(module_name)
        else:
            module = importlib.import_module(f".{module_name}", __name__)
        value = getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember.keras' has no attribute {name!r}")


def __dir__():
    return sorted(_SUBMODULES | set(_SHORTCUTS))
