"""The Layer base: names, weights, freezing, configs, input checks, masks, training flag."""

import numpy as np
import pytest

import ember
from ember import keras


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.stat = self.add_weight(shape=(), initializer="zeros", trainable=False, name="stat")

    def call(self, x, training=None):
        return x * self.w * (self.factor if training else 1.0)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_automatic_names_count_up_and_reset():
    names = [keras.layers.Dense(2).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    keras.backend.clear_session()
    assert keras.layers.Dense(2).name == "dense"
    assert Scale().name == "scale"


def test_unknown_keyword_argument_is_rejected():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        keras.layers.Dense(3, foo=1)


def test_build_on_first_call_creates_weights_in_keras_order():
    layer = Scale()
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 3), "float32"))
    assert layer.built
    assert [v.name for v in layer.weights] == ["w", "stat"]
    assert [v.name for v in layer.trainable_weights] == ["w"]
    assert [v.name for v in layer.non_trainable_weights] == ["stat"]
    assert layer.count_params() == 4
    np.testing.assert_array_equal(out.numpy(), np.ones((2, 3)))


def test_sublayers_in_lists_and_dicts_are_tracked():
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.stack = [keras.layers.Dense(3), keras.layers.Dense(2)]
            self.heads = {"a": keras.layers.Dense(1)}

        def call(self, x):
            for layer in self.stack:
                x = layer(x)
            return self.heads["a"](x)

    block = Block()
    block(np.ones((1, 4), "float32"))
    assert len(block.weights) == 6
    assert block.count_params() == (4 * 3 + 3) + (3 * 2 + 2) + (2 + 1)


def test_freezing_removes_weights_from_training():
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(2,)), keras.layers.Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 2
    assert not model.layers[0].kernel.requires_grad
    model.trainable = False
    assert model.trainable_weights == []


def test_get_and_set_weights_round_trip_and_errors():
    layer = keras.layers.Dense(2)
    layer(np.zeros((1, 3), "float32"))
    weights = [np.full((3, 2), 0.5, "float32"), np.array([1.0, -1.0], "float32")]
    layer.set_weights(weights)
    out = layer(np.ones((1, 3), "float32")).numpy()
    np.testing.assert_allclose(out, [[2.5, 0.5]])
    with pytest.raises(ValueError, match="expects 2 weight arrays, but set_weights received 1"):
        layer.set_weights(weights[:1])
    with pytest.raises(ValueError, match=r"has shape \(3, 2\); set_weights received an array of "
                                         r"shape \(2, 2\)"):
        layer.set_weights([np.zeros((2, 2)), np.zeros(2)])


def test_count_params_on_unbuilt_layer_names_it():
    with pytest.raises(ValueError, match="call `count_params` on layer 'dense', but the layer "
                                         "isn't built"):
        keras.layers.Dense(2).count_params()


def test_config_round_trip_of_user_layer():
    layer = Scale(factor=3.0, name="scaler")
    clone = Scale.from_config(layer.get_config())
    assert clone.name == "scaler" and clone.factor == 3.0


def test_wrong_input_width_names_layer_and_shapes():
    layer = keras.layers.Dense(2)
    layer(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match=r'Input 0 of layer "dense" is incompatible with the '
                                         r"layer: expected axis -1 of input shape to have value "
                                         r"3, but received input with shape \(1, 5\)"):
        layer(np.zeros((1, 5), "float32"))


def test_float64_inputs_are_cast_to_the_layer_dtype():
    layer = keras.layers.Dense(2)
    out = layer(np.ones((2, 3), np.float64))
    assert out.dtype == np.float32
    layer64 = keras.layers.Dense(2, dtype="float64")
    assert layer64(np.ones((2, 3), np.float32)).dtype == np.float64


def test_training_flag_reaches_nested_layers():
    inner = Scale(factor=10.0)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(2,), kernel_initializer="ones"),
                              inner])
    x = np.ones((1, 2), "float32")
    assert model(x, training=True).numpy()[0, 0] == pytest.approx(20.0)
    assert model(x, training=False).numpy()[0, 0] == pytest.approx(2.0)
    assert model(x).numpy()[0, 0] == pytest.approx(2.0)


def test_add_loss_collects_and_resets_each_call():
    class Penalized(keras.layers.Layer):
        def call(self, x):
            self.add_loss(ember.sum(x * x))
            return x

    layer = Penalized()
    layer(np.ones((1, 2), "float32"))
    layer(np.ones((1, 3), "float32"))
    assert len(layer.losses) == 1 and layer.losses[0].item() == 3.0


def test_weight_regularizer_penalty_in_losses():
    layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1),
                               kernel_initializer="ones")
    layer(np.ones((1, 3), "float32"))
    (penalty,) = layer.losses
    assert penalty.item() == pytest.approx(0.1 * 6)


def test_compute_output_shape_without_override():
    assert Scale().compute_output_shape((None, 5)) == (None, 5)
    assert keras.layers.Flatten().compute_output_shape((None, 2, 3)) == (None, 6)


def test_mask_travels_through_masking_layers():
    class MakeMask(keras.layers.Layer):
        def call(self, x):
            return x

        def compute_mask(self, inputs, mask=None):
            return inputs.numpy()[..., 0] != 0

    class ReadMask(keras.layers.Layer):
        def call(self, x, mask=None):
            self.seen = mask
            return x

    reader = ReadMask()
    x = np.array([[[1.0], [0.0]]], "float32")
    reader(keras.layers.Identity()(MakeMask()(x)))
    np.testing.assert_array_equal(reader.seen, [[True, False]])


def test_activity_regularizer_applies_once_to_every_output():
    layer = keras.layers.Dense(2, kernel_initializer="ones", activity_regularizer="l2")
    out = layer(np.ones((1, 3), "float32"))
    (penalty,) = layer.losses
    assert penalty.item() == pytest.approx(0.01 * float(np.sum(out.numpy() ** 2)))

    class Split(keras.layers.Layer):
        def call(self, x):
            return [x, x * 2]

    split = Split(activity_regularizer=keras.regularizers.L1(1.0))
    split(np.ones((1, 2), "float32"))
    assert [p.item() for p in split.losses] == [2.0, 4.0]


def test_list_of_masks_reaches_each_output():
    class TwoOutputs(keras.layers.Layer):
        def call(self, x):
            return [x, x * 1.0]

        def compute_mask(self, inputs, mask=None):
            return [np.array([True]), np.array([False])]

    first, second = TwoOutputs()(np.ones((1, 2), "float32"))
    assert first._keras_mask.tolist() == [True] and second._keras_mask.tolist() == [False]
