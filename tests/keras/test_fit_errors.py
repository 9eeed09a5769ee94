"""Bad input gets a clear error before any NumPy traceback."""

import numpy as np
import pytest

from ember import keras


@pytest.fixture
def model():
    keras.backend.clear_session()
    model = keras.Sequential([keras.layers.Dense(8, input_shape=(4,), activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


X = np.random.default_rng(0).random((20, 4))
Y = np.random.default_rng(0).integers(0, 3, 20)


def test_x_and_y_of_different_lengths(model):
    with pytest.raises(ValueError, match="x has 20 samples but y has 19 samples"):
        model.fit(X, Y[:19], verbose=0)


def test_wrong_input_width_names_layer_and_shapes(model):
    with pytest.raises(ValueError,
                       match=r'layer "dense" is incompatible.*value 4.*shape \(20, 5\)'):
        model.fit(np.ones((20, 5)), Y, verbose=0, batch_size=20)


def test_sparse_labels_out_of_range(model):
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.fit(X, Y + 5, verbose=0)


def test_one_hot_labels_given_to_sparse_loss(model):
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        model.fit(X, keras.utils.to_categorical(Y, 3), verbose=0)


def test_integer_labels_given_to_categorical_loss(model):
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(X, Y, verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_inputs(model, bad):
    x = X.copy()
    x[3, 1] = bad
    with pytest.raises(ValueError, match=r"`x` contains 1 NaN or infinite value"):
        model.fit(x, Y, verbose=0)


def test_unknown_identifiers_suggest_the_closest(model):
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        model.compile(optimizer="adma", loss="mse")
    with pytest.raises(ValueError, match="Did you mean 'sparse_categorical_crossentropy'"):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropie")
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        model.compile(optimizer="adam", loss="mse", metrics=["acuracy_x"])


def test_fit_before_compile():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match=r"You must call `compile\(\)` before calling `fit\(\)`"):
        model.fit(np.ones((2, 2)), np.ones(2), verbose=0)


@pytest.mark.parametrize("x, message", [
    ("not an array", "Unrecognized data type"),
    (42, "Unrecognized data type"),
    ([object(), object()], "dtype=object"),
])
def test_non_array_x(model, x, message):
    with pytest.raises(TypeError, match=message):
        model.fit(x, Y[:2], verbose=0)


def test_bad_verbose_value(model):
    with pytest.raises(ValueError, match="`verbose` must be 'auto', 0, 1 or 2"):
        model.fit(X, Y, verbose=5)
