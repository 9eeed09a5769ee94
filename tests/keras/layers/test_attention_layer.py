"""MultiHeadAttention against torch's scaled_dot_product_attention composed with the same
projection weights (Keras' EinsumDense layout), masks, scores, configs and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip, set_random_weights

from ember.keras import layers

B, T, S, D, H, K = 2, 5, 4, 6, 3, 4


def built_mha(value_dim=None, output_shape=None, key_dim=K, use_bias=True):
    layer = layers.MultiHeadAttention(H, key_dim, value_dim=value_dim, output_shape=output_shape,
                                      use_bias=use_bias, dtype="float64")
    layer.build((None, T, D), (None, S, D))
    set_random_weights(layer)
    return layer


def torch_mha(query, value, wq, bq, wk, bk, wv, bv, wo, bo, mask=None, is_causal=False,
              scores=False):
    """(B, T, D) @ (D, H, K) + (H, K) projections, sdpa over (B, H, T, K), output (H, V, D)."""
    q = (torch.einsum("btd,dhk->bthk", query, wq) + bq).transpose(1, 2)
    k = (torch.einsum("bsd,dhk->bshk", value, wk) + bk).transpose(1, 2)
    v = (torch.einsum("bsd,dhk->bshk", value, wv) + bv).transpose(1, 2)
    context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
    out = torch.einsum("bthv,hvo->bto", context.transpose(1, 2), wo) + bo
    if not scores:
        return out
    logits = q @ k.transpose(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        logits = logits.masked_fill(~mask, -1e9)
    return out, torch.softmax(logits, -1)


def test_weights_have_keras_layout():
    layer = built_mha(value_dim=5, output_shape=7)
    assert [w.shape for w in layer.weights] == [(D, H, K), (H, K), (D, H, K), (H, K),
                                                (D, H, 5), (H, 5), (H, 5, 7), (7,)]
    assert [sub.name for sub in (layer.query_dense, layer.key_dense, layer.value_dense,
                                 layer.output_dense)] == ["query", "key", "value",
                                                          "attention_output"]


def test_self_attention_with_causal_mask_matches_torch():
    x = np.random.default_rng(0).standard_normal((B, T, D))
    layer = layers.MultiHeadAttention(H, K, dtype="float64")
    layer.build((None, T, D), (None, T, D))
    set_random_weights(layer)
    compare_layer(lambda x: layer(x, x, use_causal_mask=True),
                  lambda x, *w: torch_mha(x, x, *w, is_causal=True), [x], layer.weights)


def test_cross_attention_with_attention_mask_and_scores_matches_torch():
    gen = np.random.default_rng(1)
    query, value = gen.standard_normal((B, T, D)), gen.standard_normal((B, S, D))
    mask = gen.random((B, T, S)) > 0.3
    mask[:, :, 0] = True  # every query sees at least one key
    layer = built_mha()
    compare_layer(lambda q, v: layer(q, v, attention_mask=mask, return_attention_scores=True),
                  lambda q, v, *w: torch_mha(q, v, *w, mask=torch.tensor(mask)[:, None],
                                             scores=True),
                  [query, value], layer.weights)


def test_value_mask_from_embedding_equals_an_explicit_attention_mask():
    tokens = np.array([[1, 2, 3, 0], [4, 5, 0, 0]])
    embed = layers.Embedding(6, D, mask_zero=True)
    query = np.random.default_rng(2).standard_normal((2, T, D)).astype("float32")
    layer = layers.MultiHeadAttention(H, K)
    value = embed(tokens)
    auto = layer(query, value).numpy()
    explicit = np.broadcast_to((tokens != 0)[:, None, :], (2, T, S))
    manual = layer(query, embed(tokens).detach(), attention_mask=explicit).numpy()
    np.testing.assert_allclose(auto, manual, rtol=1e-6)
    # the query's mask comes out on the output
    out = layer(value, value)
    np.testing.assert_array_equal(out._keras_mask.numpy(), tokens != 0)


def test_scores_and_dropout():
    x = np.random.default_rng(3).standard_normal((B, T, D)).astype("float32")
    layer = layers.MultiHeadAttention(H, K, dropout=0.5)
    out, scores = layer(x, x, return_attention_scores=True)
    assert scores.shape == (B, H, T, T)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(layer(x, x).numpy(), out.numpy(), rtol=1e-6)  # inference
    assert not np.allclose(layer(x, x, training=True).numpy(), out.numpy())


def test_mha_in_a_functional_transformer_block():
    from ember import keras

    inputs = keras.Input((T, D))
    attended = layers.MultiHeadAttention(2, 3)(inputs, inputs, use_causal_mask=True)
    x = layers.LayerNormalization()(layers.Add()([inputs, attended]))
    model = keras.Model(inputs, x)
    assert model.output_shape == (None, T, D)
    assert len(model.weights) == 10
    assert model(np.ones((2, T, D), "float32")).shape == (2, T, D)


def test_config_round_trip_and_defaults():
    layer = layers.MultiHeadAttention(4, 8)
    assert (layer.value_dim, layer.dropout, layer.use_bias) == (8, 0.0, True)
    config = config_round_trip(layer).get_config()
    assert config["num_heads"] == 4 and config["key_dim"] == 8
    config_round_trip(layers.MultiHeadAttention(2, 3, value_dim=5, output_shape=(7,),
                                                use_bias=False, dropout=0.1))
    no_bias = built_mha(use_bias=False)
    assert len(no_bias.weights) == 4


def test_attention_error_messages():
    with pytest.raises(ValueError, match="`num_heads`: expected a strictly positive integer"):
        layers.MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="attention_axes must be None, 1 or -2"):
        layers.MultiHeadAttention(2, 4, attention_axes=(1, 2))
    layer = layers.MultiHeadAttention(2, 4)
    with pytest.raises(ValueError, match=r"All dimensions of `value` and `key`, except the last "
                                         r"one, must be equal"):
        layer(np.ones((1, 3, 4), "float32"), np.ones((1, 5, 4), "float32"),
              key=np.ones((1, 6, 4), "float32"))
    with pytest.raises(ValueError, match=r"attention_mask must broadcast to \(batch, T, S\) = "
                                         r"\(1, 3, 5\)"):
        layers.MultiHeadAttention(2, 4)(np.ones((1, 3, 4), "float32"),
                                        np.ones((1, 5, 4), "float32"),
                                        attention_mask=np.ones((1, 3, 4), bool))
    with pytest.raises(ValueError, match=r"query must have shape \(batch, time, dim\)"):
        layers.MultiHeadAttention(2, 4)(np.ones((1, 2, 3, 4), "float32"),
                                        np.ones((1, 2, 3, 4), "float32"))
