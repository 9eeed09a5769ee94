"""Python operators on symbolic tensors (``x + y``, ``2 * x``) as layers of a functional graph."""

import numpy as np

from ... import ops
from ..registry import builtin
from .base import Layer

_OPERATIONS = {"add", "subtract", "multiply", "divide", "matmul", "power", "negative"}


@builtin("layers")
class SymbolicOperation(Layer):
    """One elementwise op of a functional graph, with an optional constant operand."""

    def __init__(self, operation, constant=None, constant_first=False, **kwargs):
        if operation not in _OPERATIONS:
            raise ValueError(f"SymbolicOperation: unknown operation {operation!r}. Valid: "
                             f"{sorted(_OPERATIONS)}")
        kwargs.setdefault("name", None)
        super().__init__(**kwargs)
        self.operation = operation
        self.constant = constant
        self.constant_first = constant_first
        self.built = True

    def call(self, inputs):
        fn = getattr(ops, self.operation)
        if isinstance(inputs, (list, tuple)):
            return fn(*inputs)
        if self.constant is None:
            return fn(inputs)
        constant = np.asarray(self.constant, dtype=inputs.dtype if np.ndim(self.constant) == 0
                              or np.asarray(self.constant).dtype.kind == "f" else None)
        return fn(constant, inputs) if self.constant_first else fn(inputs, constant)

    def get_config(self):
        config = super().get_config()
        constant = self.constant
        if isinstance(constant, np.ndarray):
            constant = constant.tolist()
        config.update({"operation": self.operation, "constant": constant,
                       "constant_first": self.constant_first})
        return config
