"""Batch/layer/group normalization against torch.nn.functional, moving statistics included."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip, set_random_weights

from ember.keras import layers


def built_bn(shape, **kwargs):
    layer = layers.BatchNormalization(dtype="float64", **kwargs)
    layer.build(shape)
    gen = np.random.default_rng(7)
    values = {"gamma": gen.standard_normal, "beta": gen.standard_normal,
              "moving_mean": gen.standard_normal,
              "moving_variance": lambda c: gen.uniform(0.5, 2, c)}
    layer.set_weights([values[w.name](w.shape[0]) for w in layer.weights])
    return layer


def test_batch_norm_weights_and_defaults():
    layer = layers.BatchNormalization()
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert (layer.momentum, layer.epsilon, layer.axis) == (0.99, 1e-3, -1)
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(3))


def test_batch_norm_training_matches_torch_and_updates_moving_stats():
    x = np.random.default_rng(0).standard_normal((6, 4, 3)) * 2 + 1
    layer = built_bn((None, 4, 3))
    mean0, var0 = layer.moving_mean.numpy().copy(), layer.moving_variance.numpy().copy()
    running_mean = torch.tensor(mean0)

    def torch_call(x, gamma, beta):
        flat = x.reshape(-1, 3)
        return F.batch_norm(flat, running_mean, torch.ones(3, dtype=torch.float64), gamma,
                            beta, training=True,
                            momentum=0.01, eps=1e-3).reshape(x.shape)

    compare_layer(lambda x: layer(x, training=True), torch_call, [x], layer.trainable_weights)
    # moving = moving * 0.99 + batch * 0.01, with the biased batch variance (Keras)
    np.testing.assert_allclose(layer.moving_mean.numpy(), running_mean.numpy(), rtol=1e-12)
    batch_var = x.reshape(-1, 3).var(axis=0)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var0 * 0.99 + batch_var * 0.01,
                               rtol=1e-12)


def test_batch_norm_inference_matches_torch():
    x = np.random.default_rng(1).standard_normal((5, 3, 3, 2))
    layer = built_bn((None, 3, 3, 2))
    before = [w.copy() for w in layer.get_weights()]

    def torch_call(x, gamma, beta):
        y = F.batch_norm(x.permute(0, 3, 1, 2), torch.tensor(before[2]),
                         torch.tensor(before[3]), gamma, beta, training=False, eps=1e-3)
        return y.permute(0, 2, 3, 1)

    compare_layer(lambda x: layer(x, training=False), torch_call, [x], layer.trainable_weights)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)  # inference leaves the statistics alone


def test_batch_norm_channels_first_axis_and_frozen_layer():
    x = np.random.default_rng(2).standard_normal((4, 3, 5))
    layer = built_bn((None, 3, 5), axis=1)
    compare_layer(lambda x: layer(x, training=True),
                  lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=1e-3),
                  [x], layer.trainable_weights)
    frozen = built_bn((None, 3))
    frozen.trainable = False
    before = frozen.moving_mean.numpy().copy()
    y = frozen(x[:, :, 0], training=True)  # a frozen BN runs in inference mode
    np.testing.assert_array_equal(frozen.moving_mean.numpy(), before)
    np.testing.assert_allclose(y.numpy(), frozen(x[:, :, 0], training=False).numpy())


def test_batch_norm_masked_statistics():
    x = np.random.default_rng(3).standard_normal((2, 4, 3))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    layer = built_bn((None, 4, 3), center=False)
    m0 = layer.moving_mean.numpy().copy()
    y = layer(x, training=True, mask=mask)
    valid = x[mask]  # (5, 3): only the unmasked steps count
    mean, var = valid.mean(0), valid.var(0)
    gamma = layer.gamma.numpy()
    np.testing.assert_allclose(y.numpy(), (x - mean) / np.sqrt(var + 1e-3) * gamma, rtol=1e-10)
    np.testing.assert_allclose(layer.moving_mean.numpy(), m0 * 0.99 + mean * 0.01, rtol=1e-12)


@pytest.mark.parametrize("axis", [-1, (1, 2)])
def test_layer_norm_matches_torch(axis):
    x = np.random.default_rng(4).standard_normal((3, 4, 5))
    layer = layers.LayerNormalization(axis=axis, dtype="float64")
    layer.build((None, 4, 5))
    set_random_weights(layer)
    shape = (5,) if axis == -1 else (4, 5)
    compare_layer(layer, lambda x, g, b: F.layer_norm(x, shape, g, b, eps=1e-3), [x],
                  layer.weights)


def test_layer_norm_rms_scaling():
    x = np.random.default_rng(5).standard_normal((3, 6))
    layer = layers.LayerNormalization(rms_scaling=True, dtype="float64")
    layer.build((None, 6))
    set_random_weights(layer)
    assert [w.name for w in layer.weights] == ["gamma"]
    compare_layer(layer, lambda x, g: x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-3)
                  * g, [x], layer.weights)


def test_group_norm_matches_torch():
    x = np.random.default_rng(6).standard_normal((2, 3, 3, 6))
    layer = layers.GroupNormalization(groups=3, dtype="float64")
    layer.build((None, 3, 3, 6))
    set_random_weights(layer)
    compare_layer(layer, lambda x, g, b: F.group_norm(x.permute(0, 3, 1, 2), 3, g, b, eps=1e-3)
                  .permute(0, 2, 3, 1), [x], layer.weights)
    first = layers.GroupNormalization(groups=2, axis=1, dtype="float64")
    first.build((None, 6, 4))
    set_random_weights(first)
    x2 = np.random.default_rng(7).standard_normal((2, 6, 4))
    compare_layer(first, lambda x, g, b: F.group_norm(x, 2, g, b, eps=1e-3), [x2],
                  first.weights)


def test_normalization_configs():
    for layer in (layers.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False),
                  layers.LayerNormalization(axis=[1, 2], rms_scaling=True),
                  layers.GroupNormalization(groups=4)):
        config_round_trip(layer)
    assert layers.LayerNormalization().epsilon == 1e-3


def test_normalization_error_messages():
    with pytest.raises(ValueError, match="BatchNormalization: `axis` must be an integer"):
        layers.BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match=r"number of groups \(4\) must be a multiple of the "
                                         r"number of channels \(6\)"):
        layers.GroupNormalization(groups=4)(np.ones((1, 2, 6), "float32"))
    with pytest.raises(ValueError, match=r"number of groups \(8\) cannot be more than the number "
                                         r"of channels \(6\)"):
        layers.GroupNormalization(groups=8)(np.ones((1, 2, 6), "float32"))
    with pytest.raises(ValueError, match="`epsilon` must be a non-negative float"):
        layers.LayerNormalization(epsilon=-1.0)
    layer = layers.BatchNormalization()
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.ones((2, 4), "float32"))
