"""``keras.Input`` and ``InputLayer``: where a functional graph starts."""

import numpy as np

from ... import backend
from ..keras_tensor import KerasTensor
from ..node import Node
from ..registry import builtin
from .base import Layer


@builtin("layers")
class InputLayer(Layer):
    """The layer behind ``keras.Input``; it holds the symbolic input tensor."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, ragged=None, **kwargs):
        if "input_shape" in kwargs:  # legacy spelling
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: give `shape` or `batch_shape`, not both.")
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "InputLayer: you must pass a `shape` argument, e.g. keras.Input(shape=(4,)).")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self._batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self._input_dtype = np.dtype(dtype) if dtype is not None else backend.default_float()
        self.optional = optional
        self.built = True
        self.output_tensor = KerasTensor(self._batch_shape, self._input_dtype, name=self.name,
                                         history=(self, 0, 0))
        self._inbound_nodes.append(Node(self, (self.output_tensor,), {}, self.output_tensor))
        self._inbound_nodes[0].input_tensors = []
        self._output_shape_cache = self._batch_shape

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def dtype(self):
        return self._input_dtype.name

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self._batch_shape), "dtype": self.dtype,
                "sparse": False, "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False, ragged=None):
    """A symbolic input for the functional API.

    >>> from ember import keras
    >>> x = keras.Input(shape=(4,))
    >>> x.shape
    (None, 4)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape,
                       name=name, optional=optional)
    return layer.output_tensor
