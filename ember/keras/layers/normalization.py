"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization.

BatchNormalization keeps Keras' weight order (gamma, beta, moving_mean, moving_variance), uses
the batch statistics in training calls and updates the non-trainable moving statistics there
(``moving = moving * momentum + batch * (1 - momentum)``, biased batch variance, as Keras), and
uses the moving statistics in inference calls.
"""

import numpy as np

from ... import ops
from ...ops._convert import constant, normalize_axis
from ..registry import builtin
from ._utils import check_positive_int, mask_array, resolve, serialize
from .base import Layer
from .input_spec import InputSpec


def _check_epsilon(epsilon, layer):
    if not isinstance(epsilon, (int, float, np.floating)) or epsilon < 0:
        raise ValueError(f"{layer}: `epsilon` must be a non-negative float. "
                         f"Received: epsilon={epsilon!r}")
    return float(epsilon)


class _ScaleShift(Layer):
    """The gamma/beta arguments shared by the three layers."""

    def __init__(self, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = resolve("initializers", beta_initializer)
        self.gamma_initializer = resolve("initializers", gamma_initializer)
        self.beta_regularizer = resolve("regularizers", beta_regularizer)
        self.gamma_regularizer = resolve("regularizers", gamma_regularizer)
        self.beta_constraint = resolve("constraints", beta_constraint)
        self.gamma_constraint = resolve("constraints", gamma_constraint)
        self.supports_masking = True

    def add_scale_shift(self, shape):
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         name="gamma", regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        name="beta", regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def get_config(self):
        config = super().get_config()
        config.update({
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize("initializers", self.beta_initializer),
            "gamma_initializer": serialize("initializers", self.gamma_initializer),
            "beta_regularizer": serialize("regularizers", self.beta_regularizer),
            "gamma_regularizer": serialize("regularizers", self.gamma_regularizer),
            "beta_constraint": serialize("constraints", self.beta_constraint),
            "gamma_constraint": serialize("constraints", self.gamma_constraint),
        })
        return config


def _known_axis(layer, input_shape, axis):
    size = input_shape[axis]
    if size is None:
        raise ValueError(f"Layer '{layer.name}': axis {axis} of the input shape must be known "
                         f"to build the layer. Received: input_shape={tuple(input_shape)}")
    return int(size)


@builtin("layers")
class BatchNormalization(_ScaleShift):
    """Normalize each channel with batch statistics (training) or moving ones (inference).

    A frozen layer (``trainable = False``) always runs in inference mode, as in Keras.

    >>> import numpy as np
    >>> from ember import keras
    >>> bn = keras.layers.BatchNormalization()
    >>> bn(np.ones((4, 3), "float32"), training=True).shape
    (4, 3)
    >>> [w.name for w in bn.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"BatchNormalization: `axis` must be an integer. "
                             f"Received: axis={axis!r}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon(epsilon, "BatchNormalization")
        self.moving_mean_initializer = resolve("initializers", moving_mean_initializer)
        self.moving_variance_initializer = resolve("initializers", moving_variance_initializer)
        self.synchronized = bool(synchronized)

    def build(self, input_shape):
        axis = normalize_axis(self.axis, len(input_shape), f"Layer '{self.name}'")[0]
        shape = (_known_axis(self, input_shape, axis),)
        self.add_scale_shift(shape)
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(shape=shape,
                                               initializer=self.moving_variance_initializer,
                                               name="moving_variance", trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: shape[0]})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable:
            if mask is not None:
                return self._masked_training_call(inputs, mask)
            y, mean, var = ops.batch_norm_train(inputs, self.gamma, self.beta, self.epsilon,
                                                self.axis)
            self._update_moving(mean.data, var.data)
            return y
        return ops.batch_norm(inputs, self.moving_mean, self.moving_variance, self.gamma,
                              self.beta, self.epsilon, self.axis)

    def _update_moving(self, mean, var):
        m = self.momentum
        self.moving_mean.assign(self.moving_mean.data * m + mean * (1 - m))
        self.moving_variance.assign(self.moving_variance.data * m + var * (1 - m))

    def _masked_training_call(self, inputs, mask):
        """Statistics over the unmasked positions only (Keras' masked moments)."""
        axis = normalize_axis(self.axis, inputs.ndim)[0]
        m = mask_array(mask).astype(inputs.dtype)
        m = m.reshape(m.shape + (1,) * (inputs.ndim - m.ndim))
        axes = tuple(a for a in range(inputs.ndim) if a != axis)
        weights = constant(m)
        count = ops.sum(ops.broadcast_to(weights, inputs.shape), axis=axes, keepdims=True)
        mean = ops.sum(inputs * weights, axis=axes, keepdims=True) / count
        var = ops.sum(ops.square(inputs - mean) * weights, axis=axes, keepdims=True) / count
        shape = (-1,)
        self._update_moving(mean.data.reshape(shape), var.data.reshape(shape))
        y = (inputs - mean) / ops.sqrt(var + self.epsilon)
        bshape = [1] * inputs.ndim
        bshape[axis] = -1
        if self.gamma is not None:
            y = y * ops.reshape(self.gamma, bshape)
        if self.beta is not None:
            y = y + ops.reshape(self.beta, bshape)
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "moving_mean_initializer": serialize("initializers", self.moving_mean_initializer),
            "moving_variance_initializer": serialize("initializers",
                                                     self.moving_variance_initializer),
            "synchronized": self.synchronized,
        })
        return config


@builtin("layers")
class LayerNormalization(_ScaleShift):
    """Normalize each example over ``axis`` (default the last), then scale and shift.

    ``rms_scaling=True`` divides by the root mean square instead and multiplies by gamma
    (``center`` and ``scale`` are then ignored, as in Keras).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.LayerNormalization()(np.arange(6.0).reshape(2, 3)).numpy().round(3)
    array([[-1.224,  0.   ,  1.224],
           [-1.224,  0.   ,  1.224]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)):
            self.axis = int(axis)
        else:
            raise TypeError(f"LayerNormalization: expected an int or a list/tuple of ints for "
                            f"the argument `axis`. Received: axis={axis!r}")
        self.epsilon = _check_epsilon(epsilon, "LayerNormalization")
        self.rms_scaling = bool(rms_scaling)

    def build(self, input_shape):
        axes = normalize_axis(self.axis, len(input_shape), f"Layer '{self.name}'")
        self._axes = tuple(sorted(axes))
        shape = tuple(_known_axis(self, input_shape, a) for a in self._axes)
        if self.rms_scaling:  # Keras: gamma always, no beta
            center, scale = self.center, self.scale
            self.center, self.scale = False, True
            self.add_scale_shift(shape)
            self.center, self.scale = center, scale
        else:
            self.add_scale_shift(shape)
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={a: s for a, s in zip(self._axes, shape)})
        self.built = True

    def call(self, inputs):
        if not self.rms_scaling:
            return ops.layer_norm(inputs, self.gamma, self.beta, self.epsilon, self._axes)
        mean_square = ops.mean(ops.square(inputs), axis=self._axes, keepdims=True)
        y = inputs / ops.sqrt(mean_square + self.epsilon)
        if self.gamma is not None:
            y = y * self._broadcast(self.gamma, inputs.ndim)
        return y

    def _broadcast(self, param, ndim):
        shape = [1] * ndim
        for a, size in zip(self._axes, param.shape):
            shape[a] = size
        return ops.reshape(param, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon,
                       "rms_scaling": self.rms_scaling})
        return config


@builtin("layers")
class GroupNormalization(_ScaleShift):
    """Normalize groups of channels of each example (Keras' GroupNormalization).

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.GroupNormalization(groups=2)(np.ones((1, 4, 4, 6), "float32")).shape
    (1, 4, 4, 6)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.groups = check_positive_int(groups, "groups", "GroupNormalization")
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"GroupNormalization: `axis` must be an integer. "
                             f"Received: axis={axis!r}")
        self.axis = int(axis)
        self.epsilon = _check_epsilon(epsilon, "GroupNormalization")

    def build(self, input_shape):
        axis = normalize_axis(self.axis, len(input_shape), f"Layer '{self.name}'")[0]
        channels = _known_axis(self, input_shape, axis)
        if channels < self.groups:
            raise ValueError(f"Layer '{self.name}': number of groups ({self.groups}) cannot be "
                             f"more than the number of channels ({channels}).")
        if channels % self.groups:
            raise ValueError(f"Layer '{self.name}': number of groups ({self.groups}) must be a "
                             f"multiple of the number of channels ({channels}).")
        self._axis = axis
        self.add_scale_shift((channels,))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})
        self.built = True

    def call(self, inputs):
        last = self._axis == inputs.ndim - 1
        x = inputs if last else ops.moveaxis(inputs, self._axis, -1)
        y = ops.group_norm(x, self.groups, self.gamma, self.beta, self.epsilon)
        return y if last else ops.moveaxis(y, -1, self._axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon})
        return config
