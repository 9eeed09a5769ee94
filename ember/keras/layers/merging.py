"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, and their
functional forms (``keras.layers.add([a, b])``, ...).
"""

import numpy as np

from ... import ops
from ..registry import builtin
from ._utils import as_tensor, mask_array, mask_tensor
from .base import Layer


class Merge(Layer):
    """Base of the merge layers: a list of inputs in, one tensor out; masks are combined."""

    min_inputs = 2
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check_inputs(self, shapes):
        name = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or (shapes and isinstance(shapes[0], int)) or \
                (shapes and shapes[0] is None):
            raise ValueError(f"A merge layer ({name}) should be called on a list of inputs. "
                             f"Received: input_shape={shapes} (not a list of shapes)")
        if len(shapes) < self.min_inputs:
            raise ValueError(f"A merge layer ({name}) should be called on a list of at least "
                             f"{self.min_inputs} inputs. Got {len(shapes)} inputs. "
                             f"Full input_shape received: {shapes}")
        if self.max_inputs is not None and len(shapes) > self.max_inputs:
            raise ValueError(f"A `{name}` layer should be called on exactly {self.max_inputs} "
                             f"inputs. Received: input_shape={shapes}")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self._check_shapes(input_shape)
        self.built = True

    def _check_shapes(self, shapes):
        """Elementwise merges: the shapes (batch axis aside) must broadcast together."""
        try:
            np.broadcast_shapes(*[tuple(1 if d is None else d for d in s[1:]) for s in shapes
                                  if len(s) == len(shapes[0])])
        except ValueError:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {shapes}") \
                from None

    def call(self, inputs):
        inputs = [as_tensor(x) for x in inputs]
        return self._merge(inputs)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = [mask_array(m) for m in mask if m is not None]
        combined = masks[0]
        for m in masks[1:]:
            combined = combined & m
        return mask_tensor(combined)


def _reduce(inputs, fn):
    out = inputs[0]
    for x in inputs[1:]:
        out = fn(out, x)
    return out


@builtin("layers")
class Add(Merge):
    """Elementwise sum of a list of inputs.

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Add()([np.ones((2, 3)), np.ones((2, 3))]).numpy()[0].tolist()
    [2.0, 2.0, 2.0]
    """

    def _merge(self, inputs):
        return _reduce(inputs, ops.add)


@builtin("layers")
class Subtract(Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs)."""

    max_inputs = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


@builtin("layers")
class Multiply(Merge):
    """Elementwise product of a list of inputs."""

    def _merge(self, inputs):
        return _reduce(inputs, ops.multiply)


@builtin("layers")
class Average(Merge):
    """Elementwise mean of a list of inputs."""

    def _merge(self, inputs):
        return _reduce(inputs, ops.add) / float(len(inputs))


@builtin("layers")
class Maximum(Merge):
    """Elementwise maximum of a list of inputs."""

    def _merge(self, inputs):
        return _reduce(inputs, ops.maximum)


@builtin("layers")
class Minimum(Merge):
    """Elementwise minimum of a list of inputs."""

    def _merge(self, inputs):
        return _reduce(inputs, ops.minimum)


@builtin("layers")
class Concatenate(Merge):
    """Join a list of inputs along ``axis`` (all other axes must match).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Concatenate()([np.ones((2, 3)), np.ones((2, 4))]).shape
    (2, 7)
    """

    min_inputs = 1

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes):
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError("A `Concatenate` layer should be called on a list of inputs with "
                             f"matching ranks. Received: input_shape={shapes}")
        rank = ranks.pop()
        axis = self.axis % rank
        for i in range(rank):
            sizes = {s[i] for s in shapes if s[i] is not None}
            if i != axis and len(sizes) > 1:
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes "
                                 "except for the concatenation axis. Received: "
                                 f"input_shape={shapes}")

    def _merge(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        arrays = []
        for x, m in zip(inputs, mask):
            if m is None:
                arrays.append(np.ones(x.shape, bool))
                continue
            m = mask_array(m)
            m = m.reshape(m.shape + (1,) * (x.ndim - m.ndim))
            arrays.append(np.broadcast_to(m, x.shape))
        return mask_tensor(np.concatenate(arrays, axis=self.axis).all(axis=-1))

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


@builtin("layers")
class Dot(Merge):
    """Dot product of two inputs over ``axes`` for each example (Keras' ``batch_dot``).

    ``normalize=True`` L2-normalizes both along those axes first (cosine similarity).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Dot(axes=1)([np.ones((2, 3)), np.full((2, 3), 2.0)]).numpy().tolist()
    [[6.0], [6.0]]
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (int, np.integer)):
            axes = (int(axes), int(axes))
        elif not (isinstance(axes, (list, tuple)) and len(axes) == 2
                  and all(isinstance(a, (int, np.integer)) for a in axes)):
            raise TypeError("Invalid type for argument `axes`: it should be a list/tuple of 2 "
                            f"integers or an int. Received: axes={axes!r}")
        self.axes = tuple(int(a) for a in axes)
        self.normalize = bool(normalize)
        self.supports_masking = False

    def _axes_for(self, shapes):
        return [a % len(s) for a, s in zip(self.axes, shapes)]

    def _check_shapes(self, shapes):
        a1, a2 = self._axes_for(shapes)
        if shapes[0][a1] is not None and shapes[1][a2] is not None \
                and shapes[0][a1] != shapes[1][a2]:
            raise ValueError(f"Incompatible input shapes: axis values {shapes[0][a1]} (at axis "
                             f"{a1}) != {shapes[1][a2]} (at axis {a2}). Full input shapes: "
                             f"{shapes[0]}, {shapes[1]}")

    def _merge(self, inputs):
        x, y = inputs
        a1, a2 = self._axes_for([x.shape, y.shape])
        if self.normalize:
            x, y = _l2_normalize(x, a1), _l2_normalize(y, a2)
        batch = x.shape[0]
        x = ops.moveaxis(x, a1, -1)  # (B, X..., n)
        y = ops.moveaxis(y, a2, 1)  # (B, n, Y...)
        rest_x, rest_y = x.shape[1:-1], y.shape[2:]
        out = ops.matmul(ops.reshape(x, (batch, -1, x.shape[-1])),
                         ops.reshape(y, (batch, y.shape[1], -1)))  # (B, X, Y)
        out = ops.reshape(out, (batch,) + tuple(rest_x) + tuple(rest_y))
        return out if out.ndim > 1 else ops.reshape(out, (batch, 1))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def _l2_normalize(x, axis):
    """x / sqrt(max(sum(x^2), 1e-12)) along ``axis`` (Keras' ``normalize``)."""
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(squares, 1e-12))


# ----- functional forms -------------------------------------------------------------------------


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
