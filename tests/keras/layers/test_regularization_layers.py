"""SpatialDropout1D/2D and GaussianNoise: only in training, channel-wise masks, statistics."""

import numpy as np
import pytest
from helpers.layer_checks import config_round_trip

import ember
from ember.keras import layers


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((8, 5, 6), "float32")
    layer = layers.SpatialDropout1D(0.5, seed=0)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # inference: unchanged
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}  # kept values scaled by 1 / (1 - rate)
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))  # same for all steps
    images = np.ones((4, 3, 3, 5), "float32")
    y2 = layers.SpatialDropout2D(0.5, seed=1)(images, training=True).numpy()
    np.testing.assert_array_equal(y2, np.broadcast_to(y2[:, :1, :1], y2.shape))
    first = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1)
    y3 = first(images, training=True).numpy()
    np.testing.assert_array_equal(y3, np.broadcast_to(y3[:, :, :1, :1], y3.shape))


def test_spatial_dropout_gradient_uses_the_same_mask():
    x = ember.tensor(np.ones((2, 3, 4)), requires_grad=True)
    y = layers.SpatialDropout1D(0.5, seed=2, dtype="float64")(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())


def test_gaussian_noise_statistics():
    x = np.zeros((200, 100), "float32")
    layer = layers.GaussianNoise(0.5)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    noisy = layer(x, training=True).numpy()
    assert abs(noisy.std() - 0.5) < 0.02 and abs(noisy.mean()) < 0.02


def test_configs_and_errors():
    for layer in (layers.SpatialDropout1D(0.2, seed=3), layers.SpatialDropout2D(0.3),
                  layers.GaussianNoise(0.1, seed=1)):
        config_round_trip(layer)
    with pytest.raises(ValueError, match="invalid value received for argument `rate`. Expected "
                                         "a float value between 0 and 1. Received: rate=1.5"):
        layers.SpatialDropout1D(1.5)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layers.SpatialDropout1D(0.5)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="Expected a float value >= 0. Received: stddev=-1"):
        layers.GaussianNoise(-1)
