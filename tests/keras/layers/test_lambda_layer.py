"""Lambda: calling, arguments, mask/training forwarding, configs that name (never pickle) code."""

import numpy as np
import pytest

from ember import keras
from ember.keras import layers


def double(x, factor=2.0):
    return x * factor


def test_lambda_call_arguments_and_shapes():
    layer = layers.Lambda(double, arguments={"factor": 3.0})
    np.testing.assert_array_equal(layer(np.ones((1, 2), "float32")).numpy(), [[3.0, 3.0]])
    model = keras.Sequential([keras.Input((4,)), layers.Lambda(lambda x: x[:, :2])])
    assert model.output_shape == (None, 2)
    assert layers.Lambda(double, output_shape=(5,)).compute_output_shape((None, 5)) == (None, 5)


def test_lambda_forwards_mask_and_training():
    seen = {}

    def spy(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    tokens = np.array([[1, 0]])
    layers.Lambda(spy)(layers.Embedding(3, 2, mask_zero=True)(tokens), training=True)
    assert seen["training"] is True
    np.testing.assert_array_equal(seen["mask"].numpy(), tokens != 0)
    out = layers.Lambda(double, mask=lambda inputs, mask: mask)(
        layers.Embedding(3, 2, mask_zero=True)(tokens))
    np.testing.assert_array_equal(out._keras_mask.numpy(), tokens != 0)


def test_lambda_config_names_the_function():
    config = layers.Lambda(double).get_config()
    assert config["function"]["config"] == "double"
    assert config["function"]["class_name"] == "function"
    rebuilt = layers.Lambda.from_config(config, custom_objects={"double": double})
    np.testing.assert_array_equal(rebuilt(np.ones((1, 1), "float32")).numpy(), [[2.0]])

    @keras.saving.register_keras_serializable(package="tests")
    def triple(x):
        return x * 3

    rebuilt = layers.Lambda.from_config(layers.Lambda(triple).get_config())
    np.testing.assert_array_equal(rebuilt(np.ones((1, 1), "float32")).numpy(), [[3.0]])


def test_lambda_error_messages():
    with pytest.raises(ValueError, match="cannot load the function 'double': ember never "
                                         "deserializes Python code"):
        layers.Lambda.from_config(layers.Lambda(double).get_config())
    with pytest.raises(TypeError, match="`function` must be callable"):
        layers.Lambda(3)
