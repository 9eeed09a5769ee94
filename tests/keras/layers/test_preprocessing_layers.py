"""Rescaling and Normalization (adapt, fixed statistics, invert) against NumPy formulas."""

import numpy as np
import pytest
from helpers.layer_checks import config_round_trip

from ember.keras import layers

DATA = np.random.default_rng(0).standard_normal((50, 4)) * [1.0, 2.0, 3.0, 4.0] + [0, 1, 2, 3]


def test_rescaling():
    out = layers.Rescaling(2 / 255.0, offset=-1.0)(np.array([[0, 127.5, 255]]).astype("uint8"))
    np.testing.assert_allclose(out.numpy(), [[-1.0, 127 * 2 / 255 - 1, 1.0]], atol=1e-6)
    assert out.dtype == np.float32
    per_channel = layers.Rescaling([1.0, 2.0])(np.ones((1, 3, 2), "float32"))
    np.testing.assert_array_equal(per_channel.numpy()[0, 0], [1.0, 2.0])
    config_round_trip(layers.Rescaling(0.5, offset=1.0))


def test_normalization_adapt_matches_numpy():
    layer = layers.Normalization()
    layer.adapt(DATA)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), DATA.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), DATA.var(0), rtol=1e-5)
    out = layer(DATA).numpy()
    np.testing.assert_allclose(out, (DATA - DATA.mean(0)) / DATA.std(0), rtol=1e-4, atol=1e-5)
    assert [w.name for w in layer.weights] == ["mean", "variance"]
    assert layer.trainable_weights == []


def test_normalization_adapt_on_batches_and_invert():
    layer = layers.Normalization(axis=None)
    layer.adapt([DATA[:20], DATA[20:35], DATA[35:]])  # an iterable of batches
    np.testing.assert_allclose(layer.adapt_mean.numpy(), DATA.mean(), rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), DATA.var(), rtol=1e-5)
    fixed = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    np.testing.assert_allclose(fixed(np.array([[3.0, 8.0]])).numpy(), [[1.0, 2.0]])
    inverse = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inverse(np.array([[1.0, 2.0]])).numpy(), [[3.0, 8.0]])
    config = config_round_trip(fixed).get_config()
    assert config["mean"] == [1.0, 2.0] and config["axis"] == (-1,)


def test_normalization_per_channel_of_images():
    images = np.random.default_rng(1).uniform(0, 255, (6, 4, 4, 3))
    layer = layers.Normalization(axis=-1)
    layer.adapt(images)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), images.mean((0, 1, 2)), rtol=1e-5)


def test_normalization_error_messages():
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(mean=[1.0])
    with pytest.raises(ValueError, match="may not be 0"):
        layers.Normalization(axis=0)
    with pytest.raises(ValueError, match="cannot adapt a Normalization layer created with fixed"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(DATA)
    with pytest.raises(ValueError, match=r"All `axis` values must be in the range \[-ndim, "
                                         r"ndim\)"):
        layers.Normalization(axis=3).adapt(DATA)
