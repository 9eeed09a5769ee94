"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

The layout is Keras' (``K:keras/src/utils/summary_utils.py``): a heavy-box table drawn with
``rich`` when it is installed (colours on a terminal), and the same characters drawn here when it
is not, so the text never depends on an optional package::

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                   │ (None, 64)             │         1,408 │
    └─────────────────────────────────┴────────────────────────┴───────────────┘
     Total params: 1,408 (5.50 KB)
     Trainable params: 1,408 (5.50 KB)
     Non-trainable params: 0 (0.00 B)
"""

import re
import shutil
import sys

import numpy as np

from . import summary_render

# Keras' colours: numbers, None in shapes, class names
_NUMBER, _NONE, _SYMBOL = "color(34)", "color(45)", "color(33)"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print ``model``'s summary table (what ``model.summary()`` calls).

    Args:
        model: a ``Sequential``, functional or subclassed model.
        line_length: total width; defaults to 88 (108 with a "Connected to" column), capped at
            the terminal width minus 4.
        positions: where each column ends, as fractions of ``line_length`` (or absolute).
        print_fn: called once with the whole summary as plain text; default: print to stdout
            (with colours on a terminal).
        expand_nested: also list the layers inside nested models, marked ``└``.
        show_trainable: add a ``Trainable`` column (Y/N, ``-`` for layers without weights).
        layer_range: ``(first, last)`` layer names (or regexes) to show, both included.

    >>> from ember import keras
    >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    >>> lines = []
    >>> model.summary(print_fn=lines.append)
    >>> print(lines[0].splitlines()[-3])
     Total params: 10 (40.00 B)
    """
    layers, sequential_like, relevant_nodes = _layout(model)
    if sequential_like:
        default_length = 88
        positions = positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        alignment = ["left", "left", "right"]
    else:
        default_length = 108
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    widths = _column_widths(positions, line_length)

    def rows_of(layer, level=0):
        prefix = "   " * level + "└ " if level else ""
        rows = [_layer_fields(layer, prefix, sequential_like, relevant_nodes, show_trainable)]
        inner = getattr(layer, "layers", None) if expand_nested else None
        for sub in inner or []:
            rows.extend(rows_of(sub, level + 1))
        return rows

    start, stop = _layer_index_bounds(layers, layer_range)
    rows = [row for layer in layers[start:stop] for row in rows_of(layer)]
    title = [(f'Model: "{model.name}"', "bold")]
    table = summary_render.TableSpec(header, alignment, widths, rows, line_length)
    footer = [[(f" {label}: ", "bold"), (f"{count:,}", _NUMBER), (f" ({_readable(size)})", None)]
              for label, count, size in _param_totals(model)]
    capture = print_fn is not None
    text = summary_render.render(title, table, footer, capture)
    if capture:
        print_fn(text)
    elif text is not None:  # drawn without rich
        sys.stdout.write(text)
        sys.stdout.flush()


# ----- which layers, which layout ---------------------------------------------------------------
def _layout(model):
    """The layers to list, whether the model is a plain chain, and the model's own nodes."""
    from .functional import Functional

    layers = list(model.layers)
    nodes = getattr(model, "_nodes", None)
    if not isinstance(model, Functional) or nodes is None:
        return layers, True, None
    relevant = {id(node) for node in nodes}
    return layers, _is_chain(nodes), relevant


def _is_chain(nodes):
    """A functional graph prints like a Sequential one when it has no branches, no merges and
    no shared layers: every depth (distance from the outputs) holds one node of one input."""
    if any(len(node.input_tensors) > 1 for node in nodes):
        return False
    depth = {}
    for node in reversed(nodes):  # nodes come inputs first
        d = depth.setdefault(id(node), 0)
        for parent in node.parent_nodes:
            depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    if len(set(depth.values())) != len(depth):
        return False
    layers = [node.layer for node in nodes]
    return len({id(layer) for layer in layers}) == len(layers)


def _layer_index_bounds(layers, layer_range):
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: "
            f"{layer_range}"
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _column_widths(positions, line_length):
    if positions[-1] <= 1:
        positions = [int(p * line_length) for p in positions]
    widths, current = [], 0
    for position in positions:
        width = int(position) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    return widths


# ----- cells: lists of (text, style) segments ----------------------------------------------------
def _layer_fields(layer, prefix, sequential_like, relevant_nodes, show_trainable):
    name = [(f"{prefix}{layer.name} (", None), (type(layer).__name__, _SYMBOL), (")", None)]
    if not hasattr(layer, "built"):
        params = [("0", _NUMBER)]
    elif not layer.built:
        params = [("0", _NUMBER), (" (unbuilt)", None)]
    else:
        params = [(f"{layer.count_params():,}", _NUMBER)]
    fields = [name, _shape_cell(layer), params]
    if not sequential_like:
        fields.append(_connections(layer, relevant_nodes))
    if show_trainable:
        if not getattr(layer, "weights", None):
            fields.append([("-", "bold")])
        elif layer.trainable:
            fields.append([("Y", f"bold {_NUMBER}")])
        else:
            fields.append([("N", "bold color(9)")])
    return fields


def _shape_cell(layer):
    try:
        shape = layer.output_shape
    except AttributeError:
        return [("?", None)]
    if shape is None:
        return [("?", None)]
    return _shape_segments(shape)


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _shape_segments(value):
    """``(None, 26, 26, 32)`` (Keras joins the sizes, so rank 1 is ``(None)``); several
    outputs as ``[(None, 3), (None, 4)]`` or ``{a: (None, 3)}``."""
    if _is_shape(value):
        out = [("(", None)]
        for i, size in enumerate(value):
            if i:
                out.append((", ", None))
            out.append((str(size), _NONE if size is None else _NUMBER))
        return out + [(")", None)]
    if isinstance(value, dict):
        items = [[(f"{key}: ", None)] + _shape_segments(v) for key, v in value.items()]
        brackets = ("{", "}")
    else:
        items = [_shape_segments(v) for v in value]
        brackets = ("[", "]") if isinstance(value, list) else ("(", ")")
    out = [(brackets[0], None)]
    for i, item in enumerate(items):
        if i:
            out.append((", ", None))
        out.extend(item)
    return out + [(brackets[1], None)]


def _connections(layer, relevant_nodes):
    out = []
    for node in layer._inbound_nodes:
        if relevant_nodes and id(node) not in relevant_nodes:
            continue  # a call of this layer outside this model
        for tensor in node.input_tensors:
            inbound, node_index, tensor_index = tensor._history
            if out:
                out.append((", ", None))
            out += [(f"{inbound.name}[", None), (str(node_index), _NUMBER), ("][", None),
                    (str(tensor_index), _NUMBER), ("]", None)]
    return out or [("-", None)]


# ----- totals ------------------------------------------------------------------------------------
def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _memory(weights):
    unique = {id(w): w for w in weights}.values()
    return sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in unique)


def _param_totals(model):
    """(label, count, bytes) for each footer line; the total includes the optimizer's."""
    trainable = list(model.trainable_weights)
    non_trainable = list(model.non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    optimizer_vars = None
    if getattr(model, "compiled", False) and optimizer is not None:
        variables = list(getattr(optimizer, "variables", None) or [])
        if getattr(optimizer, "built", bool(variables)):
            optimizer_vars = variables
    groups = [("Trainable params", trainable), ("Non-trainable params", non_trainable)]
    if optimizer_vars is not None:
        groups.append(("Optimizer params", optimizer_vars))
    lines = [(label, _count(ws), _memory(ws)) for label, ws in groups]
    total = ("Total params", sum(c for _, c, _ in lines), sum(m for _, _, m in lines))
    return [total] + lines


def _readable(size):
    """Bytes with 1024 steps: ``22.00 KB``."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"
