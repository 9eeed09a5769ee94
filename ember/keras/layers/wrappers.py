"""Layer wrappers: Bidirectional (an RNN run both ways) and TimeDistributed (a layer per step)."""

from ... import ops
from ..registry import builtin
from ._utils import (
    as_tensor,
    deserialize_layer,
    dtype_name_config,
    mask_array,
    mask_tensor,
    serialize_layer,
)
from .base import Layer, _call_flags


class Wrapper(Layer):
    """Base class of layers that wrap another layer (``self.layer``)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. "
                             "Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **dtype_name_config(config))


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


@builtin("layers")
class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards, and merge the two outputs.

    Weights: the forward layer's, then the backward layer's (as Keras).

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` need to be a `keras.layers.Layer` instance. "
                             f"Received: {backward_layer}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             'one of {"sum", "mul", "ave", "concat", None}')
        super().__init__(**kwargs)
        config = serialize_layer(layer)
        config["config"]["name"] = "forward_" + layer.name.removeprefix("forward_")
        self.forward_layer = deserialize_layer(config)
        if backward_layer is None:
            config = serialize_layer(layer)
            config["config"]["go_backwards"] = not layer.go_backwards
            config["config"]["name"] = "backward_" + layer.name.removeprefix("backward_")
            backward_layer = deserialize_layer(config)
        self.backward_layer = backward_layer
        self._verify()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec
        self._initial_weights = weights

    def _verify(self):
        f, b = self.forward_layer, self.backward_layer
        if f.go_backwards == b.go_backwards:
            raise ValueError("Forward layer and backward layer should have different "
                             f"`go_backwards` value. Received: forward_layer.go_backwards "
                             f"{f.go_backwards}, backward_layer.go_backwards={b.go_backwards}")
        for name in ("stateful", "return_sequences", "return_state"):
            if getattr(f, name) != getattr(b, name):
                raise ValueError(f"Forward layer and backward layer are expected to have the same "
                                 f'value for attribute "{name}", got "{getattr(f, name)}" for '
                                 f'forward layer and "{getattr(b, name)}" for backward layer')

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._maybe_build(sequences_shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs = {}
        if mask is not None:
            kwargs["mask"] = mask
        if training is not None:
            kwargs["training"] = training
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        mode = self.merge_mode
        if mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif mode == "sum":
            output = y + y_rev
        elif mode == "ave":
            output = (y + y_rev) / 2
        elif mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if mode is None or self.return_state:
            # several outputs: attach the sequence mask here (compute_mask gives None)
            if mask is not None and self.return_sequences:
                for out in (output if mode is None else (output,)):
                    out._keras_mask = mask
            return (*output, *states) if mode is None else (output, *states)
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.merge_mode is None or self.return_state or not self.return_sequences:
            return None
        return mask

    def reset_state(self):
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize_layer(self.forward_layer)
        config["backward_layer"] = serialize_layer(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize_layer(backward, custom_objects)
        return cls(layer, backward_layer=backward, **dtype_name_config(config))


@builtin("layers")
class TimeDistributed(Wrapper):
    """Apply ``layer`` to every timestep of (batch, timesteps, ...) inputs (one call on the
    batch and time axes merged).

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.TimeDistributed(keras.layers.Dense(4))
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape` with at "
                             f"least 3 dimensions, received: {tuple(input_shape)}")
        if not self.layer.built:
            self.layer._maybe_build((None,) + tuple(input_shape[2:]))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        inputs = as_tensor(inputs)
        batch, steps = inputs.shape[:2]
        flat = ops.reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        kwargs = {}
        flags = _call_flags(type(self.layer))
        if flags.training and training is not None:
            kwargs["training"] = training
        m = mask_array(mask)
        if flags.mask and m is not None and m.ndim > 2:
            kwargs["mask"] = mask_tensor(m.reshape((batch * steps,) + m.shape[2:]))
        out = self.layer(flat, **kwargs)
        return ops.reshape(out, (batch, steps) + tuple(out.shape[1:]))

    def compute_mask(self, inputs, mask=None):
        return mask
