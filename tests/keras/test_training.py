"""compile / fit / evaluate / predict: real data sets reach real accuracies; results are exact."""

import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import keras

pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def _split(load, scale=True, seed=42):
    X, y = load(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
    if scale:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test, y_train, y_test


def _seed_model():
    return keras.Sequential([
        keras.layers.Dense(10, input_shape=(4,), activation="relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(3, activation="softmax")])


def test_seed_example_runs_verbatim_and_reaches_093(tmp_path):
    script = "examples/seed_iris.py"
    result = subprocess.run([sys.executable, script], capture_output=True, text=True,
                            timeout=300, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Epoch 1/100" in out and "Epoch 100/100" in out
    assert "accuracy:" in out and "loss:" in out
    line = [ln for ln in out.splitlines() if ln.startswith("Loss: ")][-1]
    accuracy = float(line.split("Accuracy: ")[1])
    assert accuracy >= 0.93, out[-1000:]


def test_iris_history_keys_and_evaluate_types():
    X_train, X_test, y_train, y_test = _split(load_iris, scale=False)
    ember.set_random_seed(0)
    model = _seed_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(X_train, y_train, epochs=3, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == [0, 1, 2]
    assert history.params["epochs"] == 3 and history.params["steps"] == 3
    loss, accuracy = model.evaluate(X_test, y_test, verbose=0)
    assert isinstance(loss, float) and isinstance(accuracy, float)
    logs = model.evaluate(X_test, y_test, verbose=0, return_dict=True)
    assert set(logs) == {"accuracy", "loss"} and all(isinstance(v, float) for v in logs.values())
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(X_test, y_test, verbose=0), float)


def test_history_keys_follow_the_user_spelling():
    X_train, _, y_train, _ = _split(load_iris, scale=False)
    model = _seed_model()
    model.compile(optimizer="Adam", loss="sparse_categorical_crossentropy",
                  metrics=["acc", keras.metrics.SparseCategoricalAccuracy(name="sca")])
    history = model.fit(X_train, y_train, epochs=1, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "sca"]
    assert history.history["acc"] == history.history["sca"]


@pytest.mark.parametrize("load, units, epochs, target", [
    (load_wine, 3, 30, 0.95),
    (load_breast_cancer, 2, 20, 0.95),
    (load_digits, 10, 20, 0.95),
])
def test_sklearn_datasets_reach_accuracy(load, units, epochs, target):
    X_train, X_test, y_train, y_test = _split(load)
    ember.set_random_seed(1)
    model = keras.Sequential([
        keras.layers.Dense(64, input_shape=(X_train.shape[1],), activation="relu"),
        keras.layers.Dense(units, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(X_test, y_test, verbose=0)
    assert accuracy >= target


def test_binary_classification_with_sigmoid_and_one_hot_categorical():
    X_train, X_test, y_train, y_test = _split(load_breast_cancer)
    ember.set_random_seed(2)
    model = keras.Sequential([keras.layers.Dense(16, input_shape=(30,), activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X_train, y_train, epochs=20, verbose=0)
    assert model.evaluate(X_test, y_test, verbose=0)[1] >= 0.94
    y_hot = keras.utils.to_categorical(y_train, 2)
    model = keras.Sequential([keras.layers.Dense(16, input_shape=(30,), activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(X_train, y_hot, epochs=20, verbose=0)
    assert model.evaluate(X_test, keras.utils.to_categorical(y_test, 2), verbose=0)[1] >= 0.94


def _train_once(seed):
    ember.set_random_seed(seed)
    keras.backend.clear_session()
    X_train, _, y_train, _ = _split(load_iris)
    model = keras.Sequential([keras.layers.Dense(16, input_shape=(4,), activation="relu"),
                              keras.layers.Dropout(0.3),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X_train, y_train, epochs=5, verbose=0, validation_split=0.2)
    return model.get_weights(), history.history


def test_same_seed_gives_bitwise_identical_weights_and_history():
    w1, h1 = _train_once(7)
    w2, h2 = _train_once(7)
    w3, _ = _train_once(8)
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
    assert h1 == h2
    assert not all(np.array_equal(a, b) for a, b in zip(w1, w3))


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    y = np.arange(10, dtype="float32").reshape(10, 1)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(1,), kernel_initializer="zeros")])
    model.compile(optimizer="sgd", loss="mse")
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_test_begin(self, logs=None):
            seen.append(True)

    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0, batch_size=10,
                        callbacks=[Spy()])
    # with zero weights the validation loss is the mean of the last two targets squared
    assert history.history["val_loss"][0] != pytest.approx(0.0)
    model2 = keras.Sequential([keras.layers.Dense(1, input_shape=(1,), kernel_initializer="zeros",
                                                  use_bias=False)])
    model2.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    history = model2.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx((8**2 + 9**2) / 2)
    assert seen


def test_predict_returns_numpy_and_builds_no_graph():
    model = _seed_model()
    out = model.predict(np.ones((70, 4)), batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (70, 3) and out.dtype == np.float32
    tensor_out = model(np.ones((2, 4)), training=False)
    assert tensor_out.requires_grad  # eager calls do record (for custom loops)
    with ember.no_grad():
        assert not model(np.ones((2, 4))).requires_grad


def test_custom_loop_with_backward_and_optimizer_apply():
    X_train, X_test, y_train, y_test = _split(load_iris)
    ember.set_random_seed(3)
    model = _seed_model()
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    for _ in range(150):
        loss = loss_fn(y_train, model(X_train, training=True))
        loss.backward()
        optimizer.apply([v.grad for v in model.trainable_weights], model.trainable_weights)
    accuracy = (model.predict(X_test, verbose=0).argmax(1) == y_test).mean()
    assert accuracy >= 0.9
    model.zero_grad()


def test_apply_gradients_with_zip():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,), kernel_initializer="ones")])
    optimizer = keras.optimizers.SGD(learning_rate=0.5)
    loss = ember.sum(model(np.ones((1, 2), "float32")))
    loss.backward()
    grads = [np.array(v.grad) for v in model.trainable_weights]
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), np.full((2, 1), 0.5))


def test_overriding_train_step():
    class Counting(keras.Sequential):
        steps = 0

        def train_step(self, data):
            type(self).steps += 1
            return super().train_step(data)

    model = Counting([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((10, 2)), np.ones(10), batch_size=4, epochs=2, verbose=0)
    assert Counting.steps == 6


def test_generator_of_batches_and_steps_per_epoch():
    X_train, _, y_train, _ = _split(load_iris)

    def batches():
        while True:
            for i in range(0, len(X_train), 30):
                yield X_train[i:i + 30], y_train[i:i + 30]

    model = _seed_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(batches(), epochs=2, steps_per_epoch=4, verbose=0)
    assert len(history.history["loss"]) == 2
    assert history.params["steps"] == 4


def test_dict_inputs_and_two_outputs():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(2,), name="b")
    h = keras.layers.Dense(8, activation="relu")(keras.layers.Concatenate()([a, b]))
    out1 = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    out2 = keras.layers.Dense(1, name="reg")(h)
    model = keras.Model([a, b], [out1, out2])
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]])
    x = {"a": np.random.rand(20, 4), "b": np.random.rand(20, 2)}
    y = [np.random.randint(0, 3, 20), np.random.rand(20, 1)]
    history = model.fit(x, y, epochs=2, verbose=0)
    assert sorted(history.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"]
    values = model.evaluate(x, y, verbose=0)
    assert len(values) == 5
    preds = model.predict(x, verbose=0)
    assert [p.shape for p in preds] == [(20, 3), (20, 1)]


def test_sample_weight_and_class_weight_change_the_loss():
    x = np.random.rand(8, 3)
    y = np.array([0, 1] * 4)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,), activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    plain = model.evaluate(x, y, verbose=0)
    zero_ones = model.evaluate(x, y, sample_weight=(y == 1).astype(float), verbose=0)
    per_example = keras.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0))
    expected = float(np.sum(per_example.numpy() * (y == 1)) / len(y))
    assert zero_ones == pytest.approx(expected, rel=1e-5)
    assert zero_ones != pytest.approx(plain)
    history = model.fit(x, y, class_weight={0: 0.0, 1: 1.0}, epochs=1, verbose=0,
                        batch_size=8)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_train_and_test_on_batch():
    model = _seed_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.rand(16, 4), np.random.randint(0, 3, 16)
    loss, acc = model.train_on_batch(x, y)
    assert isinstance(loss, float) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"accuracy", "loss"}
    assert model.predict_on_batch(x).shape == (16, 3)


def test_model_built_by_its_first_training_step_trains_from_that_step():
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(np.arange(100).reshape(5, 20) / 100, np.ones(5), epochs=3, verbose=0)
    losses = history.history["loss"]
    assert losses[0] > losses[1] > losses[2]


def test_integer_inputs_are_cast_to_the_input_dtype():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(20,))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.arange(100).reshape(5, 20), np.ones(5), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_custom_training_example_learns():
    root = __import__("pathlib").Path(__file__).parents[2]
    result = subprocess.run([sys.executable, "examples/custom_training.py"], capture_output=True,
                            text=True, timeout=300, cwd=str(root))
    assert result.returncode == 0, result.stderr[-2000:]
    first, second = result.stdout.strip().splitlines()[-2:]
    assert float(first.split("test accuracy ")[1]) >= 0.9
    assert float(second.rsplit(", ", 1)[1].rstrip("]")) >= 0.9


def test_train_step_receives_x_y_pairs_like_keras():
    seen = []

    class Spy(keras.Sequential):
        def train_step(self, data):
            seen.append(len(data))
            return super().train_step(data)

    model = Spy([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones(4), epochs=1, verbose=0)
    model.fit(np.ones((4, 2)), np.ones(4), sample_weight=np.ones(4), epochs=1, verbose=0)
    assert seen == [2, 3]


@pytest.mark.parametrize("labels, units, expected", [
    ("sparse", 3, "SparseCategoricalCrossentropy"),
    ("one_hot", 3, "CategoricalCrossentropy"),
    ("binary", 1, "BinaryCrossentropy"),
])
def test_crossentropy_string_resolved_from_shapes(labels, units, expected):
    rng = np.random.default_rng(0)
    x = rng.random((12, 4))
    y = rng.integers(0, units if units > 1 else 2, 12)
    if labels == "one_hot":
        y = keras.utils.to_categorical(y, units)
    activation = "sigmoid" if units == 1 else "softmax"
    model = keras.Sequential([keras.layers.Dense(units, input_shape=(4,), activation=activation)])
    model.compile(optimizer="adam", loss="crossentropy", metrics=["ce"])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert type(model._compile_loss.losses[0]).__name__ == expected
    assert history.history["loss"][0] == pytest.approx(history.history["ce"][0], rel=1e-5)
