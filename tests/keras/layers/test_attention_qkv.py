"""MultiHeadAttention's packed self-attention projections (one GEMM for q, k, v) against the
three separate EinsumDense calls (float32, values and every gradient) and PyTorch (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, set_random_weights

import ember
from ember.keras import layers, regularizers
from ember.keras.layers import attention, attention_qkv

B, T, D, H, K = 2, 6, 8, 3, 4


def built(dtype="float32", use_bias=True, **kwargs):
    layer = layers.MultiHeadAttention(H, K, use_bias=use_bias, dtype=dtype, **kwargs)
    layer.build((None, T, D), (None, T, D))
    set_random_weights(layer)
    return layer


def run(layer, x, packed, monkeypatch, loss_on="output", **call):
    """Output (and scores) and the gradients of x and every weight, packed or not."""
    calls = []
    real = attention_qkv.PackedProjection.forward

    def counted(self, *arrays):
        calls.append(1)
        return real(self, *arrays)

    monkeypatch.setattr(attention_qkv.PackedProjection, "forward", counted)
    monkeypatch.setattr(attention, "can_pack",
                        attention_qkv.can_pack if packed else lambda *args: False)
    for w in layer.weights:
        w.grad = None
    xt = ember.tensor(x, requires_grad=True)
    out, scores = layer(xt, xt, return_attention_scores=True, **call)
    target = {"output": out, "scores": scores}[loss_on]
    w = np.random.default_rng(5).standard_normal(target.shape).astype(x.dtype)
    (target * ember.tensor(w)).sum().backward()
    assert len(calls) == int(packed)
    zeros = [np.zeros(v.shape, v.dtype) for v in layer.weights]
    return ([out.numpy(), scores.numpy(), xt.grad]
            + [z if v.grad is None else v.grad for v, z in zip(layer.weights, zeros)])


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("causal", [True, False])
def test_packed_matches_separate_projections_float32(use_bias, causal, monkeypatch):
    layer = built(use_bias=use_bias)
    x = np.random.default_rng(0).standard_normal((B, T, D)).astype(np.float32)
    packed = run(layer, x, True, monkeypatch, use_causal_mask=causal)
    separate = run(layer, x, False, monkeypatch, use_causal_mask=causal)
    for got, want in zip(packed, separate):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_packed_with_gradient_through_the_scores_only(monkeypatch):
    """v gets no gradient: its part of the shared buffer stays zero."""
    layer = built()
    x = np.random.default_rng(1).standard_normal((B, T, D)).astype(np.float32)
    packed = run(layer, x, True, monkeypatch, loss_on="scores")
    separate = run(layer, x, False, monkeypatch, loss_on="scores")
    for got, want in zip(packed, separate):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    value_kernel = layer.weights[4]
    assert value_kernel.name == "kernel" and "value" in value_kernel.path
    assert not packed[3 + 4].any()


@pytest.mark.parametrize("use_bias", [True, False])
def test_packed_self_attention_matches_torch(use_bias):
    layer = built("float64", use_bias=use_bias)
    x = np.random.default_rng(2).standard_normal((B, T, D))

    def torch_call(x, wq, *rest):
        if use_bias:
            bq, wk, bk, wv, bv, wo, bo = rest
        else:
            (wk, wv, wo), bq = rest, 0
            bk = bv = bo = 0
        q, k, v = ((torch.einsum("btd,dhk->bthk", x, w) + b).transpose(1, 2)
                   for w, b in ((wq, bq), (wk, bk), (wv, bv)))
        context = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return torch.einsum("bthv,hvo->bto", context.transpose(1, 2), wo) + bo

    compare_layer(lambda x: layer(x, x, use_causal_mask=True), torch_call, [x], layer.weights)


def test_packed_training_with_dropout_matches_separate(monkeypatch):
    layer = built(dropout=0.3)
    x = np.random.default_rng(3).standard_normal((B, T, D)).astype(np.float32)
    ember.set_random_seed(7)
    packed = run(layer, x, True, monkeypatch, training=True)
    ember.set_random_seed(7)
    separate = run(layer, x, False, monkeypatch, training=True)
    for got, want in zip(packed, separate):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("kwargs, x_dtype, expected", [
    ({}, "float32", True),
    ({"kernel_regularizer": "l2", "kernel_constraint": "max_norm"}, "float32", True),
    ({"activity_regularizer": regularizers.L2(0.1)}, "float32", False),
    ({"value_dim": 5}, "float32", False),
    ({}, "float64", False),  # float32 weights: the layers would cast, not the packed GEMM
])
def test_can_pack(kwargs, x_dtype, expected):
    layer = layers.MultiHeadAttention(H, K, **kwargs)
    layer.build((None, T, D), (None, T, D))
    x = ember.tensor(np.ones((B, T, D), x_dtype))
    subs = layer.query_dense, layer.key_dense, layer.value_dense
    assert attention_qkv.can_pack(x, *subs) is expected


def test_cross_attention_does_not_pack(monkeypatch):
    layer = built()
    calls = []
    monkeypatch.setattr(attention, "packed_qkv", lambda *a: calls.append(a))
    gen = np.random.default_rng(4)
    query = gen.standard_normal((B, T, D)).astype(np.float32)
    value = gen.standard_normal((B, T, D)).astype(np.float32)
    assert layer(query, value).shape == (B, T, D) and not calls
