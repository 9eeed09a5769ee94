"""Functional models: a graph of layer calls from ``keras.Input`` tensors to outputs."""

from ..keras_tensor import KerasTensor, flatten, map_structure
from ..layers.input_layer import InputLayer
from ..layers.input_spec import InputSpec
from ..registry import builtin
from .model import Model
from .sequential import _cast_to_input_dtype


def _ordered_nodes(outputs):
    """The nodes between the inputs and ``outputs``, each after the nodes it depends on."""
    order, visited = [], set()
    stack = [(t._history[0]._inbound_nodes[t._history[1]], False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parent_nodes):
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


@builtin("models")
class Functional(Model):
    """A model defined by ``Model(inputs, outputs)``; inputs and outputs may be lists or dicts.

    >>> from ember import keras
    >>> inputs = keras.Input(shape=(4,))
    >>> outputs = keras.layers.Dense(2)(keras.layers.Dense(8, activation="relu")(inputs))
    >>> keras.Model(inputs, outputs).output_shape
    (None, 2)
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for t in flatten(inputs) + flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Model(inputs, outputs): all inputs and outputs must be symbolic tensors "
                    f"made from keras.Input. Received: {t!r:.100}")
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        self._nodes = _ordered_nodes(self.outputs)
        known = {id(t) for t in self.inputs}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) and id(node.outputs) not in known:
                raise ValueError(
                    f"Model(inputs, outputs): output depends on the input '{node.layer.name}', "
                    f"which is not among the model's inputs {[t.name for t in self.inputs]}.")
        self._layers = []
        for node in self._nodes:
            if node.layer not in self._layers:
                self._layers.append(node.layer)
        self.input_names = [t._history[0].name for t in self.inputs]
        self.output_names = [t._history[0].name for t in self.outputs]
        self.input_spec = [InputSpec(shape=t.shape) for t in self.inputs]
        self.built = True
        self._build_shapes = map_structure(lambda t: t.shape, inputs)
        self._output_shape_cache = map_structure(lambda t: t.shape, outputs)

    @property
    def layers(self):
        return list(self._layers)

    def _direct_sublayers(self):
        return list(self._layers)

    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self):
        return self._output_shape_cache

    def call(self, inputs, training=None, mask=None):
        values = {}
        given = self._match_inputs(inputs)
        for tensor, value in zip(self.inputs, given):
            values[id(tensor)] = _cast_to_input_dtype(value, tensor._history[0])
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue

            def resolve(item):
                return values[id(item)] if isinstance(item, KerasTensor) else item

            args = map_structure(resolve, list(node.call_args))
            kwargs = map_structure(resolve, dict(node.call_kwargs))
            outputs = node.layer(*args, **kwargs)  # `training` travels in the call context
            for symbolic, concrete in zip(node.output_tensors, flatten(outputs)):
                values[id(symbolic)] = concrete
        return map_structure(lambda t: values[id(t)], self._outputs_struct)

    def _match_inputs(self, inputs):
        """The given inputs in the order of ``self.inputs`` (a dict is matched by name)."""
        if isinstance(inputs, dict):
            names = [t._history[0].name for t in self.inputs]
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}': missing inputs {missing}. Expected keys "
                                 f"{names}. Received keys {list(inputs)}")
            return [inputs[n] for n in names]
        given = flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(given) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), but it "
                             f"received {len(given)} input tensors.")
        return given

    def get_config(self):
        from .functional_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects)
