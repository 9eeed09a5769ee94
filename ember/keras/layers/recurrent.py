"""Recurrent layers: RNN (any cell, one step at a time), SimpleRNN, LSTM and GRU.

SimpleRNN, LSTM and GRU run the whole sequence as one fused op (the input projection of all
timesteps is one GEMM, each step one GEMM for all gates, a hand-written backward through time);
their weights live in ``layer.cell`` with Keras' names, shapes and gate order, so
``get_weights``/``set_weights`` and saved files match Keras. Masks (from
``Embedding(mask_zero=True)`` or ``Masking``) make masked steps carry the state over.
"""

import numpy as np

from ... import ops
from ...autograd.variable import Variable
from ...ops._convert import constant
from ...ops.kernels.recurrent import RECURRENT_ACTIVATIONS, gru, lstm, simple_rnn
from ..registry import builtin
from ._utils import (
    as_tensor,
    deserialize_layer,
    dtype_name_config,
    mask_array,
    resolve,
    serialize,
    serialize_layer,
)
from .base import Layer, _call_flags
from .input_spec import InputSpec
from .rnn_cells import DropoutRNNCell, GRUCell, LSTMCell, SimpleRNNCell


@builtin("layers")
class RNN(Layer):
    """Run ``cell`` over the timesteps of (batch, timesteps, features) inputs.

    A cell has ``state_size`` and ``call(inputs, states) -> (output, new_states)``.

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.RNN(keras.layers.SimpleRNNCell(4), return_sequences=True)
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            raise ValueError("RNN: a list of cells (stacked cells) is not supported; stack RNN "
                             f"layers instead. Received: cell={cell!r:.200}")
        if not hasattr(cell, "call"):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if getattr(cell, "state_size", None) is None:
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer "
                             "or list of integers, one integer per RNN state). "
                             f"Received: cell={cell}")
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.activity_regularizer = resolve("regularizers", activity_regularizer)
        self.supports_masking = True
        self.states = None
        self.input_spec = InputSpec(min_ndim=3)

    @property
    def state_size(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def build(self, sequences_shape, initial_state_shape=None):
        spec = self.input_spec
        ndim = len(sequences_shape)
        if (spec.ndim is not None and ndim != spec.ndim) or ndim < 3:
            expected = f"ndim={spec.ndim}" if spec.ndim is not None else "min_ndim=3"
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: '
                             f"expected {expected}, found ndim={ndim}. Full shape received: "
                             f"{tuple(sequences_shape)}")
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build(step_shape)
        self.built = True

    def get_initial_state(self, batch_size):
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            states = make(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype)
                for size in self.state_size]

    def reset_state(self, states=None):
        """Zero the states of a stateful layer (or set them to ``states``)."""
        if self.states is None:
            return
        values = states if isinstance(states, (list, tuple)) else [states]
        for i, variable in enumerate(self.states):
            variable.assign(np.zeros(variable.shape) if states is None else values[i])

    reset_states = reset_state

    # ----- the call --------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        batch, steps = sequences.shape[0], sequences.shape[1]
        given = initial_state is not None
        states = self._initial_states(initial_state, batch)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        m = mask_array(mask)
        if m is not None and m.shape != (batch, steps):
            raise ValueError(f"Layer '{self.name}': the mask must have shape (batch, timesteps) = "
                             f"{(batch, steps)}. Received: mask.shape={m.shape}")
        try:
            result = self.fused_call(sequences, states, m, bool(training))
            fused = result is not None
            if not fused:
                result = self._loop(sequences, states, m, bool(training))
        finally:
            if isinstance(self.cell, DropoutRNNCell):
                self.cell.reset_dropout_mask()
                self.cell.reset_recurrent_dropout_mask()
        seq, last, new_states = result
        if m is not None:
            seq, last = self._mask_outputs(seq, last, m, fused and (given or self.stateful))
        if self.stateful:
            for variable, value in zip(self.states, new_states):
                variable.assign(value.data)
        output = seq if self.return_sequences else last
        if not self.return_state:
            return output
        if mask is not None and self.return_sequences:
            output._keras_mask = mask  # compute_mask is None here: the states carry no mask
        return (output, *new_states)

    def _initial_states(self, initial_state, batch):
        sizes = self.state_size
        if initial_state is None:
            if self.stateful:
                return self._stateful_states(batch)
            return self.get_initial_state(batch)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [
            initial_state]
        if len(states) != len(sizes):
            raise ValueError(f"Layer '{self.name}' expects {len(sizes)} initial state tensor(s) "
                             f"(cell.state_size={self.cell.state_size}). Received "
                             f"{len(states)} initial state tensor(s).")
        states = [as_tensor(s, self._dtype) for s in states]
        for s, size in zip(states, sizes):
            if tuple(s.shape) != (batch, size):
                raise ValueError(f"Layer '{self.name}': an initial state must have shape "
                                 f"(batch, state_size) = {(batch, size)}. Received: "
                                 f"{tuple(s.shape)}")
        return states

    def _stateful_states(self, batch):
        if self.states is None:
            self.states = [Variable(np.asarray(s.data), trainable=False, name="rnn_state")
                           for s in self.get_initial_state(batch)]
        elif self.states[0].shape[0] != batch:
            raise ValueError(f"Layer '{self.name}' is stateful with a batch size of "
                             f"{self.states[0].shape[0]}, but it received a batch of {batch}. "
                             "A stateful RNN needs the same batch size in every call.")
        return [constant(np.array(v.data)) for v in self.states]

    def _mask_outputs(self, seq, last, m, carried_initial):
        """Keras' outputs at masked steps: the previous output (zeros before the first real
        step) or, with ``zero_output_for_mask``, zeros."""
        mp = m[:, ::-1] if self.go_backwards else m  # processing order
        if self.zero_output_for_mask:
            keep = mp
        elif carried_initial:
            keep = np.maximum.accumulate(mp, axis=1)  # a real step has been seen
        else:
            return seq, last
        keep = keep.astype(seq.dtype)
        return seq * constant(keep[:, :, None]), last * constant(keep[:, -1:])

    def _loop(self, sequences, states, m, training):
        """One cell call per timestep (any cell)."""
        cell = self.cell
        kwargs = {}
        if isinstance(cell, Layer) and _call_flags(type(cell)).training:
            kwargs["training"] = training
        elif not isinstance(cell, Layer) and "training" in cell.call.__code__.co_varnames:
            kwargs["training"] = training
        run = cell if isinstance(cell, Layer) else cell.call
        steps = sequences.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, previous = [], None
        for t in order:
            out, new_states = run(sequences[:, t], states, **kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [
                new_states]
            if m is not None:
                keep = constant(m[:, t:t + 1])
                new_states = [ops.where(keep, n, s) for n, s in zip(new_states, states)]
                if previous is None:
                    previous = ops.zeros_like(out)
                out = ops.where(keep, out, 0.0 if self.zero_output_for_mask else previous)
            outputs.append(out)
            states, previous = new_states, out
        seq = ops.stack(outputs, axis=1) if self.return_sequences else None
        return seq, outputs[-1], states

    def fused_call(self, sequences, states, mask, training):
        """Subclasses run the whole sequence in one op here; None means "use the loop"."""
        return None

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_state:
            return None
        return mask if self.return_sequences else None

    def get_config(self):
        config = super().get_config()
        config.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_layer(self.cell),
        })
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = serialize("regularizers", self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects)
        return cls(cell, **dtype_name_config(config))


# ----- the fused layers -------------------------------------------------------------------------


def _kernel_activation(fn):
    """The fused kernels' name for a built-in activation function, else None."""
    from .. import activations

    for name in RECURRENT_ACTIVATIONS:
        if fn is activations.ALL_OBJECTS_DICT.get(name):
            return name
    return None


class _FusedRNN(RNN):
    cell_class = None
    cell_name = None
    delegated = ()

    def __init__(self, units, cell_kwargs, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError("Invalid valid received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn}")
        cell = self.cell_class(units, dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True), name=self.cell_name,
                               **cell_kwargs)
        super().__init__(cell, **kwargs)
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)

    def __getattr__(self, name):
        # units, activation, kernel_initializer, ... read from the cell, as Keras' properties
        if name in type(self).delegated and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def gate_activations(self):
        """The cell's (activation, recurrent_activation) as kernel names, or None when either
        has no fused kernel (the per-step loop runs then)."""
        activation = _kernel_activation(self.cell.activation)
        recurrent = _kernel_activation(self.cell.recurrent_activation)
        return None if activation is None or recurrent is None else (activation, recurrent)

    def dropout_masks(self, sequences, states, training):
        """The inputs with this call's input dropout applied, and the recurrent mask."""
        if not training:
            return sequences, None
        cell = self.cell
        mask = cell.get_dropout_mask(sequences.data[:, 0])
        if mask is not None:
            sequences = sequences * constant(mask[:, None, :])
        return sequences, cell.get_recurrent_dropout_mask(states[0].data)

    def get_config(self):
        config = super().get_config()
        config.pop("cell")
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = serialize("regularizers", self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**dtype_name_config(config))


_COMMON = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
           "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
           "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
           "recurrent_dropout", "seed")


@builtin("layers")
class SimpleRNN(_FusedRNN):
    """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent + bias)``.

    >>> import numpy as np
    >>> from ember import keras
    >>> keras.layers.SimpleRNN(4)(np.ones((2, 5, 3), "float32")).shape
    (2, 4)
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    delegated = _COMMON

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell_kwargs = dict(
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed)
        super().__init__(units, cell_kwargs, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful,
                         unroll=unroll, activity_regularizer=activity_regularizer, **kwargs)

    def fused_call(self, sequences, states, mask, training):
        cell = self.cell
        activation = _kernel_activation(cell.activation)
        if activation is None:
            return None
        x, rdrop = self.dropout_masks(sequences, states, training)
        seq, h = simple_rnn(x, cell.kernel, cell.recurrent_kernel, cell.bias, states[0],
                            mask=mask, go_backwards=self.go_backwards, activation=activation,
                            recurrent_dropout_mask=rdrop)
        return seq, h, [h]


@builtin("layers")
class LSTM(_FusedRNN):
    """Long short-term memory layer (Hochreiter 1997), with Keras' weights and defaults.

    >>> import numpy as np
    >>> from ember import keras
    >>> lstm = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> seq, h, c = lstm(np.ones((2, 5, 3), "float32"))
    >>> seq.shape, h.shape, c.shape
    ((2, 5, 4), (2, 4), (2, 4))
    >>> [w.shape for w in lstm.weights]
    [(3, 16), (4, 16), (16,)]
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"
    delegated = _COMMON + ("recurrent_activation", "unit_forget_bias")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        kwargs.pop("implementation", None)
        cell_kwargs = dict(
            activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed)
        super().__init__(units, cell_kwargs, use_cudnn=use_cudnn,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def fused_call(self, sequences, states, mask, training):
        activations = self.gate_activations()
        if activations is None:
            return None
        activation, recurrent = activations
        cell = self.cell
        x, rdrop = self.dropout_masks(sequences, states, training)
        seq, h, c = lstm(x, cell.kernel, cell.recurrent_kernel, cell.bias, states[0], states[1],
                         mask=mask, go_backwards=self.go_backwards, activation=activation,
                         recurrent_activation=recurrent, recurrent_dropout_mask=rdrop)
        return seq, h, [h, c]


@builtin("layers")
class GRU(_FusedRNN):
    """Gated recurrent unit (Cho et al. 2014); ``reset_after=True`` is Keras' (and PyTorch's)
    default form, with a (2, 3 * units) bias.

    >>> import numpy as np
    >>> from ember import keras
    >>> gru = keras.layers.GRU(4)
    >>> gru(np.ones((2, 5, 3), "float32")).shape
    (2, 4)
    >>> [w.shape for w in gru.weights]
    [(3, 12), (4, 12), (2, 12)]
    """

    cell_class = GRUCell
    cell_name = "gru_cell"
    delegated = _COMMON + ("recurrent_activation", "reset_after")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        kwargs.pop("implementation", None)
        cell_kwargs = dict(
            activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, reset_after=reset_after, seed=seed)
        super().__init__(units, cell_kwargs, use_cudnn=use_cudnn,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def fused_call(self, sequences, states, mask, training):
        activations = self.gate_activations()
        if activations is None:
            return None
        activation, recurrent = activations
        cell = self.cell
        x, rdrop = self.dropout_masks(sequences, states, training)
        seq, h = gru(x, cell.kernel, cell.recurrent_kernel, cell.bias, states[0], mask=mask,
                     go_backwards=self.go_backwards, activation=activation,
                     recurrent_activation=recurrent, reset_after=cell.reset_after,
                     recurrent_dropout_mask=rdrop)
        return seq, h, [h]
