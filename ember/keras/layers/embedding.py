"""Embedding (integer indices -> dense vectors, with ``mask_zero``) and Masking.

Both produce the (batch, steps) mask that RNNs, attention and the 1-D global pools consume.
"""

import warnings

import numpy as np

from ... import ops
from ...autograd.tensor import Tensor
from ...ops._convert import constant
from ..registry import builtin
from ._utils import check_positive_int, mask_tensor, resolve, serialize
from .base import Layer


@builtin("layers")
class Embedding(Layer):
    """Turn indices into vectors: (batch, ...) -> (batch, ..., output_dim).

    With ``mask_zero=True`` index 0 is padding: the output carries a mask that is False there
    (so ``input_dim`` should be the vocabulary size + 1).

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.Embedding(10, 4, mask_zero=True)
    >>> y = layer(np.array([[3, 1, 0]]))
    >>> y.shape, y._keras_mask.numpy().tolist()
    ((1, 3, 4), [[True, True, False]])
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = check_positive_int(output_dim, "output_dim", "Embedding")
        self.embeddings_initializer = resolve("initializers", embeddings_initializer)
        self.embeddings_regularizer = resolve("regularizers", embeddings_regularizer)
        self.embeddings_constraint = resolve("constraints", embeddings_constraint)
        self.activity_regularizer = resolve("regularizers", activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.lora_rank = lora_rank
        self._initial_weights = weights
        if weights is not None:
            self.build(None)
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        indices = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if indices.dtype.kind not in "iu":
            indices = indices.astype(np.int64)  # Keras casts (truncating) float indices
        out = ops.embedding(indices, self.embeddings)
        return out

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        indices = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return mask_tensor(indices != 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize("initializers", self.embeddings_initializer),
            "embeddings_regularizer": serialize("regularizers", self.embeddings_regularizer),
            "activity_regularizer": serialize("regularizers", self.activity_regularizer),
            "embeddings_constraint": serialize("constraints", self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
        return config


@builtin("layers")
class Masking(Layer):
    """Mask the timesteps whose features all equal ``mask_value`` (and zero them).

    >>> import numpy as np
    >>> from ember import keras
    >>> x = np.array([[[1.0], [0.0], [2.0]]], "float32")
    >>> keras.layers.Masking()(x)._keras_mask.numpy().tolist()
    [[True, False, True]]
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def _keep(self, inputs):
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return np.any(data != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = self._keep(inputs)
        return inputs * constant(keep[..., None].astype(inputs.dtype))

    def compute_mask(self, inputs, mask=None):
        return mask_tensor(self._keep(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
