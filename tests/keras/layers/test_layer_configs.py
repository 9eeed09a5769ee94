"""Every layer of this package through the registry: serialize -> deserialize by class name
gives an equal config, weights survive set_weights, and Keras' exported names exist."""

import json

import numpy as np
import pytest

from ember import keras
from ember.keras import layers
from ember.keras.layers._utils import deserialize_layer, serialize_layer

LAYERS = [
    (layers.Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 9, 3)),
    (layers.Conv2D(4, (3, 2), strides=2, padding="same", groups=1), (2, 7, 7, 2)),
    (layers.Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 4, 4, 2)),
    (layers.DepthwiseConv2D(3, depth_multiplier=2), (2, 5, 5, 2)),
    (layers.SeparableConv2D(4, 3, padding="same"), (2, 5, 5, 2)),
    (layers.MaxPooling2D(3, 2, "same"), (2, 5, 5, 2)),
    (layers.AveragePooling1D(2), (2, 6, 3)),
    (layers.GlobalMaxPooling1D(keepdims=True), (2, 6, 3)),
    (layers.BatchNormalization(momentum=0.9), (4, 3)),
    (layers.LayerNormalization(epsilon=1e-5), (2, 3, 4)),
    (layers.GroupNormalization(groups=2), (2, 3, 4)),
    (layers.SpatialDropout2D(0.2), (2, 3, 3, 2)),
    (layers.GaussianNoise(0.3), (2, 3)),
    (layers.SimpleRNN(3, return_sequences=True), (2, 4, 3)),
    (layers.LSTM(3, go_backwards=True), (2, 4, 3)),
    (layers.GRU(3, reset_after=False, return_state=True), (2, 4, 3)),
    (layers.Bidirectional(layers.GRU(2)), (2, 4, 3)),
    (layers.TimeDistributed(layers.Dense(2)), (2, 4, 3)),
    (layers.Permute((2, 1)), (2, 4, 3)),
    (layers.RepeatVector(2), (2, 3)),
    (layers.ZeroPadding2D(((1, 2), (0, 1))), (2, 3, 3, 1)),
    (layers.UpSampling2D(2, interpolation="bilinear"), (2, 3, 3, 1)),
    (layers.Cropping2D(1), (2, 4, 4, 1)),
    (layers.Rescaling(0.5, offset=1.0), (2, 3)),
    (layers.ReLU(max_value=6.0), (2, 3)),
    (layers.LeakyReLU(0.2), (2, 3)),
    (layers.PReLU(), (2, 3)),
    (layers.ELU(), (2, 3)),
    (layers.Softmax(axis=1), (2, 3)),
    (layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c"), (2, 3)),
]


@pytest.mark.parametrize("layer,shape", LAYERS, ids=lambda v: type(v).__name__)
def test_serialize_deserialize_through_the_registry(layer, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    out = layer(x)
    saved = json.loads(json.dumps(serialize_layer(layer)))
    clone = deserialize_layer(saved)
    assert type(clone) is type(layer)
    assert json.loads(json.dumps(clone.get_config())) == saved["config"]
    clone(x)
    clone.set_weights(layer.get_weights())
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]
    if not isinstance(layer, (layers.SpatialDropout2D, layers.GaussianNoise)):
        first = out[0] if isinstance(out, tuple) else out
        again = clone(x)
        again = again[0] if isinstance(again, tuple) else again
        np.testing.assert_allclose(again.numpy(), first.numpy(), rtol=1e-5, atol=1e-6)


def test_keras_names_are_exported():
    names = ["Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
             "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
             "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
             "GlobalMaxPooling2D", "MaxPool2D", "AvgPool2D", "ZeroPadding2D", "UpSampling2D",
             "Cropping2D", "BatchNormalization", "LayerNormalization", "GroupNormalization",
             "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "Embedding", "Masking",
             "SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
             "Bidirectional", "TimeDistributed", "MultiHeadAttention", "EinsumDense", "Add",
             "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
             "add", "concatenate", "Permute", "RepeatVector", "Rescaling", "Normalization",
             "Lambda", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"]
    missing = [n for n in names if not hasattr(keras.layers, n)]
    assert missing == []


def test_multi_head_attention_build_config_uses_shapes_dict():
    layer = layers.MultiHeadAttention(2, 3)
    layer(np.ones((2, 4, 6), "float32"), np.ones((2, 5, 8), "float32"))
    config = layer.get_build_config()
    assert config == {"shapes_dict": {"query_shape": [None, 4, 6], "value_shape": [None, 5, 8]}}
    clone = layers.MultiHeadAttention.from_config(layer.get_config())
    clone.build_from_config(config)
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]


def test_model_with_these_layers_saves_and_loads(tmp_path):
    tokens = keras.Input((6,), dtype="int64")
    memory = keras.Input((3, 5))
    x = layers.Embedding(10, 4, mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.MultiHeadAttention(2, 4)(x, memory)
    x = layers.LayerNormalization()(x)
    x = layers.Conv1D(4, 3, padding="causal")(x)
    x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    model = keras.Model([tokens, memory], layers.Dense(2)(x))
    data = [np.array([[1, 2, 3, 0, 0, 0], [4, 5, 6, 7, 8, 9]]),
            np.random.default_rng(0).standard_normal((2, 3, 5)).astype("float32")]
    expected = model.predict(data, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
