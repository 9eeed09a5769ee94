"""``save_model``/``load_model``, ``save_weights``/``load_weights``, JSON configs.

Files are Keras 3's: a ``.keras`` zip of ``metadata.json``, ``config.json`` and
``model.weights.h5``, or a bare ``.weights.h5``. Every write goes to a temporary file in the same
folder and is renamed into place; every read is checked (see ``archive`` and ``weights_h5``) and
reports any problem as ``ValueError`` naming the file.
"""

import datetime
import io
import json
import os
import warnings
import zipfile

from ... import backend
from . import archive as archive_module
from .atomic import atomic_path
from .compile_config import compile_config
from .deserialization import check_no_code, deserialize_keras_object
from .limits import weight_budget
from .serialization import serialize_keras_object
from .weights_h5 import model_entries, read_entries, write_entries

KERAS_VERSION = "3.15.0"  # the Keras release whose file format ember writes


def _h5py():
    import h5py

    return h5py


def _ask_to_proceed_with_overwrite(filepath):
    """Keras' prompt when ``overwrite=False`` and the file exists; True to go on."""
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def _model_config(model):
    config = serialize_keras_object(model)
    config["compile_config"] = compile_config(model)
    return config


def _metadata():
    from ... import __version__

    return {"keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "ember_version": __version__}


def _weights_bytes(model):
    buffer = io.BytesIO()
    with _h5py().File(buffer, "w") as h5:
        write_entries(h5, model_entries(model))
    return buffer.getvalue()


def _write_archive(fileobj, model):
    config = json.dumps(_model_config(model))
    weights = _weights_bytes(model)
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(archive_module.METADATA, json.dumps(_metadata()))
        zf.writestr(archive_module.CONFIG, config)
        zf.writestr(archive_module.WEIGHTS, weights)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save ``model`` (architecture, weights, optimizer state) as a ``.keras`` archive.

    >>> model.save("model.keras")  # doctest: +SKIP
    """
    save_format = kwargs.pop("save_format", False)
    if save_format and not str(filepath).endswith((".keras", ".h5", ".hdf5")):
        raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove "
                         "this argument and pass a file path with either `.keras` or `.h5` "
                         f"extension.Received: save_format={save_format}")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    if not getattr(model, "built", False):
        warnings.warn("You are saving a model that has not yet been built. It might not contain "
                      "any weights yet. Consider building the model first by calling it on some "
                      "data.", stacklevel=3)
    if isinstance(filepath, io.IOBase):
        _write_archive(filepath, model)
        return
    path = os.fspath(filepath)
    zipped = True if zipped is None else zipped
    if zipped and path.endswith((".h5", ".hdf5")):
        raise ValueError("Saving to the legacy HDF5 model format (.h5) is not supported by "
                         f"ember. Use the native Keras format: a `.keras` path. Received: "
                         f"filepath={path}")
    if zipped and not path.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` "
                         "extension for the native Keras format (recommended) or a `.h5` "
                         f"extension. Received: filepath={path}.")
    if not zipped and path.endswith(".keras"):
        raise ValueError("When using `zipped=False`, the `filepath` argument should not end in "
                         f"`.keras`. Received: filepath={path}")
    if os.path.exists(path) and not overwrite and not _ask_to_proceed_with_overwrite(path):
        return
    if not zipped:
        _save_to_folder(model, path)
        return
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            _write_archive(f, model)


def _save_to_folder(model, folder):
    os.makedirs(folder, exist_ok=True)
    files = {archive_module.METADATA: json.dumps(_metadata()).encode(),
             archive_module.CONFIG: json.dumps(_model_config(model)).encode(),
             archive_module.WEIGHTS: _weights_bytes(model)}
    for name, data in files.items():
        with atomic_path(os.path.join(folder, name)) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)


# ----- loading ---------------------------------------------------------------------------------
def _describe(filepath):
    return f"'{filepath}'" if not isinstance(filepath, io.IOBase) else "the file object"


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by ``model.save`` (ember or Keras 3): rebuilt from its config,
    compiled from its compile config (when ``compile``), weights and optimizer state restored.

    Loading never runs code from the file and leaves ember's random generator untouched.

    >>> model = load_model("model.keras")  # doctest: +SKIP
    """
    where = f"Loading {_describe(filepath)}"
    if isinstance(filepath, io.IOBase):
        with archive_module.Archive(filepath, where) as zf:
            return _load_from_archive(zf, where, custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, archive_module.CONFIG)):
        return _load_from_folder(path, where, custom_objects, compile, safe_mode)
    if path.endswith((".h5", ".hdf5")):
        raise ValueError(f"{where}: legacy HDF5 model files (.h5) are not supported by ember; "
                         "save the model in the native `.keras` format.")
    if not path.endswith(".keras"):
        raise ValueError(f"File format not supported: filepath={path}. Keras 3 only supports V3 "
                         "`.keras` files (and folders written with zipped=False).")
    if not os.path.isfile(path):
        raise ValueError(f"File not found: filepath={path}. Please ensure the file is an "
                         "accessible `.keras` zip file.")
    with archive_module.Archive(path, where) as zf:
        return _load_from_archive(zf, where, custom_objects, compile, safe_mode)


def _load_from_archive(zf, where, custom_objects, compile, safe_mode):
    config = zf.read_json(archive_module.CONFIG)
    weights = zf.read_weights() if zf.has(archive_module.WEIGHTS) else None
    if weights is None:
        raise ValueError(f"{where}: the archive has no '{archive_module.WEIGHTS}' member.")
    return _build_and_fill(config, weights, where, custom_objects, compile, safe_mode)


def _load_from_folder(folder, where, custom_objects, compile, safe_mode):
    def read(name, limit):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise ValueError(f"{where}: the folder has no '{name}'.")
        if os.path.getsize(path) > limit:
            raise ValueError(f"{where}: '{name}' is larger than {limit} bytes.")
        with open(path, "rb") as f:
            return f.read()

    config = archive_module.parse_json(read(archive_module.CONFIG, 64 << 20),
                                       f"{where}: 'config.json'")
    weights = read(archive_module.WEIGHTS, 64 << 30)
    return _build_and_fill(config, weights, where, custom_objects, compile, safe_mode)


def _named(error, where, what):
    """``error`` as a ValueError whose message starts by naming the file."""
    if isinstance(error, ValueError) and str(error).startswith(where):
        return error
    return ValueError(f"{where}: {what}: {type(error).__name__}: {error}")


def _open_weights(data, where):
    try:
        return _h5py().File(io.BytesIO(data), "r")
    except Exception as error:  # h5py reports corruption as OSError, OverflowError, KeyError...
        raise ValueError(f"{where}: '{archive_module.WEIGHTS}' is not a valid HDF5 file: "
                         f"{error}") from error


def stored_weight_bytes(h5file, where):
    """The bytes of all datasets in the file, as declared (each checked against storage)."""
    h5py = _h5py()
    total, stack = 0, [h5file]
    while stack:
        group = stack.pop()
        for name in list(group.keys()):
            link = group.get(name, getlink=True)
            if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                raise ValueError(f"{where}: '{group.name}/{name}' is a link; links are not "
                                 "allowed in weights files.")
            item = group[name]
            if isinstance(item, h5py.Group):
                stack.append(item)
            elif isinstance(item, h5py.Dataset) and item.shape is not None:
                total += min(int(item.size) * item.dtype.itemsize,
                             max(item.id.get_storage_size(), 0) * 1000)
    return total


def _build_and_fill(config, weights, where, custom_objects, compile, safe_mode):
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"{where}: config.json must describe a model (a dict with a "
                         "'class_name').")
    if not compile:
        config = {k: v for k, v in config.items() if k != "compile_config"}
    check_no_code(config, safe_mode, where=f"{where}: config.json")
    h5 = _open_weights(weights, where)
    try:
        try:
            budget = stored_weight_bytes(h5, where)
        except Exception as error:  # corrupted HDF5 structures (OSError, OverflowError...)
            raise _named(error, where, "the weights file is corrupted") from error
        model = _rebuild(config, where, custom_objects, safe_mode, budget)
        try:
            read_entries(h5, model_entries(model), f"{where}: {archive_module.WEIGHTS}")
        except Exception as error:  # h5py reports corruption as OSError/KeyError/RuntimeError
            raise _named(error, where, "cannot read the weights") from error
    finally:
        try:
            h5.close()
        except Exception:  # a corrupted file may fail again on close; the error is reported
            pass
    return model


def _rebuild(config, where, custom_objects, safe_mode, budget):
    """The model described by ``config``, built within the weight budget, with ember's random
    generator restored afterwards (the fresh initial values are overwritten anyway)."""
    from ..layers.base import Layer

    generator = backend.rng()
    state = generator.bit_generator.state
    try:
        with weight_budget(budget, where):
            model = deserialize_keras_object(config, custom_objects=custom_objects,
                                             safe_mode=safe_mode)
    except ValueError as error:
        if str(error).startswith(where):
            raise
        raise ValueError(f"{where}: cannot re-create the model from config.json: {error}") \
            from error
    except (RecursionError, MemoryError) as error:
        raise ValueError(f"{where}: the model in config.json is too large or too deep: "
                         f"{type(error).__name__}") from error
    except Exception as error:  # a layer rejecting its arguments (TypeError, KeyError, ...)
        raise ValueError(f"{where}: cannot re-create the model from config.json: "
                         f"{type(error).__name__}: {error}") from error
    finally:
        generator.bit_generator.state = state
    if not isinstance(model, Layer):
        raise ValueError(f"{where}: config.json describes a {type(model).__name__}, not a model.")
    return model


# ----- weights only ----------------------------------------------------------------------------
def save_weights(model, filepath, overwrite=True):
    """Save the weights (and optimizer state) to a ``.weights.h5`` file, atomically."""
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not getattr(model, "built", False):
        raise ValueError("You are saving a model that has not yet been built. Try building the "
                         "model first by calling it on some data or by using `build()`.")
    if os.path.exists(path) and not overwrite and not _ask_to_proceed_with_overwrite(path):
        return
    entries = model_entries(model)
    with atomic_path(path) as tmp:
        with _h5py().File(tmp, "w") as h5:
            write_entries(h5, entries)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights saved by ``save_weights`` or ``save`` (``.weights.h5`` or ``.keras``)."""
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath)
    where = f"Loading weights from '{path}'"
    if not getattr(model, "built", False):
        raise ValueError("You are loading weights into a model that has not yet been built. Try "
                         "building the model first by calling it on some data or by using "
                         "`build()`.")
    if path.endswith(".keras"):
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}.")
        with archive_module.Archive(path, where) as zf:
            data = zf.read_weights()
    elif path.endswith(".weights.h5"):
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}.")
        with open(path, "rb") as f:
            data = f.read()
    elif path.endswith((".h5", ".hdf5")):
        raise ValueError(f"{where}: legacy HDF5 weight files are not supported; use a "
                         "`.weights.h5` or `.keras` file.")
    else:
        raise ValueError(f"File format not supported: filepath={path}. Expected a "
                         "`.weights.h5` or `.keras` file.")
    h5 = _open_weights(data, where)
    try:
        read_entries(h5, model_entries(model), where, skip_mismatch=skip_mismatch)
    except Exception as error:
        raise _named(error, where, "cannot read the weights") from error
    finally:
        try:
            h5.close()
        except Exception:
            pass


# ----- JSON ------------------------------------------------------------------------------------
def model_to_json(model, **kwargs):
    """The model's config (Keras 3 layout) as a JSON string; ``kwargs`` go to ``json.dumps``."""
    return json.dumps(serialize_keras_object(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from ``to_json()``'s output."""
    config = archive_module.parse_json(json_string, "model_from_json: the string")
    if not isinstance(config, dict):
        raise ValueError("model_from_json: the JSON must describe a model (a dict).")
    return deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=True)


__all__ = ["load_model", "load_weights", "model_from_json", "model_to_json", "save_model",
           "save_weights"]
