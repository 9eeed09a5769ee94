"""What the ``ember`` sub-commands share: checked paths, model loading, shape checks, log lines."""

import difflib
import json
from pathlib import Path

import numpy as np

from . import UserError

RUN_FILE = "run.json"


def existing_file(path, what="file"):
    """``path`` as a Path; a ``UserError`` naming the closest file nearby when it is absent."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        raise UserError(f"{path} is a folder; expected a {what}.")
    folder = path.parent if str(path.parent) else Path(".")
    hint = ""
    if folder.is_dir():
        siblings = [p.name for p in folder.iterdir()]
        match = difflib.get_close_matches(path.name, siblings, n=1, cutoff=0.6)
        if match:
            hint = f" Did you mean {folder / match[0]}?"
    raise UserError(f"no such {what}: {path}.{hint}")


def load_model(path):
    """A saved ``.keras`` model; unreadable files become a ``UserError``."""
    from .. import keras
    from ..models import gpt  # noqa: F401  (registers the GPT's PositionEmbedding layer)

    path = existing_file(path, "model file")
    try:
        return keras.models.load_model(path)
    except (ValueError, TypeError, KeyError, OSError) as error:
        raise UserError(f"could not load a model from {path}: {error}") from None


def read_run(model_path):
    """The ``run.json`` that ``ember train`` wrote beside a model (an empty dict if none)."""
    run = Path(model_path).parent / RUN_FILE
    if not run.is_file():
        return {}
    try:
        return json.loads(run.read_text())
    except json.JSONDecodeError:
        return {}


def _shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def fit_inputs(model, x, source):
    """``x`` shaped for ``model``'s input: flat rows are reshaped when the sizes agree (a CSV row
    of 784 pixels for a 28x28 model); any other mismatch is a ``UserError``."""
    expected = model.input_shape
    if isinstance(expected, list) or expected is None:
        return x
    expected = tuple(expected)
    sample = tuple(x.shape[1:])
    if len(sample) == len(expected) - 1 and all(
            e is None or e == s for e, s in zip(expected[1:], sample)):
        return x
    known = expected[1:]
    if None not in known and x.ndim >= 2 and int(np.prod(known)) == int(np.prod(sample)):
        return x.reshape((len(x),) + known)
    raise UserError(f"the model does not fit the data: it takes inputs of shape "
                    f"{_shape(expected)} but {source} holds samples of shape {_shape(sample)}.")


def format_logs(logs, prefix=""):
    """``{"loss": 0.1, "accuracy": 0.9}`` as Keras prints it: ``loss: 0.1000 - accuracy: ...``."""
    from ..keras.utils.progbar import format_value

    return " - ".join(f"{prefix}{key}: {format_value(value)}" for key, value in logs.items())
