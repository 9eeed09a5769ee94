"""ReLU, LeakyReLU, PReLU, ELU and Softmax layers against torch, with Keras' defaults."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip, set_random_weights

from ember.keras import layers

X = np.random.default_rng(0).standard_normal((2, 3, 4)) * 3


@pytest.mark.parametrize("kwargs,torch_fn", [
    ({}, F.relu),
    ({"max_value": 2.0}, lambda x: torch.clamp(x, 0, 2)),
    ({"negative_slope": 0.1}, lambda x: F.leaky_relu(x, 0.1)),
    ({"threshold": 1.0}, lambda x: torch.where(x >= 1.0, x, torch.zeros(()))),
    ({"max_value": 3.0, "negative_slope": 0.2, "threshold": 0.5},
     lambda x: torch.where(x >= 3.0, torch.full((), 3.0),
                           torch.where(x >= 0.5, x, 0.2 * (x - 0.5)))),
])
def test_relu_variants_match_torch(kwargs, torch_fn):
    compare_layer(layers.ReLU(**kwargs, dtype="float64"), torch_fn, [X], [])


def test_leaky_relu_elu_and_defaults():
    assert layers.LeakyReLU().negative_slope == 0.3
    compare_layer(layers.LeakyReLU(dtype="float64"), lambda x: F.leaky_relu(x, 0.3), [X], [])
    compare_layer(layers.ELU(0.7, dtype="float64"), lambda x: F.elu(x, 0.7), [X], [])
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1


def test_prelu_matches_torch():
    layer = layers.PReLU(shared_axes=[1], dtype="float64")
    layer.build((None, 3, 4))
    assert layer.alpha.shape == (1, 4)
    np.testing.assert_array_equal(layer.alpha.numpy(), 0.0)  # alpha_initializer="Zeros"
    set_random_weights(layer)
    compare_layer(layer, lambda x, a: torch.where(x > 0, x, a * x), [X], layer.weights)


def test_softmax_with_mask_and_axes():
    compare_layer(layers.Softmax(dtype="float64"), lambda x: torch.softmax(x, -1), [X], [])
    compare_layer(layers.Softmax(axis=[1, 2], dtype="float64"),
                  lambda x: torch.softmax(x.reshape(2, -1), -1).reshape(x.shape), [X], [])
    mask = np.random.default_rng(1).random(X.shape) > 0.4
    mask[..., 0] = True
    compare_layer(lambda x: layers.Softmax(dtype="float64")(x, mask=mask),
                  lambda x: torch.softmax(x.masked_fill(~torch.tensor(mask), -1e9), -1),
                  [X], [])


def test_activation_layer_configs():
    for layer in (layers.ReLU(max_value=6.0), layers.LeakyReLU(0.1), layers.ELU(2.0),
                  layers.Softmax(axis=1), layers.PReLU(shared_axes=[1, 2])):
        config_round_trip(layer)


def test_activation_error_messages():
    with pytest.raises(ValueError, match="max_value of a ReLU layer cannot be a negative value. "
                                         "Received: max_value=-1"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope value of a Leaky ReLU layer cannot be "
                                         "None or negative value"):
        layers.LeakyReLU(negative_slope=-0.5)
    with pytest.raises(ValueError, match="shared_axes must name axes 1 to 2"):
        layers.PReLU(shared_axes=[3])(np.ones((2, 3, 4), "float32"))
