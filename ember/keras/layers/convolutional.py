"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Weights follow Keras: kernels are (*kernel_size, in_channels / groups, filters) whatever the
data format (Conv2DTranspose: (*kernel_size, filters, in_channels)). The math runs channels-last
in ember's im2col kernels; ``data_format="channels_first"`` transposes around them.
"""

from ... import ops
from .. import activations
from ..registry import builtin
from ._utils import (
    check_positive_int,
    kernel_bias_config,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    resolve,
    resolve_kernel_bias_options,
    serialize,
)
from .base import Layer
from .input_spec import InputSpec


class BaseConv(Layer):
    """Arguments, checks, the activation and the activity regularizer shared by the convs."""

    rank = 2
    paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)

        name = type(self).__name__
        self.filters = None if filters is None else check_positive_int(filters, "filters", name)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size", name)
        self.strides = normalize_tuple(strides, self.rank, "strides", name)
        self.padding = normalize_padding(padding, name, self.paddings)
        self.data_format = normalize_data_format(data_format, name)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate", name)
        self.groups = check_positive_int(groups, "groups", name)
        if self.filters is not None and self.filters % self.groups:
            raise ValueError(f"{name}: the number of filters must be evenly divisible by the "
                             f"number of groups. Received: groups={self.groups}, "
                             f"filters={self.filters}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{name}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        resolve_kernel_bias_options(self, kernel_initializer, bias_initializer,
                                    kernel_regularizer, bias_regularizer, activity_regularizer,
                                    kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=self.rank + 2)

    @property
    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def input_channels(self, input_shape):
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise ValueError(f"Layer '{self.name}': the channel dimension of the inputs should "
                             f"be defined. Received: input_shape={tuple(input_shape)}")
        return int(channels)

    def add_bias(self, size):
        if not self.use_bias:
            return None
        return self.add_weight(shape=(size,), initializer=self.bias_initializer, name="bias",
                               regularizer=self.bias_regularizer,
                               constraint=self.bias_constraint)

    def to_channels_last(self, x):
        return x if self.data_format == "channels_last" else ops.moveaxis(x, 1, -1)

    def from_channels_last(self, y):
        return y if self.data_format == "channels_last" else ops.moveaxis(y, -1, 1)

    def finish(self, y):
        y = self.activation(self.from_channels_last(y))
        return y

    def check_rank(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: "
                             f"expected ndim={self.rank + 2}, found ndim={len(input_shape)}. "
                             f"Full shape received: {tuple(input_shape)}")

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **kernel_bias_config(self),
        })
        return config


class _Conv(BaseConv):
    def build(self, input_shape):
        self.check_rank(input_shape)
        channels = self.input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"Layer '{self.name}': the number of input channels must be evenly "
                             f"divisible by the number of groups. Received groups={self.groups}, "
                             f"but the input has {channels} channels (full input shape is "
                             f"{tuple(input_shape)}).")
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight(shape=shape, initializer=self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_bias(self.filters)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self.channel_axis: channels})
        self.built = True

    def call(self, inputs):
        conv = ops.conv1d if self.rank == 1 else ops.conv2d
        # a ReLU on channels-last outputs runs inside the convolution op
        fused = self.data_format == "channels_last" and self.activation is activations.relu
        y = conv(self.to_channels_last(inputs), self.kernel, self.bias, strides=self.strides,
                 padding=self.padding, dilation_rate=self.dilation_rate, groups=self.groups,
                 activation="relu" if fused else None)
        return y if fused else self.finish(y)


@builtin("layers")
class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels); ``padding`` also accepts "causal".

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Conv1D(4, 3)(np.ones((2, 10, 3), "float32")).shape
    (2, 8, 4)
    """

    rank = 1
    paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


@builtin("layers")
class Conv2D(_Conv):
    """2-D convolution over (batch, height, width, channels).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.Conv2D(8, 3, padding="same")(np.ones((1, 5, 5, 2), "float32")).shape
    (1, 5, 5, 8)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


@builtin("layers")
class Conv2DTranspose(BaseConv):
    """Transposed 2-D convolution; the kernel is (kh, kw, filters, in_channels) as in Keras.

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")
    >>> layer(np.ones((1, 5, 5, 2), "float32")).shape
    (1, 10, 10, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, 2, "output_padding",
                                                  type(self).__name__, allow_zero=True)
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(f"Conv2DTranspose: strides must be greater than output "
                                     f"padding. Received strides={self.strides}, "
                                     f"output_padding={self.output_padding}.")

    def build(self, input_shape):
        self.check_rank(input_shape)
        channels = self.input_channels(input_shape)
        shape = self.kernel_size + (self.filters, channels)
        self.kernel = self.add_weight(shape=shape, initializer=self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_bias(self.filters)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})
        self.built = True

    def call(self, inputs):
        y = ops.conv2d_transpose(self.to_channels_last(inputs), self.kernel, self.bias,
                                 strides=self.strides, padding=self.padding,
                                 output_padding=self.output_padding,
                                 dilation_rate=self.dilation_rate)
        return self.finish(y)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["output_padding"] = self.output_padding
        return config


class _DepthwiseConv(BaseConv):
    """DepthwiseConv2D and SeparableConv2D: a depthwise kernel of ``depth_multiplier`` filters per
    input channel, whose ``depthwise_*`` arguments BaseConv holds as ``kernel_*``."""

    _RENAMED = (("kernel_initializer", "depthwise_initializer"),
                ("kernel_regularizer", "depthwise_regularizer"),
                ("kernel_constraint", "depthwise_constraint"))

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate,
                 depth_multiplier, activation, use_bias, depthwise_initializer, bias_initializer,
                 depthwise_regularizer, bias_regularizer, activity_regularizer,
                 depthwise_constraint, bias_constraint, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=depthwise_constraint, bias_constraint=bias_constraint,
                         **kwargs)
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier",
                                                   type(self).__name__)

    def depthwise_kernel_shape(self, channels):
        return self.kernel_size + (channels, self.depth_multiplier)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["depth_multiplier"] = self.depth_multiplier
        for old, new in self._RENAMED:
            config[new] = config.pop(old)
        return config


@builtin("layers")
class DepthwiseConv2D(_DepthwiseConv):
    """Each input channel convolved with its own ``depth_multiplier`` filters.

    The kernel is (kh, kw, in_channels, depth_multiplier), named "kernel" as in Keras 3.

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.DepthwiseConv2D(3, depth_multiplier=2)(np.ones((1, 5, 5, 3), "f4")).shape
    (1, 3, 3, 6)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)

    def build(self, input_shape):
        self.check_rank(input_shape)
        channels = self.input_channels(input_shape)
        shape = self.depthwise_kernel_shape(channels)
        self.kernel = self.add_weight(shape=shape, initializer=self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_bias(channels * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})
        self.built = True

    def call(self, inputs):
        y = ops.depthwise_conv2d(self.to_channels_last(inputs), self.kernel, self.bias,
                                 strides=self.strides, padding=self.padding,
                                 dilation_rate=self.dilation_rate)
        return self.finish(y)

    def get_config(self):
        config = super().get_config()
        config.pop("filters")
        return config


@builtin("layers")
class SeparableConv2D(_DepthwiseConv):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution to ``filters``.

    Weights: depthwise_kernel (kh, kw, C, depth_multiplier), pointwise_kernel
    (1, 1, C * depth_multiplier, filters), bias (filters,).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.SeparableConv2D(4, 3)(np.ones((1, 5, 5, 3), "float32")).shape
    (1, 3, 3, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.pointwise_initializer = resolve("initializers", pointwise_initializer)
        self.pointwise_regularizer = resolve("regularizers", pointwise_regularizer)
        self.pointwise_constraint = resolve("constraints", pointwise_constraint)

    def build(self, input_shape):
        self.check_rank(input_shape)
        channels = self.input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.depthwise_kernel_shape(channels),
            initializer=self.kernel_initializer, name="depthwise_kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.pointwise_kernel = self.add_weight(
            shape=(1, 1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, name="pointwise_kernel",
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        self.bias = self.add_bias(self.filters)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})
        self.built = True

    def call(self, inputs):
        y = ops.depthwise_conv2d(self.to_channels_last(inputs), self.depthwise_kernel, None,
                                 strides=self.strides, padding=self.padding,
                                 dilation_rate=self.dilation_rate)
        y = ops.conv2d(y, self.pointwise_kernel, self.bias)
        return self.finish(y)

    def get_config(self):
        config = super().get_config()
        config.update({
            "pointwise_initializer": serialize("initializers", self.pointwise_initializer),
            "pointwise_regularizer": serialize("regularizers", self.pointwise_regularizer),
            "pointwise_constraint": serialize("constraints", self.pointwise_constraint),
        })
        return config


# Keras' aliases
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
