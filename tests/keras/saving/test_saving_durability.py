"""Crash safety, with real processes killed by SIGKILL: a save interrupted half-way leaves the
previous file intact, and BackupAndRestore resumes a killed ``fit`` to the very same weights."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ember import keras
from ember.keras import layers

HERE = Path(__file__).parent
REPO = HERE.parents[2]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def run(script, *args, env=None):
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, str(HERE / script), *map(str, args)], env=environment,
                          capture_output=True, text=True, timeout=120)


def previous_model(path):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(64), layers.Dense(2)])
    for variable in model.weights:
        variable.assign(np.full(variable.shape, 1.0))
    if str(path).endswith(".keras"):
        model.save(path)
    else:
        model.save_weights(path)
    return model


@pytest.mark.parametrize("name", ["model.keras", "model.weights.h5"])
def test_kill_during_save_keeps_the_previous_file(tmp_path, name):
    path = tmp_path / name
    model = previous_model(path)
    before = path.read_bytes()
    result = run("_kill_during_save.py", path)
    assert result.returncode == -signal.SIGKILL, result.stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != name]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".{name}.tmp-")  # died mid-write
    assert path.read_bytes() == before
    if name.endswith(".keras"):
        restored = keras.saving.load_model(path)
    else:
        restored = keras.Sequential([keras.Input((4,)), layers.Dense(64), layers.Dense(2)])
        restored.load_weights(path)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_backup_and_restore_resumes_a_killed_fit_to_identical_weights(tmp_path):
    straight = run("_resumable_training.py", tmp_path / "a", tmp_path / "a.npy")
    assert straight.returncode == 0, straight.stderr
    assert "epochs run: 5" in straight.stdout
    assert not (tmp_path / "a").exists()  # deleted once fit completed

    killed = run("_resumable_training.py", tmp_path / "b", tmp_path / "b.npy",
                 env={"EMBER_KILL_AT_EPOCH": "3"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (tmp_path / "b" / "latest.weights.h5").exists()
    assert (tmp_path / "b" / "training_metadata.json").read_text() == '{"epoch": 3, "batch": 0}'

    resumed = run("_resumable_training.py", tmp_path / "b", tmp_path / "b.npy")
    assert resumed.returncode == 0, resumed.stderr
    assert "epochs run: 2" in resumed.stdout  # epochs 3 and 4 only
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_kill_while_writing_the_backup_resumes_from_the_previous_epoch(tmp_path):
    run("_resumable_training.py", tmp_path / "a", tmp_path / "a.npy")
    killed = run("_resumable_training.py", tmp_path / "b", tmp_path / "b.npy",
                 env={"EMBER_KILL_IN_BACKUP": "2"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = run("_resumable_training.py", tmp_path / "b", tmp_path / "b.npy")
    assert resumed.returncode == 0, resumed.stderr
    assert "epochs run: 3" in resumed.stdout  # the backup of epoch 2 never landed
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_backup_and_restore_arguments():
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        keras.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="Invalid value for argument `save_freq`. Received: "
                                         "save_freq='batch'"):
        keras.callbacks.BackupAndRestore("/tmp/x", save_freq="batch")


def test_backup_kept_when_fit_raises(tmp_path):
    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")

    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32)
    backup = keras.callbacks.BackupAndRestore(tmp_path / "bk")
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[backup, Boom()])
    assert (tmp_path / "bk" / "latest.weights.h5").exists()
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[backup])
    assert len(history.history["loss"]) == 2  # epochs 0 and 1 were backed up; 2, 3 run
    assert not (tmp_path / "bk").exists()


def test_backup_every_n_batches(tmp_path):
    import json

    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    saved = []

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            path = tmp_path / "bk" / "training_metadata.json"
            saved.append(json.loads(path.read_text()) if path.exists() else None)

    backup = keras.callbacks.BackupAndRestore(tmp_path / "bk", save_freq=3,
                                              delete_checkpoint=False)
    model.fit(np.ones((16, 3), np.float32), np.zeros((16, 2), np.float32), batch_size=4,
              epochs=2, verbose=0, callbacks=[backup, Spy()])
    assert saved == [None, None, {"epoch": 0, "batch": 2}, {"epoch": 0, "batch": 2},
                     {"epoch": 0, "batch": 2}, {"epoch": 1, "batch": 1},
                     {"epoch": 1, "batch": 1}, {"epoch": 1, "batch": 1}]
    assert (tmp_path / "bk" / "latest.weights.h5").exists()  # delete_checkpoint=False
