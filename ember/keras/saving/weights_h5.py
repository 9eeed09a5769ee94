"""The HDF5 weights tree Keras 3 writes (``model.weights.h5`` and ``.weights.h5`` files).

Groups follow attribute paths, not layer names: a Sequential/Functional model keeps its layers
under ``layers/<snake_case(ClassName)>[_n]`` (``n`` counts within the model), a layer's own
variables are datasets ``<path>/vars/0, 1, ...`` (trainable first, then non-trainable), its
sub-layers live under their attribute names (``layers/lstm/cell/vars/0``), the model's own
variables under the root ``vars`` group and the optimizer state under ``optimizer/vars``.

Reading checks every group and dataset before touching its data: links, external or virtual
datasets, non-numeric dtypes, wrong shapes and counts raise ``ValueError`` naming the file and
the path, and no data is read unless its declared shape equals the variable's.
"""

import math

import numpy as np

from ..naming import to_snake_case

_SKIPPED_ATTRIBUTES = {"_inbound_nodes", "_model", "_output_layers", "_input_layers", "_parent",
                       "_step_cache", "optimizer"}
_CONTAINER_ATTRIBUTES = {"_layers", "_input_layer", "_nodes", "inputs", "outputs",
                         "_inputs_struct", "_outputs_struct"}
# Ops of a functional graph that Keras records as operations, not layers (no weights group).
_NOT_KERAS_LAYERS = {"SymbolicOperation"}
_MAX_EXPANSION = 1000  # declared / stored bytes allowed for a compressed dataset
_SMALL = 1 << 20


class Entry:
    """One ``vars`` group: its path, the owner's name (the group's ``name`` attribute) and the
    variables stored there in order."""

    __slots__ = ("path", "name", "variables", "owner")

    def __init__(self, path, name, variables, owner=None):
        self.path, self.name, self.variables, self.owner = path, name, variables, owner

    @property
    def vars_path(self):
        return f"{self.path}/vars" if self.path else "vars"


def _join(path, name):
    return f"{path}/{name}" if path else name


def _own_variables(layer):
    own = layer._direct_variables()
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def container_layers(model):
    """The layers a Sequential/Functional model keeps under ``layers/`` (Keras' order), or None
    for other layers."""
    from ..models.functional import Functional
    from ..models.sequential import Sequential

    if isinstance(model, Functional):
        from ..models.functional_config import keras_graph

        return [layer for layer in keras_graph(model)[0]
                if type(layer).__name__ not in _NOT_KERAS_LAYERS]
    if isinstance(model, Sequential):
        return list(model.layers)
    return None


def _container_names(items):
    """Keras' names inside a container: snake_case class name, ``_1``, ``_2`` for repeats."""
    used, names = {}, []
    for item in items:
        base = to_snake_case(type(item).__name__) if not isinstance(item, (list, tuple, dict)) \
            else "container"
        if base in used:
            used[base] += 1
            names.append(f"{base}_{used[base]}")
        else:
            used[base] = 0
            names.append(base)
    return names


def layer_entries(layer, path="", seen=None):
    """Every ``vars`` group of ``layer`` and its sub-layers, in Keras' visiting order."""
    from ..layers.base import Layer

    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    entries = [Entry(path, layer.name, _own_variables(layer), layer)]
    children = []
    contained = container_layers(layer)
    if contained is not None:
        children.append(("layers", contained))
    skipped = _SKIPPED_ATTRIBUTES | (_CONTAINER_ATTRIBUTES if contained is not None else set())
    attributes = []
    for key, value in layer.__dict__.items():
        if key in skipped or key.startswith("__"):
            continue
        attributes.append((_public_name(layer, key, value), value))
    attributes.sort(key=lambda kv: "~" + kv[0][1:] if kv[0].startswith("_") else kv[0])
    for key, value in attributes:
        if isinstance(value, Layer) or (isinstance(value, (list, tuple, dict)) and
                                        _holds_layers(value)):
            children.append((key, value))
    for key, value in children:
        child_path = _join(path, key)
        if isinstance(value, Layer):
            entries.extend(layer_entries(value, child_path, seen))
        else:
            entries.extend(_container_entries(value, child_path, seen))
    return entries


def _public_name(layer, key, value):
    """Keras walks ``dir(layer)``, so a sub-layer kept in ``_x`` but exposed by a property ``x``
    is saved under ``x`` (MultiHeadAttention's ``query_dense``)."""
    if key.startswith("_") and isinstance(getattr(type(layer), key[1:], None), property):
        try:
            if getattr(layer, key[1:]) is value:
                return key[1:]
        except Exception:  # a property that cannot be evaluated now: keep the attribute name
            pass
    return key


def _holds_layers(value, depth=0):
    from ..layers.base import Layer

    if depth > 8:
        return False
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(item, Layer) or (isinstance(item, (list, tuple, dict))
                                           and _holds_layers(item, depth + 1)) for item in items)


def _container_entries(container, path, seen):
    from ..layers.base import Layer

    items = list(container.values()) if isinstance(container, dict) else list(container)
    items = [item for item in items if isinstance(item, (Layer, list, tuple, dict))]
    entries = []
    for name, item in zip(_container_names(items), items):
        if isinstance(item, Layer):
            entries.extend(layer_entries(item, _join(path, name), seen))
        else:
            entries.extend(_container_entries(item, _join(path, name), seen))
    return entries


def model_entries(model, include_optimizer=True):
    """The model's groups, then ``optimizer/vars`` when the optimizer holds state."""
    entries = layer_entries(model)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(optimizer, "built", False):
        entries.append(Entry("optimizer", getattr(optimizer, "name", "optimizer"),
                             list(optimizer.variables), optimizer))
    return entries


# ----- writing ---------------------------------------------------------------------------------
def write_entries(h5file, entries):
    """Write every entry's variables into the open (writable) ``h5py.File``."""
    for entry in entries:
        group = h5file.require_group(entry.vars_path)
        group.attrs["name"] = str(entry.name)
        for index, variable in enumerate(entry.variables):
            data = np.asarray(variable.data if hasattr(variable, "data") else variable)
            group.create_dataset(str(index), data=np.array(data, order="C", copy=True))


# ----- reading ---------------------------------------------------------------------------------
def _safe_child(h5py, group, name, where):
    link = group.get(name, getlink=True)
    if link is None:
        return None
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise ValueError(f"{where}: '{name}' is a {type(link).__name__}; links are not "
                         "allowed in weights files.")
    return group[name]


def safe_group(h5py, h5file, path, where):
    """The group at ``path`` (None if absent), refusing links and non-group objects."""
    current = h5file
    for part in path.split("/"):
        if not part:
            raise ValueError(f"{where}: invalid group path '{path}'.")
        if not isinstance(current, h5py.Group):
            raise ValueError(f"{where}: '{path}' is not a group.")
        current = _safe_child(h5py, current, part, where)
        if current is None:
            return None
    if not isinstance(current, h5py.Group):
        raise ValueError(f"{where}: '{path}' is a {type(current).__name__}, expected a group.")
    return current


def read_dataset(h5py, group, key, variable, where):
    """The values of ``group[key]`` for ``variable``, after checking kind, shape and size."""
    dataset = _safe_child(h5py, group, key, where)
    path = f"{group.name.lstrip('/')}/{key}"
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{where}: '{path}' is not a dataset.")
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"{where}: '{path}' is an external or virtual dataset; not allowed.")
    source, target = dataset.dtype, np.dtype(variable.data.dtype)
    if source.kind not in "biuf" or source.subdtype is not None or source.fields:
        raise ValueError(f"{where}: '{path}' holds {source} values; expected a numeric array "
                         f"for '{getattr(variable, 'path', '?')}' ({target}).")
    if target.kind == "f" and source.kind not in "biuf" or \
            target.kind in "iu" and source.kind not in "biu":
        raise ValueError(f"{where}: '{path}' holds {source} values; variable "
                         f"'{getattr(variable, 'path', '?')}' is {target}.")
    shape = tuple(dataset.shape) if dataset.shape is not None else None
    if shape != tuple(variable.data.shape):
        raise ValueError(f"{where}: '{path}' has shape {shape}; variable "
                         f"'{getattr(variable, 'path', '?')}' expects "
                         f"{tuple(variable.data.shape)}.")
    declared = math.prod(shape) * source.itemsize
    stored = dataset.id.get_storage_size()
    if declared > _SMALL and declared > _MAX_EXPANSION * max(stored, 1):
        raise ValueError(f"{where}: '{path}' declares {declared} bytes but stores {stored}; "
                         "refusing a possible decompression bomb.")
    try:
        values = dataset[()]
    except (OSError, RuntimeError, KeyError, TypeError) as error:
        raise ValueError(f"{where}: cannot read '{path}': {error}") from error
    values = np.asarray(values)
    if values.shape != tuple(variable.data.shape):
        raise ValueError(f"{where}: '{path}' read as shape {values.shape}.")
    return values.astype(target, copy=False)


def read_entries(h5file, entries, where, skip_mismatch=False):
    """Assign every entry's variables from the open ``h5py.File``. With ``skip_mismatch``,
    entries whose count or shapes differ are skipped with a warning instead of an error."""
    import warnings

    import h5py

    pending = []
    for entry in entries:
        if entry.path == "optimizer" and "optimizer" not in h5file:
            continue  # saved before the optimizer was built: its fresh state is the right one
        try:
            pending.extend(_entry_values(h5py, h5file, entry, where))
        except ValueError as error:
            if entry.path == "optimizer":  # as Keras: optimizer state that does not fit is skipped
                warnings.warn(f"Skipping variable loading for optimizer '{entry.name}': {error}",
                              stacklevel=3)
                continue
            if not skip_mismatch:
                raise
            warnings.warn(f"Skipping loading weights for '{entry.name}': {error}", stacklevel=3)
    for variable, values in pending:  # assign only once everything has been checked
        variable.assign(values)


def _entry_values(h5py, h5file, entry, where):
    group = safe_group(h5py, h5file, entry.vars_path, where)
    keys = sorted(group.keys()) if group is not None else []
    expected = len(entry.variables)
    if len(keys) != expected or keys != sorted(str(i) for i in range(expected)):
        raise ValueError(
            f"{where}: layer '{entry.name}' expected {expected} variables, but received "
            f"{len(keys)} variables during loading (group '{entry.vars_path}'). Expected: "
            f"{[getattr(v, 'path', getattr(v, 'name', '?')) for v in entry.variables]}")
    return [(variable, read_dataset(h5py, group, str(index), variable, where))
            for index, variable in enumerate(entry.variables)]


__all__ = ["Entry", "container_layers", "layer_entries", "model_entries", "read_entries",
           "write_entries"]
