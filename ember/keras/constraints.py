"""Weight constraints applied after each optimizer step: ``MaxNorm``, ``NonNeg``, ``UnitNorm``,
``MinMaxNorm``.

A constraint called on a weight (array or tensor) returns the projected values as a NumPy
array; the optimizer writes them back in place (``variable.assign(constraint(variable))``).

>>> import numpy as np
>>> from ember.keras import constraints
>>> constraints.get("non_neg")(np.array([-1.0, 2.0]))
array([0., 2.])
"""

import numpy as np

from .families import get_object, saved_class, serialize_object
from .ops import convert_to_numpy
from .registry import builtin

_EPSILON = 1e-7


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: ``__call__(w) -> projected array`` and ``get_config``."""

    def __call__(self, w):
        return convert_to_numpy(w)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@builtin("constraints")
class MaxNorm(Constraint):
    """Rescale each slice along ``axis`` whose L2 norm exceeds ``max_value`` (default 2)."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = convert_to_numpy(w)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (_EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@builtin("constraints")
class NonNeg(Constraint):
    """Set negative values to zero."""

    def __call__(self, w):
        w = convert_to_numpy(w)
        return np.where(w >= 0, w, np.zeros((), w.dtype))


@builtin("constraints")
class UnitNorm(Constraint):
    """Rescale each slice along ``axis`` (default 0) to unit L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = convert_to_numpy(w)
        return (w / (_EPSILON + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"axis": self.axis}


@builtin("constraints")
class MinMaxNorm(Constraint):
    """Move each slice's L2 norm into [min_value, max_value] at ``rate`` (1.0: all the way)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = convert_to_numpy(w)
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value)
        desired = desired + (1 - self.rate) * norms
        return (w * (desired / (_EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_CLASSES = [MaxNorm, NonNeg, UnitNorm, MinMaxNorm]
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
                         "min_max_norm": MinMaxNorm})


def get(identifier):
    """A constraint from a name (case-sensitive), a config dict, a class or a callable."""
    return get_object("constraints", "constraint", ALL_OBJECTS_DICT, identifier, deserialize)


def serialize(constraint):
    """``{"module": "keras.constraints", "class_name": ..., "config": ..., ...}``."""
    return serialize_object("keras.constraints", constraint)


def deserialize(config, custom_objects=None):
    """The constraint saved by ``serialize``."""
    if isinstance(config, str):
        return get(config)
    cls = saved_class("constraints", "constraint", ALL_OBJECTS_DICT, config, custom_objects)
    return cls.from_config(config.get("config") or {})
