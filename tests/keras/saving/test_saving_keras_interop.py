"""Interop with real Keras 3: ember loads files Keras wrote (tests/fixtures/keras3, made by
make_fixtures.py), and Keras loads files ember wrote (run only where a Keras venv exists)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ember import keras

sys.path.insert(0, str(Path(__file__).parent))
import ember_models  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "keras3"
NAMES = ["mlp", "two_inputs", "conv", "embedding_lstm", "gru", "attention", "operators"]
KERAS_PYTHON = Path(os.environ.get("EMBER_KERAS_PYTHON", "/work/kerasenv/bin/python"))


def fixture_inputs(name):
    paths = sorted(FIXTURES.glob(f"{name}_x*.npy"))
    arrays = [np.load(p) for p in paths]
    return arrays if len(arrays) > 1 else arrays[0]


@pytest.mark.parametrize("name", NAMES)
def test_ember_loads_keras_files_and_predicts_the_same(name):
    model = keras.saving.load_model(FIXTURES / f"{name}.keras")
    prediction = model.predict(fixture_inputs(name), verbose=0)
    expected = np.load(FIXTURES / f"{name}_y.npy")
    assert prediction.shape == expected.shape
    assert np.max(np.abs(prediction - expected)) <= 1e-5
    # the optimizer state came along: 2 epochs of 4 batches in make_fixtures.py
    assert int(model.optimizer.iterations.data) == 8
    assert model.compiled


def test_keras_file_optimizer_state_is_restored_exactly():
    import io
    import zipfile

    import h5py

    model = keras.saving.load_model(FIXTURES / "mlp.keras")
    with zipfile.ZipFile(FIXTURES / "mlp.keras") as zf:
        stored = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
        saved = [stored[f"optimizer/vars/{i}"][()] for i in range(len(stored["optimizer/vars"]))]
    assert type(model.optimizer).__name__ == "Adam"
    assert len(saved) == len(model.optimizer.variables) == 2 + 2 * 4
    for value, variable in zip(saved, model.optimizer.variables):
        np.testing.assert_array_equal(value, variable.data)


def test_keras_model_keeps_training_in_ember():
    model = keras.saving.load_model(FIXTURES / "two_inputs.keras")
    x = [np.load(FIXTURES / "two_inputs_x0.npy"), np.load(FIXTURES / "two_inputs_x1.npy")]
    y = np.zeros((len(x[0]), 2), np.float32)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    assert int(model.optimizer.iterations.data) == 8 + 5


@pytest.mark.skipif(not KERAS_PYTHON.exists(),
                    reason=f"no Keras venv at {KERAS_PYTHON} (set EMBER_KERAS_PYTHON)")
def test_keras_loads_ember_files_and_predicts_the_same(tmp_path):
    names = ember_models.write_files(str(tmp_path))
    result = subprocess.run(
        [str(KERAS_PYTHON), str(FIXTURES / "check_ember_files.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=240)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(summary["results"]) == sorted(names)
    for name, outcome in summary["results"].items():
        assert outcome["ok"], (name, outcome)
        assert outcome["optimizer_iterations"] == 4
    assert result.returncode == 0
