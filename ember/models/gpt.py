"""The pieces of the character GPT that ``ember.recipes.build_char_gpt`` builds: its position
embedding layer, training windows over a text, and a sampler.

>>> import numpy as np
>>> x, y = windows(np.arange(10), context=4)
>>> x.tolist(), y.tolist()
([[0, 1, 2, 3], [4, 5, 6, 7]], [[1, 2, 3, 4], [5, 6, 7, 8]])
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
