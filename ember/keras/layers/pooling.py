"""Pooling layers: max and average (1-D, 2-D) and their global forms.

The 1-D global pools respect a time mask (from ``Embedding(mask_zero=True)``): the average is
taken over the unmasked steps only and the maximum ignores masked steps.
"""

import numpy as np

from ... import ops
from ...ops._convert import constant
from ..registry import builtin
from ._utils import mask_array, normalize_data_format, normalize_padding, normalize_tuple
from .base import Layer
from .input_spec import InputSpec


class _Pooling(Layer):
    rank = 2
    op = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", name)
        self.strides = self.pool_size if strides is None else normalize_tuple(
            strides, self.rank, "strides", name)
        self.padding = normalize_padding(padding, name)
        self.data_format = normalize_data_format(data_format, name)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs):
        first = self.data_format == "channels_first"
        x = ops.moveaxis(inputs, 1, -1) if first else inputs
        y = type(self).op(x, self.pool_size, self.strides, self.padding)
        return ops.moveaxis(y, -1, 1) if first else y

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


@builtin("layers")
class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps of (batch, steps, channels).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.MaxPooling1D()(np.ones((2, 6, 3), "float32")).shape
    (2, 3, 3)
    """

    rank = 1
    op = staticmethod(ops.max_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@builtin("layers")
class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps ("same" averages only real elements)."""

    rank = 1
    op = staticmethod(ops.avg_pool1d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@builtin("layers")
class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of (batch, height, width, channels).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.MaxPooling2D()(np.ones((1, 4, 4, 2), "float32")).shape
    (1, 2, 2, 2)
    """

    op = staticmethod(ops.max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@builtin("layers")
class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows ("same" averages only the real elements, as Keras)."""

    op = staticmethod(ops.avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ----- global pools -----------------------------------------------------------------------------


class _GlobalPooling(Layer):
    rank = 2

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    @property
    def axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class _GlobalPooling1D(_GlobalPooling):
    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def step_mask(self, inputs, mask):
        """The (batch, steps) mask broadcast against the inputs, as a float or bool array."""
        mask = mask_array(mask)
        if mask.shape != (inputs.shape[0], inputs.shape[self.axes[0]]):
            raise ValueError(f"Layer '{self.name}': the mask must have shape (batch, steps) = "
                             f"{(inputs.shape[0], inputs.shape[self.axes[0]])}. Received: "
                             f"mask.shape={mask.shape}")
        return mask[:, :, None] if self.data_format == "channels_last" else mask[:, None, :]


@builtin("layers")
class GlobalAveragePooling1D(_GlobalPooling1D):
    """Mean over the steps of (batch, steps, channels), over the unmasked steps when masked.

    A fully masked example gives zeros (Keras would divide by zero).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.GlobalAveragePooling1D()(np.ones((2, 5, 3), "float32")).shape
    (2, 3)
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=self.axes, keepdims=self.keepdims)
        m = self.step_mask(inputs, mask).astype(inputs.dtype)
        total = ops.sum(inputs * constant(m), axis=self.axes, keepdims=self.keepdims)
        count = np.maximum(m.sum(axis=self.axes, keepdims=self.keepdims), 1)
        return total / constant(count.astype(inputs.dtype))


@builtin("layers")
class GlobalMaxPooling1D(_GlobalPooling1D):
    """Max over the steps of (batch, steps, channels), ignoring masked steps when masked.

    A fully masked example gives zeros.
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.max(inputs, axis=self.axes, keepdims=self.keepdims)
        m = self.step_mask(inputs, mask)
        low = np.finfo(inputs.dtype).min
        best = ops.max(ops.where(constant(m), inputs, low), axis=self.axes,
                       keepdims=self.keepdims)
        seen = m.any(axis=self.axes, keepdims=self.keepdims)
        return ops.where(constant(seen), best, 0.0)


@builtin("layers")
class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, h, w, c) -> (batch, c) (``keepdims`` keeps 1s)."""

    def call(self, inputs):
        return ops.mean(inputs, axis=self.axes, keepdims=self.keepdims)


@builtin("layers")
class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: (batch, h, w, c) -> (batch, c)."""

    def call(self, inputs):
        return ops.max(inputs, axis=self.axes, keepdims=self.keepdims)


# Keras' aliases
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
