"""Reshaping layers: Permute, RepeatVector, ZeroPadding1D/2D, UpSampling1D/2D, Cropping1D/2D."""

import numpy as np

from ... import ops
from ...ops._convert import constant
from ..registry import builtin
from ._utils import check_positive_int, normalize_data_format, normalize_tuple
from .base import Layer
from .input_spec import InputSpec


@builtin("layers")
class Permute(Layer):
    """Reorder the non-batch axes: ``dims`` is a permutation of 1..rank-1 (1-indexed).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Permute((2, 1))(np.ones((4, 10, 64))).shape
    (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of "
                             f"indices in `dims` must be `{set(range(1, len(self.dims) + 1))}`. "
                             f"Received: dims={dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


@builtin("layers")
class RepeatVector(Layer):
    """Repeat a (batch, features) input ``n`` times: (batch, n, features).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.RepeatVector(3)(np.ones((2, 5))).shape
    (2, 3, 5)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"Expected an integer value for `n`, got {type(n).__name__}.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


def _pairs(value, rank, name, layer):
    """Padding/cropping as ``rank`` (before, after) pairs of non-negative ints."""
    if isinstance(value, (int, np.integer)):
        value = ((value, value),) * rank
    elif rank == 1 and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        value = (tuple(value),)
    try:
        pairs = tuple(normalize_tuple(v, 2, name, layer, allow_zero=True) for v in value)
    except (TypeError, ValueError):
        pairs = ()
    if len(pairs) != rank:
        shape = "an int, a tuple of 2 ints, or a tuple of 2 tuples of 2 ints" if rank == 2 \
            else "an int or a tuple of 2 ints"
        raise ValueError(f"`{name}` should be {shape}. Received: {name}={value!r}.")
    return pairs


class _Spatial(Layer):
    """Shared data_format handling: the math runs channels-last."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs):
        first = self.data_format == "channels_first"
        x = ops.moveaxis(inputs, 1, -1) if first else inputs
        y = self.transform(x)
        return ops.moveaxis(y, -1, 1) if first else y

    def get_config(self):
        config = super().get_config()
        if self.rank == 2:
            config["data_format"] = self.data_format
        return config


@builtin("layers")
class ZeroPadding1D(_Spatial):
    """Pad the steps axis of (batch, steps, features) with zeros."""

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, 1, "padding", "ZeroPadding1D")[0]

    def transform(self, x):
        return ops.pad(x, ((0, 0), self.padding, (0, 0)))

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding
        return config


@builtin("layers")
class ZeroPadding2D(_Spatial):
    """Pad rows and columns with zeros: ``padding`` = int, (rows, cols) or
    ((top, bottom), (left, right)).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.ZeroPadding2D(((1, 0), (2, 3)))(np.ones((1, 4, 4, 2))).shape
    (1, 5, 9, 2)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
                isinstance(p, (int, np.integer)) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        self.padding = _pairs(padding, 2, "padding", "ZeroPadding2D")

    def transform(self, x):
        return ops.pad(x, ((0, 0),) + self.padding + ((0, 0),))

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding
        return config


@builtin("layers")
class Cropping1D(_Spatial):
    """Crop (start, end) steps of (batch, steps, features)."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(None, **kwargs)
        self.cropping = _pairs(cropping, 1, "cropping", "Cropping1D")[0]

    def transform(self, x):
        start, end = self.cropping
        if start + end >= x.shape[1]:
            raise ValueError(f"Layer '{self.name}': cropping {self.cropping} is too large for an "
                             f"input of {x.shape[1]} steps (shape {tuple(x.shape)}).")
        return x[:, start:x.shape[1] - end]

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


@builtin("layers")
class Cropping2D(_Spatial):
    """Crop rows and columns: ``cropping`` = int, (rows, cols) or
    ((top, bottom), (left, right)).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Cropping2D(((2, 2), (4, 4)))(np.ones((2, 28, 28, 3))).shape
    (2, 24, 20, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        if isinstance(cropping, (tuple, list)) and len(cropping) == 2 and all(
                isinstance(p, (int, np.integer)) for p in cropping):
            cropping = ((cropping[0], cropping[0]), (cropping[1], cropping[1]))
        self.cropping = _pairs(cropping, 2, "cropping", "Cropping2D")

    def transform(self, x):
        (top, bottom), (left, right) = self.cropping
        h, w = x.shape[1], x.shape[2]
        if top + bottom >= h or left + right >= w:
            raise ValueError(f"Layer '{self.name}': values in `cropping` argument should be "
                             f"smaller than the corresponding spatial dimension of the input. "
                             f"Received: input_shape={tuple(x.shape)}, cropping={self.cropping}")
        return x[:, top:h - bottom, left:w - right]

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


@builtin("layers")
class UpSampling1D(_Spatial):
    """Repeat each step ``size`` times along the steps axis."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(None, **kwargs)
        self.size = check_positive_int(size, "size", "UpSampling1D")

    def transform(self, x):
        return ops.repeat(x, self.size, axis=1)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


def _linear_resize_matrix(n, scale, dtype):
    """(n * scale, n) weights of half-pixel-centred linear interpolation (TensorFlow's
    ``resize(method="bilinear")``, PyTorch's ``align_corners=False``)."""
    out = np.arange(n * scale)
    source = np.clip((out + 0.5) / scale - 0.5, 0, n - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, n - 1)
    frac = source - low
    weights = np.zeros((n * scale, n), dtype)
    np.add.at(weights, (out, low), 1 - frac)
    np.add.at(weights, (out, high), frac)
    return weights


@builtin("layers")
class UpSampling2D(_Spatial):
    """Repeat rows and columns ``size`` times (``interpolation="nearest"``) or interpolate
    them (``"bilinear"``, half-pixel centres as Keras/TensorFlow).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.UpSampling2D((2, 3))(np.ones((1, 2, 2, 1))).shape
    (1, 4, 6, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = normalize_tuple(size, 2, "size", "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError("UpSampling2D: `interpolation` must be 'nearest' or 'bilinear' in "
                             f"ember. Received: interpolation={interpolation!r}")
        self.interpolation = interpolation

    def transform(self, x):
        if self.interpolation == "nearest":
            return ops.repeat(ops.repeat(x, self.size[0], axis=1), self.size[1], axis=2)
        rows = constant(_linear_resize_matrix(x.shape[1], self.size[0], x.dtype))
        cols = constant(_linear_resize_matrix(x.shape[2], self.size[1], x.dtype))
        y = ops.matmul(rows, ops.transpose(x, (0, 3, 1, 2)))  # (N, C, H * s, W)
        y = ops.matmul(y, ops.transpose(cols, (1, 0)))  # (N, C, H * s, W * s)
        return ops.transpose(y, (0, 2, 3, 1))

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "interpolation": self.interpolation})
        return config
