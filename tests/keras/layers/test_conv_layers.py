"""Convolution layers against torch.nn.functional: outputs and gradients (inputs and weights)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip, set_random_weights

from ember.keras import layers


def tf_pads(size, k, s, d, padding):
    """TensorFlow's (before, after) padding of one axis, derived from its definition."""
    span = (k - 1) * d + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return span - 1, 0
    out = -(-size // s)
    total = max((out - 1) * s + span - size, 0)
    return total // 2, total - total // 2


def torch_conv2d(x, k, b, strides, padding, dilation, groups):
    """NHWC x, HWIO kernel, as Keras' Conv2D."""
    xt = x.permute(0, 3, 1, 2)
    (ph0, ph1), (pw0, pw1) = (tf_pads(xt.shape[2 + i], k.shape[i], strides[i], dilation[i],
                                      padding) for i in range(2))
    xt = F.pad(xt, (pw0, pw1, ph0, ph1))
    y = F.conv2d(xt, k.permute(3, 2, 0, 1), b, stride=strides, dilation=dilation, groups=groups)
    return y.permute(0, 2, 3, 1)


CONV2D_CASES = [
    ("valid", (1, 1), (1, 1), 1),
    ("same", (1, 1), (1, 1), 1),
    ("same", (2, 2), (1, 1), 1),
    ("valid", (2, 1), (1, 1), 1),
    ("same", (1, 1), (2, 2), 1),
    ("valid", (1, 1), (1, 2), 1),
    ("same", (1, 1), (1, 1), 2),
    ("valid", (2, 2), (1, 1), 4),
]


@pytest.mark.parametrize("padding,strides,dilation,groups", CONV2D_CASES)
def test_conv2d_matches_torch(padding, strides, dilation, groups):
    x = np.random.default_rng(1).standard_normal((2, 7, 6, 4))
    layer = layers.Conv2D(8, (3, 2), strides=strides, padding=padding, dilation_rate=dilation,
                          groups=groups, dtype="float64")
    layer.build((None, 7, 6, 4))
    set_random_weights(layer)
    assert layer.kernel.shape == (3, 2, 4 // groups, 8)
    compare_layer(layer, lambda x, k, b: torch_conv2d(x, k, b, strides, padding, dilation,
                                                      groups), [x], layer.weights)


@pytest.mark.parametrize("padding,strides,dilation,groups", [
    ("valid", 1, 1, 1), ("same", 2, 1, 1), ("causal", 1, 2, 1), ("same", 1, 3, 2),
    ("valid", 3, 1, 2), ("causal", 2, 1, 1)])
def test_conv1d_matches_torch(padding, strides, dilation, groups):
    x = np.random.default_rng(2).standard_normal((2, 11, 4))
    layer = layers.Conv1D(6, 3, strides=strides, padding=padding, dilation_rate=dilation,
                          groups=groups, dtype="float64")
    layer.build((None, 11, 4))
    set_random_weights(layer)

    def torch_call(x, k, b):
        xt = F.pad(x.permute(0, 2, 1), tf_pads(11, 3, strides, dilation, padding))
        y = F.conv1d(xt, k.permute(2, 1, 0), b, stride=strides, dilation=dilation,
                     groups=groups)
        return y.permute(0, 2, 1)

    compare_layer(layer, torch_call, [x], layer.weights)


def torch_conv_transpose(x, k, b, s, padding, output_padding):
    """Keras' Conv2DTranspose: the full transposed convolution cropped (or zero-extended) to
    Keras' output size, with TensorFlow's padding rule applied to that output size."""
    xt = x.permute(0, 3, 1, 2)
    full = F.conv_transpose2d(xt, k.permute(3, 2, 0, 1), None, stride=s)
    sizes, starts = [], []
    for axis in range(2):
        n, kk = x.shape[1 + axis], k.shape[axis]
        if output_padding is None:
            out = n * s if padding == "same" else (n - 1) * s + max(kk, s)
        else:
            pad = kk // 2 if padding == "same" else 0
            out = (n - 1) * s + kk - 2 * pad + output_padding
        total = max((n - 1) * s + kk - out, 0) if padding == "same" else 0
        sizes.append(out)
        starts.append(total // 2)
    extra = [max(starts[i] + sizes[i] - full.shape[2 + i], 0) for i in range(2)]
    full = F.pad(full, (0, extra[1], 0, extra[0]))
    y = full[:, :, starts[0]:starts[0] + sizes[0], starts[1]:starts[1] + sizes[1]]
    return (y + b[None, :, None, None]).permute(0, 2, 3, 1)


@pytest.mark.parametrize("padding,strides,kernel,output_padding", [
    ("valid", 1, 3, None), ("same", 2, 3, None), ("valid", 2, 3, None), ("valid", 3, 2, None),
    ("same", 1, 3, None), ("same", 2, 3, 1), ("valid", 2, 3, 1), ("same", 2, 4, None)])
def test_conv2d_transpose_matches_torch(padding, strides, kernel, output_padding):
    x = np.random.default_rng(3).standard_normal((2, 4, 5, 3))
    layer = layers.Conv2DTranspose(5, kernel, strides=strides, padding=padding,
                                   output_padding=output_padding, dtype="float64")
    layer.build((None, 4, 5, 3))
    set_random_weights(layer)
    assert layer.kernel.shape == (kernel, kernel, 5, 3)
    compare_layer(layer, lambda x, k, b: torch_conv_transpose(x, k, b, strides, padding,
                                                              output_padding),
                  [x], layer.weights)


@pytest.mark.parametrize("padding,strides,multiplier", [("valid", 1, 1), ("same", 2, 2),
                                                        ("same", 1, 3)])
def test_depthwise_and_separable_match_torch(padding, strides, multiplier):
    x = np.random.default_rng(4).standard_normal((2, 6, 6, 3))
    depthwise = layers.DepthwiseConv2D(3, strides=strides, padding=padding,
                                       depth_multiplier=multiplier, dtype="float64")
    depthwise.build((None, 6, 6, 3))
    set_random_weights(depthwise)

    def torch_depthwise(x, k, b=None):
        w = k.reshape(3, 3, -1).permute(2, 0, 1)[:, None]  # (C * m, 1, kh, kw)
        xt = x.permute(0, 3, 1, 2)
        pads = [tf_pads(6, 3, strides, 1, padding) for _ in range(2)]
        xt = F.pad(xt, pads[1] + pads[0])
        return F.conv2d(xt, w, b, stride=strides, groups=3).permute(0, 2, 3, 1)

    compare_layer(depthwise, torch_depthwise, [x], depthwise.weights)
    separable = layers.SeparableConv2D(4, 3, strides=strides, padding=padding,
                                       depth_multiplier=multiplier, dtype="float64")
    separable.build((None, 6, 6, 3))
    set_random_weights(separable)
    assert [w.name for w in separable.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]

    def torch_separable(x, dk, pk, b):
        y = torch_depthwise(x, dk)
        return torch.einsum("nhwc,cf->nhwf", y, pk[0, 0]) + b

    compare_layer(separable, torch_separable, [x], separable.weights)


def test_channels_first_equals_channels_last():
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 6)).astype("float32")
    first = layers.Conv2D(4, 3, padding="same", data_format="channels_first")
    last = layers.Conv2D(4, 3, padding="same")
    first.build((None, 3, 6, 6))
    last.build((None, 6, 6, 3))
    last.set_weights(first.get_weights())
    y_first = first(x).numpy()
    y_last = last(np.moveaxis(x, 1, -1)).numpy()
    np.testing.assert_allclose(np.moveaxis(y_first, 1, -1), y_last, rtol=1e-5, atol=1e-6)


def test_activation_bias_and_regularizer():
    x = np.random.default_rng(6).standard_normal((2, 5, 5, 2)).astype("float32")
    layer = layers.Conv2D(3, 3, activation="relu", use_bias=False,
                          activity_regularizer="l2")
    y = layer(x)
    assert len(layer.weights) == 1 and y.numpy().min() >= 0
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0].item(), 0.01 * np.sum(y.numpy() ** 2), rtol=1e-5)


def test_conv_defaults_and_config_round_trip():
    layer = layers.Conv2D(8, 3)
    assert (layer.strides, layer.padding, layer.dilation_rate, layer.groups) == \
        ((1, 1), "valid", (1, 1), 1)
    assert layer.data_format == "channels_last"
    config = config_round_trip(layer)
    assert config.kernel_size == (3, 3)
    assert layer.get_config()["kernel_initializer"]["class_name"] == "GlorotUniform"
    for other in (layers.Conv1D(4, 5, padding="causal"),
                  layers.Conv2DTranspose(4, 3, strides=2, output_padding=1),
                  layers.DepthwiseConv2D(3, depth_multiplier=2),
                  layers.SeparableConv2D(4, 3, depth_multiplier=2)):
        config_round_trip(other)


def test_conv_shapes_in_a_sequential_model():
    from ember import keras

    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                              layers.Conv2DTranspose(2, 3, strides=2, padding="same")])
    assert model.output_shape == (None, 12, 12, 2)
    assert model(np.zeros((3, 8, 8, 1), "float32")).shape == (3, 12, 12, 2)


def test_conv_error_messages():
    with pytest.raises(ValueError, match="filters must be evenly divisible by the number of "
                                         "groups. Received: groups=3, filters=8"):
        layers.Conv2D(8, 3, groups=3)
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with "
                                         "`dilation_rate > 1`"):
        layers.Conv2D(8, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"`kernel_size` argument must be a tuple of 2 positive "
                                         r"integers .*Received: kernel_size=\(3, 0\)"):
        layers.Conv2D(8, (3, 0))
    with pytest.raises(ValueError, match=r"`padding` argument must be one of \['valid', 'same'\]"
                                         r". Received: padding='causal'"):
        layers.Conv2D(8, 3, padding="causal")
    with pytest.raises(ValueError, match="`filters`: expected a strictly positive integer. "
                                         "Received: filters=0"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="input channels must be evenly divisible by the number "
                                         "of groups. Received groups=2, but the input has 3 "
                                         "channels"):
        layers.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3), "float32"))
    layer = layers.Conv2D(4, 3)
    layer(np.ones((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.ones((1, 5, 5, 2), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.Conv2D(4, 3)(np.ones((5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="strides must be greater than output padding"):
        layers.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="data_format"):
        layers.Conv2D(4, 3, data_format="NHWC")
