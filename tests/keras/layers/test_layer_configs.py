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
