"""Activation layers with arguments: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

import warnings

import numpy as np

from ... import ops
from ...ops._convert import constant
from ..registry import builtin
from ._utils import mask_array, resolve, serialize
from .base import Layer
from .input_spec import InputSpec


class _Activation(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def _non_negative(value, name, message):
    if value is None or not isinstance(value, (int, float, np.number)) or value < 0:
        raise ValueError(f"{message} Received: {name}={value!r}")
    return float(value)


@builtin("layers")
class ReLU(_Activation):
    """``max_value`` if x >= max_value, x if threshold <= x < max_value, else
    ``negative_slope * (x - threshold)``.

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.ReLU(max_value=2.0)(np.array([-1.0, 1.0, 3.0])).numpy().tolist()
    [0.0, 1.0, 2.0]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None:
            max_value = _non_negative(max_value, "max_value",
                                      "max_value of a ReLU layer cannot be a negative value.")
        self.max_value = max_value
        self.negative_slope = _non_negative(
            negative_slope, "negative_slope",
            "negative_slope of a ReLU layer cannot be a negative value.")
        self.threshold = _non_negative(threshold, "threshold",
                                       "threshold of a ReLU layer cannot be a negative value.")

    def call(self, inputs):
        from .. import activations

        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


@builtin("layers")
class LeakyReLU(_Activation):
    """``x`` if x > 0 else ``negative_slope * x`` (Keras' layer default slope is 0.3).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.LeakyReLU()(np.array([-10.0, 2.0])).numpy()
    array([-3.,  2.], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(
            negative_slope, "negative_slope",
            "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
            "Expected a float.")

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@builtin("layers")
class PReLU(Layer):
    """Leaky ReLU with a learned slope per element: ``relu(x) - alpha * relu(-x)``.

    ``shared_axes`` share one slope along those axes (e.g. ``[1, 2]`` for one per channel).

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.PReLU(shared_axes=[1, 2])
    >>> _ = layer(np.ones((1, 4, 4, 3), "float32"))
    >>> layer.alpha.shape
    (1, 1, 3)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = resolve("initializers", alpha_initializer)
        self.alpha_regularizer = resolve("regularizers", alpha_regularizer)
        self.alpha_constraint = resolve("constraints", alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"Layer '{self.name}': shared_axes must name axes 1 to "
                                 f"{len(input_shape) - 1}. Received: shared_axes="
                                 f"{self.shared_axes} for input_shape={tuple(input_shape)}")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"Layer '{self.name}': the input shape must be known on every "
                             f"non-shared axis. Received: input_shape={tuple(input_shape)}")
        self.alpha = self.add_weight(shape=shape, initializer=self.alpha_initializer,
                                     name="alpha", regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": serialize("initializers", self.alpha_initializer),
            "alpha_regularizer": serialize("regularizers", self.alpha_regularizer),
            "alpha_constraint": serialize("constraints", self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config


@builtin("layers")
class ELU(_Activation):
    """``x`` if x > 0 else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@builtin("layers")
class Softmax(_Activation):
    """Softmax over ``axis``; masked positions (mask False) get (almost) zero probability, by
    adding -1e9 to their logits as Keras does.

    >>> import numpy as np
    >>> from ember import keras
    >>> x = np.array([[1.0, 2.0, 1.0]], "float32")
    >>> keras.layers.Softmax()(x, mask=np.array([[True, True, False]])).numpy().round(3)
    array([[0.269, 0.731, 0.   ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs, mask=None):
        if mask is not None:
            keep = mask_array(mask)
            large = -3e4 if inputs.dtype == np.float16 else -1e9
            adder = (1.0 - keep.astype(inputs.dtype)) * inputs.dtype.type(large)
            inputs = inputs + constant(adder)
        if isinstance(self.axis, list):
            if len(self.axis) > 1:
                return ops.exp(inputs - ops.logsumexp(inputs, axis=tuple(self.axis),
                                                      keepdims=True))
            return ops.softmax(inputs, axis=self.axis[0])
        return ops.softmax(inputs, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
