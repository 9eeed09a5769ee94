"""Models: ``Model`` (functional and subclassed) and ``Sequential``."""

from .functional import Functional
from .model import Model
from .sequential import Sequential


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save ``model`` to a ``.keras`` archive (same as ``model.save``)."""
    from ..saving import save_model as _save

    _save(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (a ``.keras`` archive)."""
    from ..saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """Re-create a model (without weights) from ``model.to_json()``."""
    from ..saving import model_from_json as _from_json

    return _from_json(json_string, custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture with fresh weights."""
    from ..saving_config import deserialize_layer, serialize_layer

    return deserialize_layer(serialize_layer(model))


__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]
