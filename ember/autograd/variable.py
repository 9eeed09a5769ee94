"""``Variable``: a named, trainable tensor owned by a layer (Keras' ``keras.Variable``)."""

import numpy as np

from .tensor import Tensor


class Variable(Tensor):
    """A tensor that holds model state: weights (trainable) or statistics (not trainable).

    Its values are updated in place (``assign``), so views into flat parameter buffers survive.

    >>> import ember, numpy as np
    >>> v = ember.Variable(np.zeros((2, 2), "float32"), name="kernel")
    >>> v.assign(np.ones((2, 2)))
    >>> float(v.numpy().sum())
    4.0
    """

    __slots__ = ("name", "path", "_trainable", "constraint", "regularizer")

    def __init__(self, initial_value, dtype=None, trainable=True, name="variable", constraint=None,
                 regularizer=None):
        super().__init__(initial_value, dtype=dtype)
        self.data = np.array(self.data, copy=True)
        self.name = name
        self.path = name
        self.constraint = constraint
        self.regularizer = regularizer
        self.trainable = trainable

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self.requires_grad = self._trainable and self.data.dtype.kind == "f"

    @property
    def value(self):
        return self

    def assign(self, value):
        """Overwrite the values in place; the shape must match."""
        value = np.asarray(value.data if isinstance(value, Tensor) else value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Variable '{self.path}': expected a value of shape {self.data.shape}. "
                f"Received: value.shape={value.shape}"
            )
        self.data[...] = value

    def assign_add(self, delta):
        self.data += np.asarray(delta.data if isinstance(delta, Tensor) else delta, self.data.dtype)

    def assign_sub(self, delta):
        self.data -= np.asarray(delta.data if isinstance(delta, Tensor) else delta, self.data.dtype)

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.data.shape}, dtype={self.data.dtype}>"
