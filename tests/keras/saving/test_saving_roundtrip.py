"""Save/load round trips: .keras archives, .weights.h5 files, JSON and configs, custom objects,
and training that continues after a reload exactly as if it had never stopped."""

import json
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import ember
from ember import keras
from ember.keras import layers

sys.path.insert(0, str(Path(__file__).parent))
import ember_models  # noqa: E402


def small_model(dropout=True):
    stack = [keras.Input((6,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(0.3))
    stack += [layers.BatchNormalization(), layers.Dense(3, activation="softmax")]
    model = keras.Sequential(stack)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=40):
    rng = np.random.default_rng(1)
    return rng.random((n, 6), dtype=np.float32), rng.integers(0, 3, n)


@pytest.mark.parametrize("builder", ember_models.BUILDERS, ids=lambda b: b.__name__)
def test_keras_archive_round_trip_predicts_the_same(builder, tmp_path):
    model, x = ember_models.trained(builder)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    inputs = x if len(x) > 1 else x[0]
    np.testing.assert_array_equal(model.predict(inputs, verbose=0),
                                  restored.predict(inputs, verbose=0))
    assert [w.shape for w in restored.get_weights()] == [w.shape for w in model.get_weights()]
    assert int(restored.optimizer.iterations.data) == int(model.optimizer.iterations.data)
    for saved, loaded in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(saved.data, loaded.data)


def test_archive_layout_is_keras_3(tmp_path):
    model, _ = ember_models.trained(ember_models.mlp)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
        config = json.loads(zf.read("config.json"))
        metadata = json.loads(zf.read("metadata.json"))
        weights = h5py.File(__import__("io").BytesIO(zf.read("model.weights.h5")), "r")
    assert set(metadata) >= {"keras_version", "date_saved"}
    assert (config["module"], config["class_name"], config["registered_name"]) == \
        ("keras", "Sequential", None)
    assert config["build_config"] == {"input_shape": [None, 8]}
    dense = config["config"]["layers"][1]
    assert (dense["module"], dense["class_name"], dense["build_config"]) == \
        ("keras.layers", "Dense", {"input_shape": [None, 8]})
    compiled = config["compile_config"]
    assert compiled["loss"] == "sparse_categorical_crossentropy"
    assert compiled["metrics"] == ["accuracy"]
    assert compiled["optimizer"]["class_name"] == "Adam"
    assert weights["layers/dense/vars"].attrs["name"] == model.layers[0].name
    np.testing.assert_array_equal(weights["layers/dense/vars/0"][()], model.layers[0].kernel.data)
    np.testing.assert_array_equal(weights["layers/dense_1/vars/1"][()], model.layers[1].bias.data)
    # Adam: iterations, learning_rate, then (m, v) interleaved per trainable variable
    assert len(weights["optimizer/vars"]) == 2 + 2 * 4
    assert weights["optimizer/vars/0"][()] == 4 and weights["optimizer/vars/0"].dtype == np.int64
    np.testing.assert_array_equal(weights["optimizer/vars/3"][()],
                                  model.optimizer.variables[3].data)
    assert weights["vars"].attrs["name"] == model.name


def test_nested_paths_follow_keras_attribute_names(tmp_path):
    model, _ = ember_models.trained(ember_models.attention)
    model.save_weights(tmp_path / "a.weights.h5")
    with h5py.File(tmp_path / "a.weights.h5", "r") as f:
        names = []
        f.visit(names.append)
    assert "layers/multi_head_attention/query_dense/vars/0" in names
    assert "layers/multi_head_attention/output_dense/vars/1" in names
    assert "layers/input_layer/vars" in names and "layers/layer_normalization/vars/1" in names
    model, _ = ember_models.trained(ember_models.embedding_lstm)
    model.save_weights(tmp_path / "l.weights.h5")
    with h5py.File(tmp_path / "l.weights.h5", "r") as f:
        assert f["layers/lstm/cell/vars/1"].shape == (4, 16)


def test_training_continues_exactly_after_save_and_load(tmp_path):
    x, y = data()
    ember.set_random_seed(7)
    straight = small_model()
    straight.fit(x, y, epochs=5, batch_size=8, verbose=0)
    ember.set_random_seed(7)
    first = small_model()
    first.fit(x, y, epochs=3, batch_size=8, verbose=0)
    first.save(tmp_path / "ckpt.keras")
    resumed = keras.saving.load_model(tmp_path / "ckpt.keras")
    resumed.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)  # bitwise: shuffling, dropout, Adam state all match
    assert int(resumed.optimizer.iterations.data) == 25


def test_load_model_leaves_the_random_generator_alone(tmp_path):
    model = small_model()
    model.save(tmp_path / "m.keras")
    before = ember.backend.rng().bit_generator.state
    keras.saving.load_model(tmp_path / "m.keras")
    assert ember.backend.rng().bit_generator.state == before


def test_load_model_without_compile(tmp_path):
    model = small_model()
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    assert not restored.compiled
    x, _ = data(4)
    np.testing.assert_array_equal(model.predict(x, verbose=0), restored.predict(x, verbose=0))


def test_save_weights_and_load_weights(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    model.save(tmp_path / "m.keras")
    for source in ("w.weights.h5", "m.keras"):
        other = small_model()
        other.load_weights(tmp_path / source)
        for a, b in zip(model.get_weights(), other.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_save_weights_requires_the_keras_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`. Received: filepath="):
        small_model().save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        small_model().save(tmp_path / "model.pkl")
    with pytest.raises(ValueError, match="legacy HDF5 model format"):
        small_model().save(tmp_path / "model.h5")


def test_load_weights_mismatch_and_skip_mismatch(tmp_path):
    small_model().save_weights(tmp_path / "w.weights.h5")
    other = keras.Sequential([keras.Input((6,)), layers.Dense(5), layers.Dropout(0.3),
                              layers.BatchNormalization(), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"'layers/dense/vars/0' has shape \(6, 8\); variable "
                                         r"'.*kernel' expects \(6, 5\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    before = other.layers[0].kernel.numpy().copy()
    with pytest.warns(UserWarning, match="Skipping loading weights"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), before)


def test_to_json_and_model_from_json():
    model, x = ember_models.trained(ember_models.two_inputs)
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Functional"
    dense = config["config"]["layers"][2]
    assert dense["inbound_nodes"][0]["args"][0]["class_name"] == "__keras_tensor__"
    assert dense["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["a", 0, 0]
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    clone = keras.models.model_from_json(text)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_get_config_from_config_sequential_and_functional():
    for builder in (ember_models.mlp, ember_models.attention):
        model, x = ember_models.trained(builder)
        clone = type(model).from_config(model.get_config())
        clone.set_weights(model.get_weights())
        inputs = x if len(x) > 1 else x[0]
        np.testing.assert_array_equal(clone.predict(inputs, verbose=0),
                                      model.predict(inputs, verbose=0))


def test_functional_config_shared_layer_node_indices():
    inputs = keras.Input((4,))
    shared = layers.Dense(4, name="shared")
    outputs = shared(shared(inputs))
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    entry = next(e for e in config["layers"] if e["name"] == "shared")
    assert len(entry["inbound_nodes"]) == 2
    assert entry["inbound_nodes"][1]["args"][0]["config"]["keras_history"] == ["shared", 0, 0]
    assert config["output_layers"] == ["shared", 1, 0]
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


@keras.saving.register_keras_serializable(package="SavingTests")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


class Unregistered(Scale):
    pass


def test_registered_custom_layer_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((3,)), Scale(3.0), layers.Dense(2)])
    model.layers[0].w.assign(np.array([1.0, 2.0, 3.0]))
    model.save(tmp_path / "c.keras")
    with zipfile.ZipFile(tmp_path / "c.keras") as zf:
        entry = json.loads(zf.read("config.json"))["config"]["layers"][1]
    assert entry["registered_name"] == "SavingTests>Scale"
    restored = keras.saving.load_model(tmp_path / "c.keras")
    assert isinstance(restored.layers[0], Scale) and restored.layers[0].factor == 3.0
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_custom_objects_for_unregistered_layer(tmp_path):
    model = keras.Sequential([keras.Input((3,)), Unregistered(2.0)])
    model.save(tmp_path / "u.keras")
    with pytest.raises(ValueError, match="Unknown layer class 'Unregistered'.*custom_objects"):
        keras.saving.load_model(tmp_path / "u.keras")
    restored = keras.saving.load_model(tmp_path / "u.keras",
                                       custom_objects={"Unregistered": Unregistered})
    assert isinstance(restored.layers[0], Unregistered)
    with keras.saving.custom_object_scope({"Unregistered": Unregistered}):
        assert isinstance(keras.saving.load_model(tmp_path / "u.keras").layers[0], Unregistered)


def test_overwrite_false_asks_like_keras(tmp_path, monkeypatch, capsys):
    small_model().save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    small_model().save(tmp_path / "m.keras", overwrite=False)
    assert (tmp_path / "m.keras").read_bytes() == before
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    small_model().save(tmp_path / "m.keras", overwrite=False)
    assert "[TIP] Next time specify overwrite=True!" in capsys.readouterr().out


def test_unzipped_folder_round_trip(tmp_path):
    model, x = ember_models.trained(ember_models.mlp)
    model.save(tmp_path / "folder", zipped=False)
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == \
        ["config.json", "metadata.json", "model.weights.h5"]
    restored = keras.saving.load_model(tmp_path / "folder")
    np.testing.assert_array_equal(restored.predict(x[0], verbose=0),
                                  model.predict(x[0], verbose=0))


def test_nested_models_use_keras_node_indices(tmp_path):
    i = keras.Input((4,))
    inner = keras.Model(i, layers.Dense(3)(i), name="inner")
    x = keras.Input((4,))
    h = inner(x)
    model = keras.Model(x, [inner(layers.Dense(4)(h)), keras.Sequential([layers.Dense(2)])(h)])
    config = model.get_config()
    dense = next(e for e in config["layers"] if e["class_name"] == "Dense")
    # Keras: inside inbound_nodes a nested Functional's calls count from 0; in output_layers
    # they count from 1 (its own input-to-output node comes first)
    assert dense["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["inner", 0, 0]
    assert config["output_layers"][0] == ["inner", 2, 0]
    model.save(tmp_path / "nested.keras")
    with h5py.File(__import__("io").BytesIO(
            zipfile.ZipFile(tmp_path / "nested.keras").read("model.weights.h5")), "r") as f:
        assert f["layers/functional/layers/dense/vars/0"].shape == (4, 3)
        assert f["layers/sequential/layers/dense/vars/0"].shape == (3, 2)
    restored = keras.saving.load_model(tmp_path / "nested.keras")
    data = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    for a, b in zip(model.predict(data, verbose=0), restored.predict(data, verbose=0)):
        np.testing.assert_array_equal(a, b)


def test_python_operators_are_saved_as_keras_operations():
    model, x = ember_models.trained(ember_models.operators)
    config = model.get_config()
    operations = [e for e in config["layers"] if e["module"] == "keras.src.ops.numpy"]
    assert sorted(e["class_name"] for e in operations) == \
        ["Add", "Multiply", "Subtract", "Subtract", "TrueDivide"]
    multiply = next(e for e in operations if e["class_name"] == "Multiply")
    assert multiply["inbound_nodes"][0]["args"][1] == 0.5  # the constant, in its position
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x[0], verbose=0), model.predict(x[0], verbose=0))


def test_file_objects_and_registry_helpers(tmp_path):
    import io

    model, x = ember_models.trained(ember_models.mlp)
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    restored = keras.saving.load_model(buffer)
    np.testing.assert_array_equal(restored.predict(x[0], verbose=0),
                                  model.predict(x[0], verbose=0))
    assert keras.saving.get_registered_name(Scale) == "SavingTests>Scale"
    assert keras.saving.get_registered_object("SavingTests>Scale") is Scale
    assert keras.saving.get_custom_objects()["SavingTests>Scale"] is Scale
    with pytest.raises(ValueError, match="Cannot serialize a Python lambda"):
        keras.saving.serialize_keras_object(lambda v: v)
