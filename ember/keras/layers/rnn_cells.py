"""RNN cells: SimpleRNNCell, LSTMCell, GRUCell (one timestep each, Keras' weight layout).

The layers SimpleRNN, LSTM and GRU run a whole sequence through one fused op
(``ember.ops.kernels.recurrent``); a cell's own ``call`` is the per-step path used by
``keras.layers.RNN(cell)`` and by activations the fused kernels do not know.
"""

import numpy as np

from ... import backend, ops
from ...ops._convert import constant
from ..registry import builtin
from ._utils import resolve, serialize
from .base import Layer


def _check_dropout(value, name, cell):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{cell}: `{name}` must be a float between 0 and 1. "
                         f"Received: {name}={value!r}")
    return min(1.0, max(0.0, float(value)))


class DropoutRNNCell:
    """Dropout masks drawn once per sequence and reused at every step (Keras' behaviour)."""

    def _init_dropout(self, dropout, recurrent_dropout, seed):
        name = type(self).__name__
        self.dropout = _check_dropout(dropout, "dropout", name)
        self.recurrent_dropout = _check_dropout(recurrent_dropout, "recurrent_dropout", name)
        self.seed = seed
        self._generator = np.random.default_rng(seed) if seed is not None else None
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _draw(self, rate, shape, dtype):
        keep = 1.0 - rate
        gen = self._generator or backend.rng()
        return ((gen.random(shape) < keep) / keep).astype(dtype)

    def get_dropout_mask(self, step_input):
        """(batch, features) input mask for this sequence, or None without input dropout."""
        if not 0 < self.dropout < 1:
            return None
        if self._dropout_mask is None:
            self._dropout_mask = self._draw(self.dropout, step_input.shape, step_input.dtype)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state):
        if not 0 < self.recurrent_dropout < 1:
            return None
        if self._recurrent_dropout_mask is None:
            self._recurrent_dropout_mask = self._draw(self.recurrent_dropout, step_state.shape,
                                                      step_state.dtype)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None


class _Cell(DropoutRNNCell, Layer):
    gates = 1
    config_keys = ("units", "activation", "use_bias", "kernel_initializer",
                   "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                   "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                   "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
                   "seed")

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        from .. import activations

        name = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"{name}: received an invalid value for argument `units`, expected "
                             f"a positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = resolve("initializers", kernel_initializer)
        self.recurrent_initializer = resolve("initializers", recurrent_initializer)
        self.bias_initializer = resolve("initializers", bias_initializer)
        self.kernel_regularizer = resolve("regularizers", kernel_regularizer)
        self.recurrent_regularizer = resolve("regularizers", recurrent_regularizer)
        self.bias_regularizer = resolve("regularizers", bias_regularizer)
        self.kernel_constraint = resolve("constraints", kernel_constraint)
        self.recurrent_constraint = resolve("constraints", recurrent_constraint)
        self.bias_constraint = resolve("constraints", bias_constraint)
        self._init_dropout(dropout, recurrent_dropout, seed)

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"Layer '{self.name}': the last axis of the inputs (features) must "
                             f"be known. Received: input_shape={tuple(input_shape)}")
        width = self.gates * self.units
        self.kernel = self.add_weight(shape=(int(features), width), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, width),
                                                name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=self.bias_shape(), name="bias",
                                        initializer=self.bias_initializer_fn(),
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_initializer_fn(self):
        return self.bias_initializer

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [
            self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def dropped_inputs(self, inputs, states, training):
        """Inputs and previous state with this sequence's dropout masks applied."""
        h = states[0]
        if training:
            mask = self.get_dropout_mask(inputs)
            if mask is not None:
                inputs = inputs * constant(mask)
            rmask = self.get_recurrent_dropout_mask(h)
            if rmask is not None:
                h = h * constant(rmask)
        return inputs, h

    def get_config(self):
        from .. import activations

        config = super().get_config()
        values = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        for key in self.config_keys:
            if key in values:
                config[key] = values[key]
            elif key.endswith("activation"):
                config[key] = activations.serialize(getattr(self, key))
            elif key.endswith("bias") or key in ("reset_after",):
                config[key] = getattr(self, key)
            else:
                family = key.split("_")[-1] + "s"
                config[key] = serialize(family, getattr(self, key))
        return config


@builtin("layers")
class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: ``h = activation(x @ kernel + h @ recurrent + bias)``.

    >>> import numpy as np
    >>> from ember import keras
    >>> cell = keras.layers.SimpleRNNCell(4)
    >>> out, states = cell(np.ones((2, 3), "float32"), [np.zeros((2, 4), "float32")])
    >>> out.shape
    (2, 4)
    """

    def call(self, inputs, states, training=False):
        states = states if isinstance(states, (list, tuple)) else [states]
        x, h = self.dropped_inputs(inputs, states, training)
        pre = ops.dense(x, self.kernel, self.bias) + ops.matmul(h, self.recurrent_kernel)
        out = self.activation(pre)
        return out, [out]


class _GatedCell(_Cell):
    """LSTMCell and GRUCell: gates use ``recurrent_activation``; Keras 2's ``implementation``
    argument is accepted and ignored."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(units, activation=activation, **kwargs)
        from .. import activations

        self.recurrent_activation = activations.get(recurrent_activation)


@builtin("layers")
class LSTMCell(_GatedCell):
    """One LSTM step; kernel (features, 4 units), gates in Keras' order i, f, c, o.

    ``unit_forget_bias=True`` initializes the forget gate's bias to ones.
    """

    gates = 4
    config_keys = ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
                   "kernel_initializer", "recurrent_initializer", "bias_initializer",
                   "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                   "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                   "recurrent_dropout", "seed")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def bias_initializer_fn(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, units = self.bias_initializer, self.units

        def forget_bias_ones(shape, dtype=None):
            return np.concatenate([np.asarray(init((units,), dtype=dtype)),
                                   np.ones((units,), dtype),
                                   np.asarray(init((2 * units,), dtype=dtype))])

        return forget_bias_ones

    def call(self, inputs, states, training=False):
        c = states[1]
        x, h = self.dropped_inputs(inputs, states, training)
        u = self.units
        z = ops.dense(x, self.kernel, self.bias) + ops.matmul(h, self.recurrent_kernel)
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * g
        h = o * self.activation(c)
        return h, [h, c]


@builtin("layers")
class GRUCell(_GatedCell):
    """One GRU step; kernel (features, 3 units), gates z, r, h; with ``reset_after=True`` (the
    default) the bias is (2, 3 units): input and recurrent biases, and the reset gate applies
    after the recurrent matmul (as cuDNN and PyTorch)."""

    gates = 3
    config_keys = ("units", "activation", "recurrent_activation", "use_bias",
                   "kernel_initializer", "recurrent_initializer", "bias_initializer",
                   "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                   "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                   "recurrent_dropout", "reset_after", "seed")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        x, h = self.dropped_inputs(inputs, [h_prev], training)
        u = self.units
        in_bias = rec_bias = None
        if self.bias is not None:
            in_bias, rec_bias = (self.bias[0], self.bias[1]) if self.reset_after else (
                self.bias, None)
        xp = ops.dense(x, self.kernel, in_bias)
        if self.reset_after:
            rec = ops.dense(h, self.recurrent_kernel, rec_bias)
            z = self.recurrent_activation(xp[:, :u] + rec[:, :u])
            r = self.recurrent_activation(xp[:, u:2 * u] + rec[:, u:2 * u])
            hh = self.activation(xp[:, 2 * u:] + r * rec[:, 2 * u:])
        else:
            rec = ops.matmul(h, self.recurrent_kernel[:, :2 * u])
            z = self.recurrent_activation(xp[:, :u] + rec[:, :u])
            r = self.recurrent_activation(xp[:, u:2 * u] + rec[:, u:])
            hh = self.activation(xp[:, 2 * u:] + ops.matmul(r * h,
                                                            self.recurrent_kernel[:, 2 * u:]))
        h_new = z * h_prev + (1 - z) * hh
        return h_new, [h_new]
