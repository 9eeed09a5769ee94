"""Dense(activation="gelu") runs Keras' exact GELU inside the Dense op: values and gradients
against PyTorch (float64) and against Dense followed by keras.activations.gelu (float32)."""

import numpy as np
import torch
from helpers.layer_checks import compare_layer, set_random_weights

import ember
from ember.keras import activations, layers
from ember.ops import linalg


def test_dense_gelu_matches_torch():
    layer = layers.Dense(4, activation="gelu", dtype="float64")
    layer.build((None, 3, 5))
    set_random_weights(layer)
    x = np.random.default_rng(0).standard_normal((2, 3, 5))
    compare_layer(layer, lambda x, w, b: torch.nn.functional.gelu(x @ w + b), [x],
                  layer.weights)


def test_dense_gelu_is_fused_and_matches_the_separate_activation(monkeypatch):
    fused = layers.Dense(6, activation="gelu")
    separate = layers.Dense(6, activation=lambda z: activations.gelu(z))
    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    for layer in (fused, separate):
        layer.build((None, 5))
    separate.set_weights(fused.get_weights())
    activations_seen = []
    real = linalg.Dense.forward

    def spy(self, *arrays, activation=None):
        activations_seen.append(activation)
        return real(self, *arrays, activation=activation)

    monkeypatch.setattr(linalg.Dense, "forward", spy)
    results = []
    for layer in (fused, separate):
        xt = ember.tensor(x, requires_grad=True)
        y = layer(xt)
        (y * ember.tensor(np.arange(24.0, dtype=np.float32).reshape(4, 6))).sum().backward()
        results.append([y.numpy(), xt.grad, layer.kernel.grad, layer.bias.grad])
    assert activations_seen == ["gelu", None]
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert fused.get_config()["activation"] == "gelu"
