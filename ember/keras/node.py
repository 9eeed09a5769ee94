"""Layer calls on symbolic tensors: the nodes of a functional graph and shape inference."""

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from .keras_tensor import KerasTensor, flatten, map_structure


class Node:
    """One call of ``layer`` on symbolic inputs: what went in, what came out."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_structure = call_args[0]
        self.input_tensors = [
            t for t in flatten(list(call_args)) + flatten(list(call_kwargs.values()))
            if isinstance(t, KerasTensor)
        ]
        self.output_tensors = flatten(outputs)

    @property
    def parent_nodes(self):
        parents = []
        for t in self.input_tensors:
            layer, index, _ = t._history
            parents.append(layer._inbound_nodes[index])
        return parents


def _dummy_inputs(structure, size):
    """Concrete tensors standing in for KerasTensors, unknown sizes replaced by ``size``."""

    def make(value):
        if not isinstance(value, KerasTensor):
            return value
        shape = tuple(size if d is None else d for d in value.shape)
        dtype = np.dtype(value.dtype)
        fill = 0 if dtype.kind in "iub" else 0.5
        return Tensor(np.full(shape, fill, dtype))

    return map_structure(make, structure)


def _infer(layer, args, kwargs):
    """Output shapes and dtypes of ``layer(*args, **kwargs)`` on symbolic inputs.

    The layer runs twice on small concrete stand-ins whose unknown sizes differ (2, then 3);
    output sizes that change between the runs are unknown (None). This works for every layer,
    user layers included, without a per-layer shape rule.
    """
    from .layers.context import call_context

    runs = []
    previous_training = call_context.training
    call_context.training = False
    try:
        with no_grad():
            for size in (2, 3):
                outputs = layer(*_dummy_inputs(list(args), size), **_dummy_inputs(kwargs, size))
                runs.append(outputs)
    except Exception as error:
        shapes = map_structure(lambda t: getattr(t, "shape", t), list(args))
        raise type(error)(
            f"Error while calling layer '{layer.name}' ({type(layer).__name__}) on inputs of "
            f"shape {shapes[0] if len(shapes) == 1 else shapes}: {error}"
        ) from error
    finally:
        call_context.training = previous_training

    def describe(a, b):
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return shape, a.dtype

    first, second = runs
    if isinstance(first, Tensor):
        return describe(first, second)
    return _zip_structure(describe, first, second)


def _zip_structure(fn, a, b):
    if isinstance(a, (list, tuple)):
        return type(a)(_zip_structure(fn, x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _zip_structure(fn, a[k], b[k]) for k in a}
    if a is None:
        return None
    return fn(a, b)


def _is_spec(value):
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple)
            and isinstance(value[1], np.dtype))


def _map_specs(fn, specs):
    if _is_spec(specs):
        return fn(specs)
    if isinstance(specs, (list, tuple)):
        return type(specs)(_map_specs(fn, s) for s in specs)
    if isinstance(specs, dict):
        return {k: _map_specs(fn, s) for k, s in specs.items()}
    return specs


def symbolic_call(layer, inputs, rest, kwargs):
    """Call ``layer`` on KerasTensors: build it, infer output shapes, record the node."""
    shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else None, inputs)
    layer._maybe_build(shapes)
    specs = _infer(layer, (inputs,) + tuple(rest), kwargs)
    node_index = len(layer._inbound_nodes)
    counter = iter(range(10_000))

    def make(spec):
        shape, dtype = spec
        index = next(counter)
        return KerasTensor(shape, dtype, name=f"{layer.name}_{node_index}_{index}",
                           history=(layer, node_index, index))

    outputs = _map_specs(make, specs)
    layer._inbound_nodes.append(Node(layer, (inputs,) + tuple(rest), kwargs, outputs))
    if layer._output_shape_cache is None:
        layer._output_shape_cache = _map_specs(lambda s: s[0], specs)
    return outputs


def infer_output_shapes(layer, input_shape):
    """``compute_output_shape`` for any layer, by a symbolic call that records no node."""

    def is_shape(value):
        return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int)
                                                        for d in value)

    def to_symbolic(value):
        if is_shape(value):
            return KerasTensor(tuple(value), layer.compute_dtype)
        if isinstance(value, dict):
            return {k: to_symbolic(v) for k, v in value.items()}
        return [to_symbolic(v) for v in value]

    inputs = to_symbolic(input_shape)
    layer._maybe_build(input_shape if is_shape(input_shape) else
                       map_structure(lambda t: t.shape, inputs))
    specs = _infer(layer, (inputs,), {})
    return _map_specs(lambda s: s[0], specs)
