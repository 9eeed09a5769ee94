"""Embedding (against torch's F.embedding, mask_zero) and Masking."""

import numpy as np
import pytest
import torch.nn.functional as F
from helpers.layer_checks import compare_layer, config_round_trip, set_random_weights

from ember.keras import layers


def test_embedding_matches_torch_with_repeated_indices():
    layer = layers.Embedding(7, 3, dtype="float64")
    layer.build(None)
    set_random_weights(layer)
    assert [w.name for w in layer.weights] == ["embeddings"]
    indices = np.array([[1, 6, 1], [0, 1, 3]])
    compare_layer(layer, lambda i, table: F.embedding(i, table), [indices], layer.weights)


def test_mask_zero_and_float_indices():
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(np.array([[2.0, 0.0, 4.0]]))  # integral floats are cast, as Keras does
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    np.testing.assert_array_equal(out.numpy()[0, 2], layer.embeddings.numpy()[4])
    assert layer.compute_mask(np.array([[0, 1]])).numpy().tolist() == [[False, True]]
    plain = layers.Embedding(5, 2)
    assert getattr(plain(np.array([[0, 1]])), "_keras_mask", None) is None


def test_embedding_defaults_weights_argument_and_config():
    layer = layers.Embedding(100, 8)
    layer.build(None)
    table = layer.embeddings.numpy()
    assert table.shape == (100, 8) and np.abs(table).max() <= 0.05  # RandomUniform(-0.05, 0.05)
    given = layers.Embedding(3, 2, weights=[np.arange(6.0).reshape(3, 2)])
    np.testing.assert_array_equal(given.embeddings.numpy(), np.arange(6.0).reshape(3, 2))
    config = config_round_trip(layers.Embedding(10, 4, mask_zero=True)).get_config()
    assert config["mask_zero"] is True
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    with pytest.warns(UserWarning, match="`input_length` is deprecated"):
        layers.Embedding(10, 4, input_length=5)


def test_masking_layer():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], "float32")
    out = layers.Masking()(x)
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    lstm = layers.LSTM(2)
    full = lstm(x[:, [0, 2]]).numpy()
    np.testing.assert_allclose(lstm(layers.Masking()(x)).numpy(), full, rtol=1e-6)
    config_round_trip(layers.Masking(mask_value=-1.0))


def test_embedding_error_messages():
    with pytest.raises(ValueError, match="`input_dim`: expected a strictly positive integer. "
                                         "Received: input_dim=0"):
        layers.Embedding(0, 4)
    with pytest.raises(IndexError, match="index 5 is out of range for a table of 5 rows"):
        layers.Embedding(5, 2)(np.array([[1, 5]]))
