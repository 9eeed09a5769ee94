"""Core layers: Dense, Dropout, Activation, Flatten, Reshape, Identity, Lambda-free basics."""

import math

import numpy as np

from ... import ops
from ...ops.linalg import Dense as DenseOp
from ..registry import builtin
from ._utils import kernel_bias_config, resolve_kernel_bias_options
from .base import Layer
from .input_spec import InputSpec

# activations the Dense op runs on its GEMM output (keras.activations.get("gelu") is the exact
# GELU, which the op's "gelu" is too)
_FUSED_ACTIVATIONS = {"relu", "sigmoid", "tanh", "linear", "gelu"}


@builtin("layers")
class Dense(Layer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)``.

    >>> from ember import keras
    >>> layer = keras.layers.Dense(3, activation="relu")
    >>> layer(np.ones((2, 4), "float32")).shape
    (2, 3)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, **kwargs):
        super().__init__(**kwargs)
        from .. import activations

        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError("Dense: `units` must be a positive integer. "
                             f"Received: units={units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self._activation_name = activations.serialize(self.activation)
        self.use_bias = use_bias
        resolve_kernel_bias_options(self, kernel_initializer, bias_initializer,
                                    kernel_regularizer, bias_regularizer, activity_regularizer,
                                    kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Layer '{self.name}': the last axis of the input must be known. "
                             f"Received: input_shape={input_shape}")
        self.kernel = self.add_weight(shape=(input_dim, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        # the kernel and bias shapes were fixed in build and the input checked by input_spec:
        # call the fused op directly, without re-validating every step
        fused = self._activation_name if self._activation_name in _FUSED_ACTIVATIONS else None
        if self.bias is None:
            out = DenseOp.apply(inputs, self.kernel, activation=fused)
        else:
            out = DenseOp.apply(inputs, self.kernel, self.bias, activation=fused)
        if fused is None and self._activation_name != "linear":
            out = self.activation(out)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": self._activation_name,
            "use_bias": self.use_bias,
            **kernel_bias_config(self),
        })
        return config


@builtin("layers")
class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs while training (scaled by 1/(1-rate))."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: `rate` must lie in [0, 1). Received: rate={rate}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise_shape = self.noise_shape
        if noise_shape is not None:
            noise_shape = tuple(d if d is not None else n for d, n in zip(noise_shape,
                                                                          inputs.shape))
        from ... import backend

        generator = self._generator or backend.rng()
        from ...ops.nn import Dropout as DropoutOp

        return DropoutOp.apply(inputs, rate=self.rate, noise_shape=noise_shape,
                               generator=generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


@builtin("layers")
class Activation(Layer):
    """Apply an activation function: ``Activation("relu")``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        from .. import activations

        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        from .. import activations

        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


@builtin("layers")
class Flatten(Layer):
    """Flatten all axes but the batch axis: (batch, ...) -> (batch, prod(...))."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.moveaxis(inputs, 1, -1)
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(math.prod(rest))
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@builtin("layers")
class Reshape(Layer):
    """Reshape each example to ``target_shape`` (the batch axis stays; one axis may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, inputs):
        size = int(np.prod(inputs.shape[1:]))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        if (-1 not in self.target_shape and known != size) or (known == 0 or size % known):
            raise ValueError(
                f"Layer '{self.name}': cannot reshape an input of shape {tuple(inputs.shape)} "
                f"({size} values per example) to target_shape {self.target_shape}.")
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


@builtin("layers")
class Identity(Layer):
    """Return the inputs unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs
