"""A training script for the BackupAndRestore test (run as a subprocess).

    python _resumable_training.py BACKUP_DIR OUT.npy

Trains 5 epochs with shuffling, dropout, batch norm and Adam, with BackupAndRestore in
BACKUP_DIR, and saves the final weights to OUT.npy. Two environment variables simulate a crash:
EMBER_KILL_AT_EPOCH=k sends SIGKILL to this process in the middle of epoch k (0-based);
EMBER_KILL_IN_BACKUP=k kills it while the backup of epoch k is being written.
"""

import os
import signal
import sys

import numpy as np

import ember
from ember import keras
from ember.keras import layers


class KillDuringEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.kill_epoch = epoch
        self.current = None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.kill_epoch and batch == 2:
            os.kill(os.getpid(), signal.SIGKILL)


def kill_inside_backup(epoch):
    """Make the backup of ``epoch`` die half-written."""
    from ember.keras.saving import weights_h5

    original = weights_h5.write_entries
    calls = []

    def write_entries(h5file, entries):
        calls.append(1)
        if len(calls) == epoch + 1:
            original(h5file, entries[: len(entries) // 2])
            h5file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        original(h5file, entries)

    weights_h5.write_entries = write_entries


def main(backup_dir, out):
    ember.set_random_seed(3)
    rng = np.random.default_rng(5)
    x = rng.random((48, 6), dtype=np.float32)
    y = rng.integers(0, 3, 48)
    model = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"),
                              layers.Dropout(0.3), layers.BatchNormalization(),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    callbacks = [keras.callbacks.BackupAndRestore(backup_dir)]
    if "EMBER_KILL_AT_EPOCH" in os.environ:
        callbacks.append(KillDuringEpoch(int(os.environ["EMBER_KILL_AT_EPOCH"])))
    if "EMBER_KILL_IN_BACKUP" in os.environ:
        kill_inside_backup(int(os.environ["EMBER_KILL_IN_BACKUP"]))
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=callbacks)
    np.save(out, np.concatenate([w.ravel().astype(np.float64) for w in model.get_weights()]
                                + [v.data.ravel().astype(np.float64)
                                   for v in model.optimizer.variables]))
    print("epochs run:", len(history.history["loss"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
