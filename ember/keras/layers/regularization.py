"""Noise layers active only in training calls: SpatialDropout1D/2D and GaussianNoise."""

import numpy as np

from ... import backend
from ...ops._convert import constant
from ...ops.nn import Dropout as DropoutOp
from ..registry import builtin
from ._utils import normalize_data_format
from .base import Layer
from .input_spec import InputSpec


def _check_rate(rate, layer):
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) \
            or not 0 <= rate <= 1:
        raise ValueError(f"{layer}: invalid value received for argument `rate`. Expected a float "
                         f"value between 0 and 1. Received: rate={rate!r}")
    return float(rate)


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True
        self.built = True

    def generator(self):
        return self._generator or backend.rng()

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _SpatialDropout(_Noise):
    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate(rate, type(self).__name__)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def noise_shape(self, shape):
        """One draw per example and channel (channels last), shared over the other axes."""
        return (shape[0],) + (1,) * self.rank + (shape[-1],)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        return DropoutOp.apply(inputs, rate=self.rate, noise_shape=self.noise_shape(inputs.shape),
                               generator=self.generator())

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


@builtin("layers")
class SpatialDropout1D(_SpatialDropout):
    """Drop whole channels of (batch, steps, channels) while training (one draw per example
    and channel, shared by all steps), scaling the rest by 1 / (1 - rate).

    >>> import numpy as np
    >>> from ember import keras
    >>> y = keras.layers.SpatialDropout1D(0.5, seed=1)(np.ones((1, 3, 4)), training=True)
    >>> bool((y.numpy() == y.numpy()[:, :1]).all())
    True
    """


@builtin("layers")
class SpatialDropout2D(_SpatialDropout):
    """Drop whole feature maps of (batch, height, width, channels) while training."""

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format, "SpatialDropout2D")

    def noise_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1)
        return super().noise_shape(shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@builtin("layers")
class GaussianNoise(_Noise):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` while training.

    >>> import numpy as np
    >>> from ember import keras
    >>> x = np.zeros((2, 3), "float32")
    >>> keras.layers.GaussianNoise(0.1)(x).numpy().tolist()  # inference: unchanged
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float, np.number)) \
                or stddev < 0:
            raise ValueError(f"GaussianNoise: invalid value received for argument `stddev`. "
                             f"Expected a float value >= 0. Received: stddev={stddev!r}")
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = self.generator().normal(0.0, self.stddev, inputs.shape).astype(inputs.dtype)
        return inputs + constant(noise)

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
