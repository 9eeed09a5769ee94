"""Preprocessing layers: Rescaling and Normalization (with ``adapt``)."""

import numpy as np

from ... import ops
from ...autograd.tensor import Tensor
from ...ops._convert import constant
from ..registry import builtin
from .base import Layer

_EPSILON = 1e-7  # keras.backend.epsilon()


@builtin("layers")
class Rescaling(Layer):
    """``inputs * scale + offset`` (e.g. ``Rescaling(1 / 255)`` for images).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Rescaling(1 / 255)(np.array([[0.0, 255.0]])).numpy().tolist()
    [[0.0, 1.0]]
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        dtype = self._dtype
        if inputs.dtype != dtype:
            inputs = ops.cast(inputs, dtype)
        scale = np.asarray(self.scale, dtype)
        offset = np.asarray(self.offset, dtype)
        if scale.ndim > 0:  # a per-channel list: broadcast along the last axis
            scale = scale.reshape((1,) * (inputs.ndim - 1) + (-1,))
        if offset.ndim > 0:
            offset = offset.reshape((1,) * (inputs.ndim - 1) + (-1,))
        return inputs * constant(scale) + constant(offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        scale, offset = self.scale, self.offset
        config.update({
            "scale": list(scale) if isinstance(scale, (list, tuple, np.ndarray)) else scale,
            "offset": list(offset) if isinstance(offset, (list, tuple, np.ndarray)) else offset,
        })
        return config


@builtin("layers")
class Normalization(Layer):
    """Shift and scale features to zero mean and unit variance: ``(x - mean) / sqrt(var)``.

    Give ``mean`` and ``variance``, or call ``adapt(data)`` to compute them over every axis but
    ``axis`` (default -1: one mean per feature). ``invert=True`` undoes the normalization.

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer(np.array([[1.0, 20.0]])).numpy().tolist()
    [[0.0, 0.0]]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)):
            axis = (int(axis),)
        else:
            axis = tuple(int(a) for a in axis)
        if 0 in axis:
            raise ValueError("The argument 'axis' may not be 0 (the batch axis). "
                             f"Received: axis={axis}")
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be "
                             f"set. Received: mean={mean} and variance={variance}")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._input_rank = None

    def build(self, input_shape):
        if input_shape is None:
            raise ValueError(f"Layer '{self.name}' needs the input shape to build.")
        rank = len(input_shape)
        self._input_rank = rank
        if any(a < -rank or a >= rank for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received "
                             f"inputs with ndim={rank}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(a % rank for a in self.axis))
        self._reduce_axis = tuple(a for a in range(rank) if a not in self._keep_axis)
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError("All `axis` values to be kept must have a known shape. "
                                 f"Received axis={self.axis}, inputs.shape={tuple(input_shape)}, "
                                 f"with unknown axis at index {a}")
        self._broadcast_shape = tuple(input_shape[a] if a in self._keep_axis else 1
                                      for a in range(rank))
        shape = tuple(input_shape[a] for a in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape,
                                                  initializer="ones", trainable=False)
        else:
            mean = np.broadcast_to(np.asarray(self.input_mean, self._dtype), shape)
            variance = np.broadcast_to(np.asarray(self.input_variance, self._dtype), shape)
            self._fixed = (mean, variance)
        self.built = True

    def _statistics(self):
        if self.input_mean is None:
            mean, variance = self.adapt_mean.data, self.adapt_variance.data
        else:
            mean, variance = self._fixed
        shape = self._broadcast_shape
        return mean.reshape(shape), variance.reshape(shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of ``data`` (an array, or an iterable of batches)."""
        if self.input_mean is not None:
            raise ValueError(f"Layer '{self.name}': cannot adapt a Normalization layer created "
                             "with fixed `mean` and `variance`.")
        count, mean, m2 = 0, None, None
        for batch in _batches(data, steps):
            batch = np.asarray(batch, np.float64)
            if not self.built:
                self._maybe_build((None,) + batch.shape[1:])
            if batch.ndim != self._input_rank:
                raise ValueError(f"Layer '{self.name}': adapt() data must have rank "
                                 f"{self._input_rank}. Received data of shape {batch.shape}")
            n = int(np.prod([batch.shape[a] for a in self._reduce_axis]))
            b_mean = batch.mean(axis=self._reduce_axis)
            b_m2 = batch.var(axis=self._reduce_axis) * n
            if mean is None:
                count, mean, m2 = n, b_mean, b_m2
            else:  # Chan et al.'s parallel combination of means and variances
                delta = b_mean - mean
                total = count + n
                mean = mean + delta * n / total
                m2 = m2 + b_m2 + delta ** 2 * count * n / total
                count = total
        if mean is None:
            raise ValueError(f"Layer '{self.name}': adapt() received no data.")
        self.adapt_mean.assign(mean.astype(self._dtype))
        self.adapt_variance.assign((m2 / count).astype(self._dtype))

    def call(self, inputs):
        dtype = self._dtype
        if inputs.dtype != dtype:
            inputs = ops.cast(inputs, dtype)
        mean, variance = self._statistics()
        std = np.maximum(np.sqrt(variance), _EPSILON).astype(dtype)
        if self.invert:
            return constant(mean.astype(dtype)) + inputs * constant(std)
        return (inputs - constant(mean.astype(dtype))) / constant(std)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()

        def listed(value):
            if value is None:
                return None
            return np.asarray(value).tolist()

        config.update({
            "axis": self.axis,  # a tuple, as Keras stores it
            "invert": self.invert,
            "mean": listed(self.input_mean),
            "variance": listed(self.input_variance),
        })
        return config


def _batches(data, steps):
    """Arrays from ``data``: one array, or the batches of an iterable (``(x, y)`` pairs give x)."""
    if isinstance(data, Tensor):
        yield data.data
        return
    if isinstance(data, np.ndarray) or (isinstance(data, (list, tuple)) and data
                                        and not hasattr(data[0], "__len__")):
        yield np.asarray(data)
        return
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)) and \
            not isinstance(data[0][0], (np.ndarray, Tensor)):
        yield np.asarray(data)
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], (np.ndarray,
                                                                                Tensor)):
            batch = batch[0]
        yield batch.data if isinstance(batch, Tensor) else np.asarray(batch)
