"""The automatic differentiation engine: tensors, ops as Functions, the backward pass."""

from .flat import FlatParameters
from .function import Function, unbroadcast
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .memory import tune_allocator
from .tensor import Tensor, as_tensor, tensor
from .variable import Variable

tune_allocator()  # keep freed activations for the next step (see memory.py)

__all__ = [
    "FlatParameters",
    "Function",
    "Tensor",
    "Variable",
    "as_tensor",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "tensor",
    "unbroadcast",
]
