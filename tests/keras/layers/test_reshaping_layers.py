"""Permute, RepeatVector, padding, cropping and upsampling against torch, plus errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip

from ember.keras import layers

X = np.random.default_rng(0).standard_normal((2, 4, 5, 3))


def test_permute_and_repeat_vector():
    compare_layer(layers.Permute((3, 1, 2), dtype="float64"), lambda x: x.permute(0, 3, 1, 2),
                  [X], [])
    compare_layer(layers.RepeatVector(3, dtype="float64"),
                  lambda x: x[:, None].expand(-1, 3, -1), [X[:, 0, 0]], [])


def test_zero_padding_and_cropping_match_torch():
    compare_layer(layers.ZeroPadding2D(((1, 0), (2, 3)), dtype="float64"),
                  lambda x: F.pad(x, (0, 0, 2, 3, 1, 0)), [X], [])
    compare_layer(layers.ZeroPadding2D(1, dtype="float64"),
                  lambda x: F.pad(x, (0, 0, 1, 1, 1, 1)), [X], [])
    compare_layer(layers.Cropping2D(((1, 2), (0, 1)), dtype="float64"),
                  lambda x: x[:, 1:2, 0:4], [X], [])
    compare_layer(layers.ZeroPadding1D((2, 1), dtype="float64"),
                  lambda x: F.pad(x, (0, 0, 2, 1)), [X[:, 0]], [])
    compare_layer(layers.Cropping1D((1, 2), dtype="float64"), lambda x: x[:, 1:3], [X[:, 0]], [])
    first = layers.ZeroPadding2D((1, 2), data_format="channels_first", dtype="float64")
    compare_layer(first, lambda x: F.pad(x, (2, 2, 1, 1)), [X], [])


def test_upsampling_matches_torch_nearest():
    compare_layer(layers.UpSampling2D((2, 3), dtype="float64"),
                  lambda x: F.interpolate(x.permute(0, 3, 1, 2), scale_factor=(2, 3),
                                          mode="nearest").permute(0, 2, 3, 1), [X], [])
    compare_layer(layers.UpSampling2D((2, 3), interpolation="bilinear", dtype="float64"),
                  lambda x: F.interpolate(x.permute(0, 3, 1, 2), scale_factor=(2, 3),
                                          mode="bilinear", align_corners=False)
                  .permute(0, 2, 3, 1), [X], [])
    compare_layer(layers.UpSampling1D(2, dtype="float64"),
                  lambda x: torch.repeat_interleave(x, 2, dim=1), [X[:, 0]], [])


def test_reshaping_configs_and_shapes():
    for layer in (layers.Permute((2, 1)), layers.RepeatVector(4), layers.ZeroPadding2D((1, 2)),
                  layers.Cropping2D(2), layers.UpSampling2D(), layers.ZeroPadding1D(),
                  layers.Cropping1D(), layers.UpSampling1D(3)):
        config_round_trip(layer)
    assert layers.ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert layers.Permute((2, 1)).compute_output_shape((None, 3, 5)) == (None, 5, 3)


def test_reshaping_error_messages():
    with pytest.raises(ValueError, match="Invalid permutation argument `dims` for Permute Layer"):
        layers.Permute((1, 3))
    with pytest.raises(TypeError, match="Expected an integer value for `n`, got float"):
        layers.RepeatVector(2.5)
    with pytest.raises(ValueError, match="`padding` should be an int, a tuple of 2 ints, or a "
                                         "tuple of 2 tuples of 2 ints"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="values in `cropping` argument should be smaller than "
                                         "the corresponding spatial dimension"):
        layers.Cropping2D(((2, 2), (0, 0)))(X)
    with pytest.raises(ValueError, match="`interpolation` must be 'nearest' or 'bilinear'"):
        layers.UpSampling2D(interpolation="bicubic")
