"""Pooling layers against torch.nn.functional (with TensorFlow's "same" padding), and the masked
1-D global pools against their formulas."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip

from ember.keras import layers


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def torch_pool2d(x, kind, pool, strides, padding):
    xt = x.permute(0, 3, 1, 2)
    h, w = xt.shape[2:]
    if padding == "same":
        (t, b), (le, r) = same_pads(h, pool[0], strides[0]), same_pads(w, pool[1], strides[1])
    else:
        t = b = le = r = 0
    if kind == "max":
        y = F.max_pool2d(F.pad(xt, (le, r, t, b), value=-np.inf), pool, strides)
    else:  # average over the real elements only (TensorFlow's "same")
        total = F.avg_pool2d(F.pad(xt, (le, r, t, b)), pool, strides, divisor_override=1)
        ones = F.pad(torch.ones_like(xt[:1, :1]), (le, r, t, b))
        y = total / F.avg_pool2d(ones, pool, strides, divisor_override=1)
    return y.permute(0, 2, 3, 1)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool,strides,padding", [((2, 2), None, "valid"), ((3, 3), (2, 2),
                                                                            "same"),
                                                  ((3, 2), (1, 2), "valid"), ((2, 2), None,
                                                                              "same")])
def test_pool2d_matches_torch(kind, pool, strides, padding):
    x = np.random.default_rng(0).standard_normal((2, 7, 6, 3))
    cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
    layer = cls(pool, strides, padding, dtype="float64")
    compare_layer(layer, lambda x: torch_pool2d(x, kind, pool, strides or pool, padding), [x], [])


@pytest.mark.parametrize("cls,kind", [(layers.MaxPooling1D, "max"),
                                      (layers.AveragePooling1D, "avg")])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool1d_matches_torch(cls, kind, padding):
    x = np.random.default_rng(1).standard_normal((2, 9, 4))
    layer = cls(pool_size=3, strides=2, padding=padding, dtype="float64")

    def torch_call(x):
        y = torch_pool2d(x[:, None], kind, (1, 3), (1, 2), padding)
        return y[:, 0]

    compare_layer(layer, torch_call, [x], [])


def test_global_pools_match_torch():
    x = np.random.default_rng(2).standard_normal((2, 4, 5, 3))
    compare_layer(layers.GlobalAveragePooling2D(dtype="float64"),
                  lambda x: x.mean(dim=(1, 2)), [x], [])
    compare_layer(layers.GlobalMaxPooling2D(keepdims=True, dtype="float64"),
                  lambda x: x.amax(dim=(1, 2), keepdim=True), [x], [])
    compare_layer(layers.GlobalAveragePooling1D(dtype="float64"), lambda x: x.mean(dim=1),
                  [x[:, 0]], [])
    compare_layer(layers.GlobalMaxPooling1D(data_format="channels_first", dtype="float64"),
                  lambda x: x.amax(dim=2), [x[:, 0]], [])


def test_global_1d_pools_respect_the_mask():
    x = np.random.default_rng(3).standard_normal((3, 5, 2))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)
    m = torch.tensor(mask)[:, :, None]
    expected_mean = lambda x: (x * m).sum(1) / m.sum(1).clamp(min=1)  # noqa: E731
    compare_layer(lambda x: layers.GlobalAveragePooling1D(dtype="float64")(x, mask=mask),
                  expected_mean, [x], [])
    expected_max = lambda x: torch.where(m.any(1), torch.where(m, x, -1e300).amax(1),  # noqa
                                         torch.zeros(()))
    compare_layer(lambda x: layers.GlobalMaxPooling1D(dtype="float64")(x, mask=mask),
                  expected_max, [x], [])


def test_masked_embedding_feeds_global_average():
    from ember import keras

    tokens = np.array([[4, 2, 0, 0], [1, 2, 3, 5]])
    embed = layers.Embedding(6, 3, mask_zero=True)
    pooled = layers.GlobalAveragePooling1D()(embed(tokens))
    table = embed.embeddings.numpy()
    np.testing.assert_allclose(pooled.numpy()[0], table[[4, 2]].mean(0), rtol=1e-6)
    np.testing.assert_allclose(pooled.numpy()[1], table[[1, 2, 3, 5]].mean(0), rtol=1e-6)
    inputs = keras.Input((4,), dtype="int64")
    model = keras.Model(inputs, layers.GlobalAveragePooling1D()(embed(inputs)))
    np.testing.assert_allclose(model(tokens).numpy(), pooled.numpy(), rtol=1e-6)
    assert getattr(pooled, "_keras_mask", None) is None  # the pool consumes the mask


def test_pooling_defaults_aliases_and_configs():
    layer = layers.MaxPooling2D()
    assert (layer.pool_size, layer.strides, layer.padding) == ((2, 2), (2, 2), "valid")
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.GlobalAvgPool1D is \
        layers.GlobalAveragePooling1D
    for instance in (layers.MaxPooling1D(3, 1, "same"), layers.AveragePooling2D((2, 3)),
                     layers.GlobalMaxPooling2D(keepdims=True), layers.GlobalAveragePooling1D()):
        config_round_trip(instance)
    channels_first = layers.MaxPooling2D(data_format="channels_first")
    x = np.random.default_rng(4).standard_normal((1, 3, 4, 4)).astype("float32")
    np.testing.assert_array_equal(
        channels_first(x).numpy(),
        np.moveaxis(layers.MaxPooling2D()(np.moveaxis(x, 1, -1)).numpy(), -1, 1))


def test_pooling_error_messages():
    with pytest.raises(ValueError, match=r"`pool_size` argument must be a tuple of 2 positive "
                                         r"integers"):
        layers.MaxPooling2D((2, 0))
    with pytest.raises(ValueError, match=r"`padding` argument must be one of"):
        layers.AveragePooling1D(padding="full")
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.MaxPooling2D()(np.ones((2, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r"the mask must have shape \(batch, steps\) = \(2, 4\)"):
        layers.GlobalAveragePooling1D()(np.ones((2, 4, 3), "float32"), mask=np.ones((2, 3)))
