"""Sequential, functional and subclassed models: construction, shapes, layers, errors."""

import numpy as np
import pytest

import ember
from ember import keras


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def test_sequential_with_legacy_input_shape_builds_immediately():
    model = keras.Sequential([
        keras.layers.Dense(10, input_shape=(4,), activation="relu"),
        keras.layers.Dense(3, activation="softmax")])
    assert model.built
    assert model.output_shape == (None, 3)
    assert model.input_shape == (None, 4)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.count_params() == 4 * 10 + 10 + 10 * 3 + 3


def test_sequential_add_pop_and_input():
    model = keras.Sequential()
    model.add(keras.Input(shape=(3,)))
    model.add(keras.layers.Dense(4))
    model.add(keras.layers.Dense(2))
    assert model.output_shape == (None, 2)
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 4)
    with pytest.raises(ValueError, match="Only instances of `keras.Layer` can be added"):
        model.add("dense")


def test_sequential_builds_on_first_call_without_input_shape():
    model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(1)])
    assert not model.built
    out = model(np.ones((5, 7)))
    assert out.shape == (5, 1) and len(model.weights) == 4


def test_input_dim_legacy_argument():
    model = keras.Sequential([keras.layers.Dense(2, input_dim=6)])
    assert model.input_shape == (None, 6)


def test_functional_two_inputs_two_outputs_dict_and_list_inputs():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(2,), name="b")
    h = keras.layers.Dense(3, activation="tanh", name="h")(a)
    g = keras.layers.Dense(3, name="g")(b)
    total = keras.layers.Dense(1, name="total")(h + g * 2.0)
    side = keras.layers.Dense(2, name="side")(g)
    model = keras.Model(inputs=[a, b], outputs=[total, side])
    assert model.output_shape == [(None, 1), (None, 2)]
    xa, xb = np.ones((3, 4), "float32"), np.ones((3, 2), "float32")
    out_list = model([xa, xb])
    out_dict = model({"a": xa, "b": xb})
    np.testing.assert_array_equal(out_list[0].numpy(), out_dict[0].numpy())
    assert model.get_layer("side").name == "side"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match=r"missing inputs \['b'\]"):
        model({"a": xa})


def test_functional_input_shape_error_names_model():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(2, 5\)"):
        model(np.ones((2, 5), "float32"))


def test_functional_shape_inference_error_names_layer():
    inputs = keras.Input(shape=(4,))
    with pytest.raises(ValueError, match="Error while calling layer 'reshape'"):
        keras.layers.Reshape((3,))(inputs)


def test_functional_rejects_non_symbolic_outputs():
    inputs = keras.Input(shape=(4,))
    with pytest.raises(ValueError, match="must be symbolic tensors"):
        keras.Model(inputs, np.ones(3))


def test_subclassed_model_tracks_layers_and_builds():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__(name="mlp")
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(3)

        def call(self, x, training=False):
            return self.out(self.hidden(x))

    model = MLP()
    model.build((None, 5))
    assert model.built and len(model.weights) == 4
    assert model(np.ones((2, 5))).shape == (2, 3)
    assert model.output_shape == (None, 3)


def test_model_call_accepts_tensors_and_returns_tensors():
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    out = model(ember.tensor(np.ones((4, 3), "float32")))
    assert isinstance(out, ember.Tensor)


def test_nested_models_as_layers():
    inner = keras.Sequential([keras.layers.Dense(4, input_shape=(3,), activation="relu")])
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(1)(inner(inputs))
    model = keras.Model(inputs, outputs)
    assert len(model.weights) == 4
    assert model(np.ones((2, 3))).shape == (2, 1)


def test_python_operators_on_symbolic_tensors():
    inputs = keras.Input(shape=(3,))
    outputs = 1.0 - (inputs * 2.0 + inputs) / 3.0
    model = keras.Model(inputs, -outputs)
    x = np.array([[1.0, 2.0, 3.0]], "float32")
    np.testing.assert_allclose(model(x).numpy(), -(1.0 - x))
