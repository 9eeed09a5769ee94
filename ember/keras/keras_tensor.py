"""Symbolic tensors of the functional API: a shape, a dtype and the layer call that made them."""

import numpy as np


class KerasTensor:
    """The output of ``keras.Input`` or of a layer called on symbolic inputs.

    It carries no values, only ``shape`` (``None`` for unknown sizes, the batch first), ``dtype``
    and ``_history = (layer, node_index, tensor_index)`` so a ``Model`` can replay the graph.
    """

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype).name
        self.name = name
        self._history = history

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic KerasTensor has no values: it only describes the inputs of a functional "
            "model. Call the model on NumPy arrays or tensors instead."
        )

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool.")


def is_symbolic(value):
    """True when ``value`` (or any element of a list/tuple/dict) is a KerasTensor."""
    if isinstance(value, KerasTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(is_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(is_symbolic(v) for v in value.values())
    return False


def flatten(structure):
    """The leaves of a nested list/tuple/dict structure, in order (dicts by insertion)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """``structure`` with ``fn`` applied to each leaf, lists/tuples/dicts kept."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return fn(structure)


def _symbolic_operator(op_name, reflected=False):
    def operator(self, other=None):
        from .layers.operation import SymbolicOperation

        if other is None:
            return SymbolicOperation(op_name)(self)
        if reflected:
            return SymbolicOperation(op_name, constant=other, constant_first=True)(self)
        if isinstance(other, KerasTensor):
            return SymbolicOperation(op_name)([self, other])
        return SymbolicOperation(op_name, constant=other)(self)

    return operator


for _name, _op in {"__add__": "add", "__sub__": "subtract", "__mul__": "multiply",
                   "__truediv__": "divide", "__matmul__": "matmul", "__pow__": "power"}.items():
    setattr(KerasTensor, _name, _symbolic_operator(_op))
    setattr(KerasTensor, _name.replace("__", "__r", 1), _symbolic_operator(_op, reflected=True))
KerasTensor.__neg__ = _symbolic_operator("negative")
