"""Merge layers against torch formulas: values, gradients, masks, shapes and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip

from ember import keras
from ember.keras import layers

GEN = np.random.default_rng(0)
A, B, C = (GEN.standard_normal((2, 3, 4)) for _ in range(3))


@pytest.mark.parametrize("cls,torch_fn", [
    (layers.Add, lambda a, b, c: a + b + c),
    (layers.Multiply, lambda a, b, c: a * b * c),
    (layers.Average, lambda a, b, c: (a + b + c) / 3),
    (layers.Maximum, lambda a, b, c: torch.maximum(torch.maximum(a, b), c)),
    (layers.Minimum, lambda a, b, c: torch.minimum(torch.minimum(a, b), c)),
])
def test_elementwise_merges_match_torch(cls, torch_fn):
    layer = cls(dtype="float64")
    compare_layer(lambda a, b, c: layer([a, b, c]), torch_fn, [A, B, C], [])


def test_subtract_concatenate_and_broadcasting():
    compare_layer(lambda a, b: layers.Subtract(dtype="float64")([a, b]), lambda a, b: a - b,
                  [A, B], [])
    compare_layer(lambda a, b: layers.Concatenate(axis=1, dtype="float64")([a, b]),
                  lambda a, b: torch.cat([a, b], 1), [A, B[:, :2]], [])
    compare_layer(lambda a, b: layers.Add(dtype="float64")([a, b]), lambda a, b: a + b,
                  [A, B[:, :1]], [])


@pytest.mark.parametrize("axes,normalize,shapes", [
    (1, False, [(2, 4), (2, 4)]), (-1, True, [(2, 4), (2, 4)]),
    ((2, 2), False, [(2, 3, 4), (2, 5, 4)]), ((1, 1), True, [(2, 3, 4), (2, 3, 5)]),
    ((2, 1), False, [(2, 3, 4), (2, 4)])])
def test_dot_matches_torch(axes, normalize, shapes):
    x, y = (GEN.standard_normal(s) for s in shapes)
    ax = (axes, axes) if isinstance(axes, int) else axes

    def torch_dot(x, y):
        a1, a2 = ax[0] % x.ndim, ax[1] % y.ndim
        if normalize:
            x, y = F.normalize(x, dim=a1, eps=1e-6), F.normalize(y, dim=a2, eps=1e-6)
        out = torch.tensordot(x, y, dims=([a1], [a2]))
        index = torch.arange(x.shape[0])  # keep the batch diagonal (batch_dot)
        out = out.movedim(x.ndim - 1, 1)[index, index]
        return out[:, None] if out.ndim == 1 else out

    compare_layer(lambda x, y: layers.Dot(axes, normalize=normalize, dtype="float64")([x, y]),
                  torch_dot, [x, y], [])


def test_masks_are_combined():
    tokens_a, tokens_b = np.array([[1, 2, 0]]), np.array([[3, 0, 0]])
    embed = layers.Embedding(4, 2, mask_zero=True)
    added = layers.Add()([embed(tokens_a), embed(tokens_b)])
    np.testing.assert_array_equal(added._keras_mask.numpy(), [[True, False, False]])
    joined = layers.Concatenate(axis=1)([embed(tokens_a), embed(tokens_b)])
    np.testing.assert_array_equal(joined._keras_mask.numpy(),
                                  [[True, True, False, True, False, False]])
    last_axis = layers.Concatenate()([embed(tokens_a), np.ones((1, 3, 2), "float32")])
    np.testing.assert_array_equal(last_axis._keras_mask.numpy(), [[True, True, False]])


def test_functional_forms_shapes_and_configs():
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], layers.concatenate([layers.add([a, b]),
                                                    layers.dot([a, b], axes=1)]))
    assert model.output_shape == (None, 4)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(model([x, 2 * x]).numpy(), [[3, 3, 3, 6]] * 2)
    for layer in (layers.Add(), layers.Concatenate(axis=1), layers.Dot((1, 2), normalize=True)):
        config_round_trip(layer)


def test_merge_error_messages():
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add()(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="should be called on a list of at least 2 inputs"):
        layers.Add()([np.ones((2, 3), "float32")])
    with pytest.raises(ValueError, match="should be called on exactly 2 inputs"):
        layers.Subtract()([A, B, C])
    with pytest.raises(ValueError, match="Inputs have incompatible shapes"):
        layers.Add()([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="requires inputs with matching shapes except for the "
                                         "concatenation axis"):
        layers.Concatenate()([np.ones((2, 3, 1)), np.ones((2, 4, 1))])
    with pytest.raises(ValueError, match=r"Incompatible input shapes: axis values 3 \(at axis 1\)"
                                         r" != 4"):
        layers.Dot(1)([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(TypeError, match="Invalid type for argument `axes`"):
        layers.Dot("last")
