"""A character-level GPT (nanoGPT's shape) as a Keras functional model, its training windows and
a sampler.

>>> from ember.models.gpt import build_char_gpt
>>> model = build_char_gpt(vocab_size=65, context=16, width=32, layers=1, heads=2)
>>> model.output_shape
(None, None, 65)

The model maps ``(batch, time)`` character ids (time up to ``context``) to next-character logits
``(batch, time, vocab_size)``. Each block is pre-norm: ``x + attn(ln(x))`` with causal
self-attention, then ``x + mlp(ln(x))`` with a GELU MLP four times as wide.
"""

import numpy as np

from .. import ops
from ..keras.layers.base import Layer
from ..keras.registry import register_keras_serializable


@register_keras_serializable(package="ember")
class PositionEmbedding(Layer):
    """Learned position embeddings (keras_hub's ``PositionEmbedding``): for inputs
    ``(batch, time, width)``, returns the embeddings of positions ``0..time-1`` broadcast to the
    inputs' shape; add them to the token embeddings.

    Args:
        sequence_length: the longest sequence (the context length).
        initializer: initializer of the ``(sequence_length, width)`` table.
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(sequence_length, int) or sequence_length < 1:
            raise ValueError(f"PositionEmbedding: `sequence_length` must be a positive int. "
                             f"Received: sequence_length={sequence_length!r}")
        self.sequence_length = sequence_length
        self.initializer = initializer

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]), initializer=self.initializer,
            name="embeddings")
        self.built = True

    def call(self, inputs):
        length = inputs.shape[-2]
        if length > self.sequence_length:
            raise ValueError(f"Layer '{self.name}' (PositionEmbedding) holds "
                             f"{self.sequence_length} positions; received a sequence of "
                             f"{length} (inputs of shape {inputs.shape}).")
        table = self.position_embeddings[:length]  # (T, C)
        return ops.broadcast_to(table, inputs.shape)  # (B, T, C)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"sequence_length": self.sequence_length, "initializer": self.initializer})
        return config


def build_char_gpt(vocab_size, context=64, width=128, layers=4, heads=4, dropout=0.0):
    """A GPT over characters: token + position embeddings, ``layers`` pre-norm blocks of causal
    multi-head self-attention and a GELU MLP, a final LayerNormalization and a Dense head giving
    logits over ``vocab_size`` characters. Returns an uncompiled ``keras.Model``.

    >>> model = build_char_gpt(65, context=16, width=32, layers=1, heads=2)
    >>> model.count_params() > 0
    True
    """
    from .. import keras

    if width % heads:
        raise ValueError(f"build_char_gpt: `width` must be a multiple of `heads`. Received: "
                         f"width={width}, heads={heads}")
    layer = keras.layers
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (B, T)
    tokens = layer.Embedding(vocab_size, width, name="token_embedding")(ids)  # (B, T, C)
    x = tokens + PositionEmbedding(context, name="position_embedding")(tokens)
    if dropout:
        x = layer.Dropout(dropout)(x)
    for i in range(layers):
        h = layer.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln1")(x)
        h = layer.MultiHeadAttention(heads, width // heads, dropout=dropout,
                                     name=f"block{i}_attention")(h, h, use_causal_mask=True)
        x = x + h
        h = layer.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln2")(x)
        h = layer.Dense(4 * width, activation="gelu", name=f"block{i}_mlp_up")(h)  # (B, T, 4C)
        h = layer.Dense(width, name=f"block{i}_mlp_down")(h)  # (B, T, C)
        if dropout:
            h = layer.Dropout(dropout)(h)
        x = x + h
    x = layer.LayerNormalization(epsilon=1e-5, name="final_ln")(x)
    logits = layer.Dense(vocab_size, name="logits")(x)  # (B, T, vocab)
    return keras.Model(ids, logits, name="char_gpt")


def context_length(model):
    """The longest input ``model`` accepts: its fixed time axis, else its position table."""
    shape = model.input_shape
    if len(shape) > 1 and shape[1] is not None:
        return int(shape[1])
    for layer in model.layers:
        if isinstance(layer, PositionEmbedding):
            return layer.sequence_length
    return None


def windows(ids, context, count=None):
    """Non-overlapping ``(x, y)`` windows of ``ids``: y is x shifted by one character.

    ``count`` keeps that many windows evenly spread over the text (all when None).
    """
    n = (len(ids) - 1) // context
    if n < 1:
        raise ValueError(f"windows: the text ({len(ids)} characters) is shorter than one window "
                         f"of {context + 1} characters.")
    starts = np.arange(n) * context
    if count is not None and count < n:
        starts = starts[np.linspace(0, n - 1, count).astype(np.int64)]
    index = starts[:, None] + np.arange(context)  # (N, T)
    return ids[index].astype(np.int32), ids[index + 1].astype(np.int32)


def random_batches(ids, context, batch_size, rng):
    """An endless stream of ``(x, y)`` batches of random windows (nanoGPT's ``get_batch``)."""
    offsets = np.arange(context)
    while True:
        starts = rng.integers(0, len(ids) - context - 1, size=batch_size)
        index = starts[:, None] + offsets  # (B, T)
        yield ids[index].astype(np.int32), ids[index + 1].astype(np.int32)


def sample_ids(model, prompt_ids, length, temperature=1.0, rng=None):
    """Yield ``length`` ids sampled one at a time after ``prompt_ids`` (at least one id) from
    ``model``'s last-position logits divided by ``temperature`` (0 picks the likeliest id)."""
    from .. import no_grad

    if temperature < 0:
        raise ValueError(f"`temperature` must be >= 0. Received: temperature={temperature}")
    if len(prompt_ids) == 0:
        raise ValueError("sample_ids: the prompt must hold at least one id.")
    rng = rng or np.random.default_rng()
    context = context_length(model) or len(prompt_ids) + length
    ids = [int(i) for i in prompt_ids]
    for _ in range(length):
        window = np.asarray(ids[-context:], np.int32)[None]  # (1, T)
        with no_grad():
            logits = np.asarray(model(window, training=False).data[0, -1], np.float64)  # (V,)
        if temperature == 0:
            ids.append(int(np.argmax(logits)))
        else:
            logits = logits / temperature
            probs = np.exp(logits - logits.max())
            ids.append(int(rng.choice(len(probs), p=probs / probs.sum())))
        yield ids[-1]


def generate_ids(model, prompt_ids, length, temperature=1.0, rng=None):
    """The ``length`` ids ``sample_ids`` draws, as a list."""
    return list(sample_ids(model, prompt_ids, length, temperature, rng))
