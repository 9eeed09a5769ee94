"""Functional model configs in Keras 3's layout, and Keras' layer order.

A config lists the layers (each with ``name`` and ``inbound_nodes``: the arguments of every call
of that layer inside the model, symbolic tensors written as ``__keras_tensor__`` entries with a
``keras_history`` of ``[layer name, node index, tensor index]``), then ``input_layers`` and
``output_layers``. Node indices count only the calls that belong to the model (with Keras'
offset for nested Functional models in ``input_layers``/``output_layers``).
"""

from collections import defaultdict

from ..keras_tensor import KerasTensor, flatten, map_structure
from ..saving_config import deserialize_layer, serialize_layer


def _node_of(tensor):
    layer, node_index, _ = tensor._history
    return layer._inbound_nodes[node_index]


def _is_functional(layer):
    from .functional import Functional

    return isinstance(layer, Functional)


def keras_graph(model):
    """``(layers, nodes)``: the model's layers in Keras' order (by depth from the outputs, ties
    in first-visit order, as ``keras.src.ops.function.map_graph``) and the set of node ids."""
    finished, order, first_seen = set(), [], {}
    for output in flatten(model._outputs_struct):
        stack = [(output, False)]
        while stack:
            tensor, expanded = stack.pop()
            node = _node_of(tensor)
            if expanded:
                if id(node) not in finished:
                    finished.add(id(node))
                    order.append(node)
                continue
            if id(node) in finished:
                continue
            first_seen.setdefault(node.layer, len(first_seen))
            stack.append((tensor, True))
            for parent in reversed(node.input_tensors):
                stack.append((parent, False))
    node_depth, layer_depth = {}, {}
    in_graph = {id(n) for n in order}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[id(node)] = depth
        for tensor in node.input_tensors:
            parent = _node_of(tensor)
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in flatten(model._inputs_struct):
        layer = tensor._history[0]
        if layer not in layer_depth:
            layer_depth[layer] = 0
            first_seen[layer] = -1
            in_graph.add(id(_node_of(tensor)))
    by_depth = defaultdict(list)
    for layer, depth in layer_depth.items():
        by_depth[depth].append(layer)
    layers = []
    for depth in sorted(by_depth, reverse=True):
        layers.extend(sorted(by_depth[depth], key=lambda item: first_seen[item]))
    return layers, in_graph


def _kept_index(layer, node_index, own_nodes, model_io=False):
    """``node_index`` counted over the layer's nodes that belong to the model. As in Keras, a
    nested Functional model's index is one higher in ``input_layers``/``output_layers`` (Keras
    counts its own input-to-output node there), but not inside ``inbound_nodes``."""
    skipped = sum(1 for node in layer._inbound_nodes[:node_index] if id(node) not in own_nodes)
    return node_index - skipped + (1 if model_io and _is_functional(layer) else 0)


def _serialize_value(value, own_nodes):
    if isinstance(value, KerasTensor):
        layer, node_index, tensor_index = value._history
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(value.shape), "dtype": value.dtype,
                           "keras_history": [layer.name, _kept_index(layer, node_index, own_nodes),
                                             tensor_index]}}
    if isinstance(value, (list, tuple)):
        return [_serialize_value(item, own_nodes) for item in value]
    if isinstance(value, dict):
        return {key: _serialize_value(item, own_nodes) for key, item in value.items()}
    from ..saving.serialization import serialize_keras_object

    return serialize_keras_object(value)


# ember's SymbolicOperation (``x + y`` on symbolic tensors) <-> Keras' operations of that name
_KERAS_OPERATIONS = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply",
                     "divide": "TrueDivide", "matmul": "Matmul", "power": "Power",
                     "negative": "Negative"}
_EMBER_OPERATIONS = {name: op for op, name in _KERAS_OPERATIONS.items()}
_EMBER_OPERATIONS["Divide"] = "divide"


def _operation_config(layer, own_nodes):
    """A Python operator in the graph, written as Keras writes ``keras.src.ops.numpy`` ops:
    positional arguments, the constant (if any) in its place."""
    nodes = []
    for node in layer._inbound_nodes:
        if id(node) not in own_nodes:
            continue
        inputs = node.call_args[0]
        if isinstance(inputs, (list, tuple)):
            args = list(inputs)
        elif layer.constant is None:
            args = [inputs]
        else:
            args = [layer.constant, inputs] if layer.constant_first else [inputs, layer.constant]
        nodes.append({"args": _serialize_value(args, own_nodes), "kwargs": {}})
    name = _KERAS_OPERATIONS[layer.operation]
    return {"module": "keras.src.ops.numpy", "class_name": name, "config": {"name": layer.name},
            "registered_name": name, "name": layer.name, "inbound_nodes": nodes}


def _operation_layer(entry, nodes, name):
    """The SymbolicOperation for a Keras operation entry, its constant taken from the call."""
    from ..layers.operation import SymbolicOperation

    operation = _EMBER_OPERATIONS[entry["class_name"]]
    constant, constant_first = None, False
    first = nodes[0] if nodes and isinstance(nodes[0], dict) else {}
    args = first.get("args", []) if isinstance(first.get("args"), list) else []
    tensors = [isinstance(a, dict) and a.get("class_name") == "__keras_tensor__" for a in args]
    if len(args) == 2 and tensors.count(True) == 1:
        constant_first = not tensors[0]
        constant = _revive(args[0 if constant_first else 1], {})
        if isinstance(constant, list):
            import numpy as np

            constant = np.asarray(constant)
    return SymbolicOperation(operation, constant=constant, constant_first=constant_first,
                             name=name)


def _is_operation_entry(entry):
    module = entry.get("module")
    return isinstance(module, str) and module.startswith("keras.src.ops") and \
        entry.get("class_name") in _EMBER_OPERATIONS


def _operation_call(args):
    """SymbolicOperation's calling convention: a list of two tensors, or one tensor."""
    tensors = [a for a in args if isinstance(a, KerasTensor)]
    if not tensors:
        raise ValueError("Invalid operation node: it has no symbolic input.")
    return ([tensors[0], tensors[1]],) if len(tensors) == 2 else (tensors[0],)


def _build_parameters(layer):
    import inspect

    try:
        parameters = list(inspect.signature(type(layer).build).parameters)[1:]
    except (TypeError, ValueError):
        return []
    return [name for name in parameters if name.endswith("_shape")]


def _build_config(layer, own_nodes):
    """Keras' build config for a layer whose ``build`` takes several shapes (MultiHeadAttention:
    ``{"shapes_dict": {"query_shape": ..., "value_shape": ...}}``), from its first call."""
    names = _build_parameters(layer)
    if len(names) < 2:
        return None
    node = next(n for n in layer._inbound_nodes if id(n) in own_nodes)
    shapes = {}
    for name, value in zip(names, node.call_args):
        if isinstance(value, KerasTensor):
            shapes[name] = list(value.shape)
    for key, value in node.call_kwargs.items():
        if f"{key}_shape" in names and isinstance(value, KerasTensor):
            shapes[f"{key}_shape"] = list(value.shape)
    if len(shapes) == 1:
        return {"input_shape": next(iter(shapes.values()))}
    return {"shapes_dict": shapes} if shapes else None


def functional_config(model):
    """The Keras 3 config of a functional model: name, trainable, layers (with inbound nodes),
    input_layers and output_layers."""
    layers, own_nodes = keras_graph(model)
    layer_configs = []
    for layer in layers:
        if type(layer).__name__ == "SymbolicOperation":
            layer_configs.append(_operation_config(layer, own_nodes))
            continue
        nodes = []
        for node in layer._inbound_nodes:
            if id(node) in own_nodes and node.input_tensors:
                nodes.append({"args": _serialize_value(list(node.call_args), own_nodes),
                              "kwargs": _serialize_value(dict(node.call_kwargs), own_nodes)})
        config = serialize_layer(layer)
        if "build_config" in config and nodes:
            config["build_config"] = _build_config(layer, own_nodes) or config["build_config"]
        config["name"] = layer.name
        config["inbound_nodes"] = nodes
        layer_configs.append(config)

    def tensor_config(tensor):
        layer, node_index, tensor_index = tensor._history
        return [layer.name, _kept_index(layer, node_index, own_nodes, model_io=True),
                tensor_index]

    return {"name": model.name, "trainable": model.trainable, "layers": layer_configs,
            "input_layers": map_structure(tensor_config, model._inputs_struct),
            "output_layers": map_structure(tensor_config, model._outputs_struct)}


class _NotReady(Exception):
    """A node refers to a call of another layer that has not been re-created yet."""


def _tensor_from(history, created, model_io=False):
    if not (isinstance(history, list) and len(history) == 3 and isinstance(history[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0
                    for i in history[1:])):
        raise ValueError(f"Invalid keras_history {history!r:.100}: expected [layer name, node "
                         "index, tensor index].")
    name, node_index, tensor_index = history
    if name not in created:
        raise ValueError(f"The config refers to an unknown layer '{name}'.")
    layer = created[name]
    if model_io and _is_functional(layer):
        node_index -= 1
    if node_index < 0:
        raise ValueError(f"Invalid node index {history[1]} for layer '{name}'.")
    if node_index >= len(layer._inbound_nodes):
        raise _NotReady(name)
    outputs = layer._inbound_nodes[node_index].output_tensors
    if tensor_index >= len(outputs):
        raise ValueError(f"Layer '{name}' has {len(outputs)} output(s); the config asks for "
                         f"output {tensor_index}.")
    return outputs[tensor_index]


def _revive(value, created):
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            inner = value.get("config")
            if not isinstance(inner, dict):
                raise ValueError("Invalid __keras_tensor__ entry: its config must be a dict.")
            return _tensor_from(inner.get("keras_history"), created)
        if "class_name" in value and "config" in value:
            from ..saving.deserialization import _deserialize

            return _deserialize(value, None, 1)
        return {key: _revive(item, created) for key, item in value.items()}
    if isinstance(value, list):
        return [_revive(item, created) for item in value]
    return value


def _node_call(node_data, created):
    """``(args, kwargs)`` of one saved layer call (Keras 3 or the Keras 2 list format)."""
    if isinstance(node_data, dict):
        args = _revive(node_data.get("args", []), created)
        kwargs = _revive(node_data.get("kwargs", {}) or {}, created)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ValueError("Invalid inbound node: `args` must be a list and `kwargs` a dict.")
        if not all(isinstance(key, str) for key in kwargs):
            raise ValueError("Invalid inbound node: keyword names must be strings.")
        return args, kwargs
    if isinstance(node_data, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
        tensors, kwargs = [], {}
        for entry in node_data:
            if not isinstance(entry, list) or len(entry) not in (3, 4):
                raise ValueError(f"Invalid inbound node entry: {entry!r:.100}")
            tensors.append(_tensor_from(list(entry[:3]), created))
            if len(entry) == 4 and isinstance(entry[3], dict):
                kwargs = _revive(entry[3], created)
        return [tensors[0] if len(tensors) == 1 else tensors], kwargs
    raise ValueError(f"Invalid inbound node: {node_data!r:.100}")


def _known_kwargs(layer, kwargs):
    """Call keywords without those that are None and not taken by this layer's ``call`` (Keras
    records defaults such as ``mask=None`` that ember's layers may not name)."""
    import inspect

    try:
        parameters = inspect.signature(type(layer).call).parameters
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if v is not None or k in parameters}


def _check_config(config):
    if not isinstance(config, dict):
        raise ValueError(f"A Functional config must be a dict. Received: {config!r:.100}")
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"Invalid Functional config: the key '{key}' is missing.")
    if not isinstance(config["layers"], list):
        raise ValueError("Invalid Functional config: `layers` must be a list.")


def functional_from_config(cls, config, custom_objects=None):
    """Re-create a functional model (of class ``cls``) from ``functional_config``'s output or a
    Keras 3 Functional config: layers are created, then called in dependency order."""
    _check_config(config)
    created, pending = {}, []
    for layer_data in config["layers"]:
        if not isinstance(layer_data, dict):
            raise ValueError(f"Invalid layer entry in a Functional config: {layer_data!r:.100}")
        name = layer_data.get("name")
        nodes = layer_data.get("inbound_nodes", [])
        if not isinstance(name, str) or name in created:
            raise ValueError(f"Invalid Functional config: layer names must be unique strings. "
                             f"Received: name={name!r:.100}")
        if not isinstance(nodes, list):
            raise ValueError(f"Invalid Functional config: `inbound_nodes` of '{name}' must be a "
                             "list.")
        entry = {k: v for k, v in layer_data.items() if k not in ("name", "inbound_nodes")}
        if nodes:  # it is built by its first call, with the shapes that call gives
            entry.pop("build_config", None)
        if _is_operation_entry(entry):
            layer = _operation_layer(entry, nodes, name)
        else:
            layer = deserialize_layer(entry, custom_objects)
        if layer.name != name:
            layer._name = name
        created[name] = layer
        pending.append([layer, list(nodes)])
    while any(nodes for _, nodes in pending):
        progress = False
        for item in pending:
            layer, nodes = item
            while nodes:
                try:
                    args, kwargs = _node_call(nodes[0], created)
                except _NotReady:
                    break
                if type(layer).__name__ == "SymbolicOperation":
                    args, kwargs = _operation_call(args), {}
                layer(*args, **_known_kwargs(layer, kwargs))
                nodes.pop(0)
                progress = True
        if not progress:
            stuck = [layer.name for layer, nodes in pending if nodes]
            raise ValueError("Invalid Functional config: the graph has loops or disconnected "
                             f"nodes. Layers whose calls could not be resolved: {stuck}")

    def tensors(value):
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
            try:
                return _tensor_from(value, created, model_io=True)
            except _NotReady as error:
                raise ValueError(f"Invalid Functional config: layer '{value[0]}' has no node "
                                 f"{value[1]}.") from error
        if isinstance(value, dict):
            return {key: tensors(item) for key, item in value.items()}
        if isinstance(value, list) and value:
            return [tensors(item) for item in value]
        raise ValueError(f"Invalid input_layers/output_layers entry: {value!r:.100}")

    inputs = tensors(config["input_layers"])
    outputs = tensors(config["output_layers"])
    name = config.get("name")
    trainable = config.get("trainable", True)
    return cls(inputs=inputs, outputs=outputs, name=name if isinstance(name, str) else None,
               trainable=bool(trainable) if trainable is not None else True)


__all__ = ["functional_config", "functional_from_config", "keras_graph"]
