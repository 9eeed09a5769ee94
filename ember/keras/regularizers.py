"""Weight regularizers: ``L1``, ``L2``, ``L1L2``, ``OrthogonalRegularizer``.

A regularizer called on a weight tensor returns a scalar penalty tensor that the training loss
adds. As in Keras the L2 penalty is ``l2 * sum(w**2)`` with no 1/2.

>>> import ember, numpy as np
>>> from ember.keras import regularizers
>>> w = ember.tensor(np.array([1.0, -2.0], "float32"), requires_grad=True)
>>> float(regularizers.get("l2")(w))
0.05000000074505806
"""

import math

import numpy as np

from .. import ops
from ..autograd.function import Function
from ..ops._convert import to_tensor
from .families import get_object, saved_class, serialize_object
from .registry import builtin


def _validate(value, name):
    if (not isinstance(value, (float, int, np.floating, np.integer)) or isinstance(value, bool)
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. "
                         f"Received: {name}={value!r}")
    return float(value)


class _ElasticPenalty(Function):
    """``l1 * sum(|w|) + l2 * sum(w**2)`` in one op; gradient ``l1 * sign(w) + 2 * l2 * w``."""

    def forward(self, w, l1, l2):
        self.w, self.l1, self.l2 = w, l1, l2
        total = 0.0
        if l1:
            total += l1 * np.abs(w).sum(dtype=np.float64)
        if l2:
            flat = w.reshape(-1)
            total += l2 * float(np.dot(flat, flat))
        return np.asarray(total, dtype=w.dtype)

    def backward(self, g):
        w = self.w
        grad = np.zeros_like(w)
        if self.l2:
            np.multiply(w, 2 * self.l2, out=grad)
        if self.l1:
            grad += self.l1 * np.sign(w)
        if g != 1:
            grad *= g
        return grad


class Regularizer:
    """Base class: ``__call__(weights) -> scalar tensor`` and ``get_config``."""

    def __call__(self, x):
        return to_tensor(np.zeros((), to_tensor(x).dtype))

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@builtin("regularizers")
class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``; both factors default to 0."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate(0.0 if l1 is None else l1, "l1")
        self.l2 = _validate(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = to_tensor(x)
        return _ElasticPenalty.apply(x, l1=self.l1, l2=self.l2)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@builtin("regularizers")
class L1(L1L2):
    """``l1 * sum(|w|)``; default l1=0.01."""

    def __init__(self, l1=0.01):
        super().__init__(l1=0.01 if l1 is None else l1, l2=0.0)

    def get_config(self):
        return {"l1": self.l1}


@builtin("regularizers")
class L2(L1L2):
    """``l2 * sum(w**2)``; default l2=0.01."""

    def __init__(self, l2=0.01):
        super().__init__(l1=0.0, l2=0.01 if l2 is None else l2)

    def get_config(self):
        return {"l2": self.l2}


@builtin("regularizers")
class OrthogonalRegularizer(Regularizer):
    """``factor`` times the mean |dot product| of the L2-normalized rows (or columns) of a
    2-D weight, excluding each row's product with itself."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _validate(factor, "factor")
        if mode not in {"rows", "columns"}:
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", '
                             f'"columns"}}. Received: mode={mode}')
        self.mode = mode

    def __call__(self, inputs):
        inputs = to_tensor(inputs)
        if inputs.ndim != 2:
            raise ValueError("Inputs to OrthogonalRegularizer must have rank 2. Received: "
                             f"inputs.shape={inputs.shape}")
        axis = 1 if self.mode == "rows" else 0
        norm = ops.sqrt(ops.maximum(ops.sum(inputs * inputs, axis=axis, keepdims=True), 1e-12))
        unit = inputs / norm
        product = unit @ unit.T if self.mode == "rows" else unit.T @ unit
        size = product.shape[0]
        off_diagonal = 1.0 - np.eye(size, dtype=inputs.dtype)
        num_pairs = size * (size - 1.0) / 2.0
        return ops.sum(ops.abs(product * off_diagonal)) * (self.factor * 0.5 / num_pairs)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_CLASSES = [L1, L2, L1L2, OrthogonalRegularizer]
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({"l1": L1, "l2": L2, "l1l2": L1L2,
                         "orthogonal_regularizer": OrthogonalRegularizer})
# The string "l1_l2" means l1=l2=0.01, as the Keras docstring says.
_STRING_DEFAULTS = {"l1_l2": (L1L2, {"l1": 0.01, "l2": 0.01})}


def get(identifier):
    """A regularizer from a name (case-sensitive), a config dict, a class or a callable."""
    if isinstance(identifier, str) and identifier in _STRING_DEFAULTS:
        cls, kwargs = _STRING_DEFAULTS[identifier]
        return cls(**kwargs)
    return get_object("regularizers", "regularizer", ALL_OBJECTS_DICT, identifier, deserialize,
                      valid=list(ALL_OBJECTS_DICT) + list(_STRING_DEFAULTS))


def serialize(regularizer):
    """``{"module": "keras.regularizers", "class_name": ..., "config": ..., ...}``."""
    return serialize_object("keras.regularizers", regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer saved by ``serialize``."""
    if isinstance(config, str):
        return get(config)
    cls = saved_class("regularizers", "regularizer", ALL_OBJECTS_DICT, config, custom_objects)
    return cls.from_config(config.get("config") or {})
