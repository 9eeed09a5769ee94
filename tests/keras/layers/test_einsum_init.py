"""EinsumDense kernels get Keras 3's fans: input axes in, the other kernel axes out."""

import numpy as np

from ember import keras


def test_attention_projections_use_model_width_and_heads_times_depth_as_fans():
    keras.utils.set_random_seed(0)
    mha = keras.layers.MultiHeadAttention(num_heads=4, key_dim=32)
    x = np.zeros((1, 5, 128), "float32")
    mha(x, x)
    bound = np.sqrt(6 / (128 + 4 * 32))  # glorot_uniform on a (128, 128) matrix
    for variable in mha.weights:
        if variable.name == "kernel":
            values = np.abs(variable.numpy())
            assert values.max() <= bound
            assert values.max() > 0.95 * bound  # not the smaller bound of a 3-D conv reading


def test_non_fan_initializers_are_untouched():
    layer = keras.layers.EinsumDense("ab,bcd->acd", output_shape=(2, 3),
                                     kernel_initializer="ones")
    layer(np.zeros((1, 4), "float32"))
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((4, 2, 3)))
