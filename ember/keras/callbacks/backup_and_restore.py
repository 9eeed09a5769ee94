"""``BackupAndRestore``: resume an interrupted ``fit`` where it stopped (Keras 3's callback).

At the end of every epoch (or every ``save_freq`` batches) the weights, the optimizer state, the
number of completed epochs and the state of every random generator (ember's, NumPy's, Python's,
and seeded layers' own) are written to ``backup_dir/latest.weights.h5`` in one atomic replace,
plus Keras' ``training_metadata.json``. Restarting the same script restores them in
``on_train_begin`` and ``fit`` continues from the first epoch not completed, so a run killed at
any moment ends with the same weights as one never interrupted.
"""

import json
import os
import random

import numpy as np

from ... import backend
from .callback import Callback

_WEIGHTS = "latest.weights.h5"
_METADATA = "training_metadata.json"
_ATTRIBUTE = "ember_training_metadata"


class BackupAndRestore(Callback):
    """Back up the training state each epoch and restore it when ``fit`` restarts.

    >>> from ember import keras
    >>> backup = keras.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
    >>> # model.fit(x, y, epochs=10, callbacks=[backup])  # rerun after a crash: it resumes

    Args:
        backup_dir: folder for the backup files (used by this callback only).
        save_freq: ``"epoch"``, or an integer: back up every ``save_freq`` batches.
        double_checkpoint: keep the previous backup too (``*.bkp``), used when the latest
            cannot be read.
        delete_checkpoint: remove the backup files once ``fit`` completes.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError("Invalid value for argument `save_freq`. Received: save_freq="
                             f"{save_freq!r}. Expected either 'epoch' or a positive integer.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, _WEIGHTS)
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    # ----- restore ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        if not os.path.exists(self._weights_path):
            return
        try:
            self._restore(self._weights_path)
        except ValueError:
            if not (self.double_checkpoint and os.path.exists(self._prev_weights_path)):
                raise
            self._restore(self._prev_weights_path)

    def _restore(self, path):
        from ..saving.api import _open_weights
        from ..saving.weights_h5 import model_entries, read_entries

        model = self.model
        if not model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model {model.name!r} is unbuilt. You can "
                             "build it beforehand by calling it on a batch of data.")
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and not getattr(optimizer, "built", True):
            optimizer.build(model.trainable_weights)  # so its state can be restored
        where = f"BackupAndRestore: '{path}'"
        with open(path, "rb") as f:
            h5 = _open_weights(f.read(), where)
        try:
            read_entries(h5, model_entries(model), where)
            raw = h5.attrs.get(_ATTRIBUTE)
        finally:
            h5.close()
        if raw is None:
            metadata = self._read_keras_metadata()
        else:
            metadata = json.loads(raw if isinstance(raw, str) else bytes(raw).decode())
        epoch = int(metadata.get("epoch", 0))
        model._initial_epoch = epoch
        self._current_epoch = epoch
        _set_random_states(model, metadata.get("random_states"))

    def _read_keras_metadata(self):
        if not os.path.exists(self._metadata_path):
            return {}
        with open(self._metadata_path) as f:
            return json.loads(f.read())

    # ----- back up ---------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        if batch <= self._last_batch_seen:  # a new epoch
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def _save(self):
        from ... import distributed

        if not distributed.is_primary():  # every rank reads the backup; only rank 0 writes it
            return
        from ..saving.api import _h5py
        from ..saving.atomic import atomic_path, atomic_write_bytes
        from ..saving.weights_h5 import model_entries, write_entries

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            with open(self._weights_path, "rb") as f:
                atomic_write_bytes(self._prev_weights_path, f.read())
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        stamped = dict(metadata, random_states=_random_states(self.model))
        entries = model_entries(self.model)
        with atomic_path(self._weights_path) as tmp:
            with _h5py().File(tmp, "w") as h5:
                write_entries(h5, entries)
                h5.attrs[_ATTRIBUTE] = json.dumps(stamped)
        atomic_write_bytes(self._metadata_path, json.dumps(metadata).encode())

    def on_train_end(self, logs=None):
        epochs = (self.params or {}).get("epochs")
        finished = getattr(self.model, "stop_training", False) or (
            epochs is not None and self._current_epoch >= epochs)
        from ... import distributed

        if self.delete_checkpoint and finished and distributed.is_primary():
            # an exception mid-fit keeps the backup; only rank 0 owns the files
            for path in (self._weights_path, self._metadata_path, self._prev_weights_path):
                if os.path.exists(path):
                    os.remove(path)
            try:
                os.rmdir(self.backup_dir)
            except OSError:  # not empty (other files) or already gone: leave it
                pass


# ----- random generator states (JSON, never pickle) ------------------------------------------
def _layer_generators(model):
    found = {}
    for index, layer in enumerate(model._flatten_layers()):
        for attribute, value in vars(layer).items():
            if isinstance(value, np.random.Generator):
                found[f"{index}:{layer.name}:{attribute}"] = value
    return found


def _random_states(model):
    legacy = np.random.get_state()
    return {
        "ember": backend.rng().bit_generator.state,
        "layers": {key: gen.bit_generator.state for key, gen in _layer_generators(model).items()},
        "numpy": [legacy[0], legacy[1].tolist(), *legacy[2:]],
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
    }


def _set_random_states(model, states):
    if not states:
        return
    backend.rng().bit_generator.state = states["ember"]
    generators = _layer_generators(model)
    for key, state in states.get("layers", {}).items():
        if key in generators:
            generators[key].bit_generator.state = state
    numpy_state = states.get("numpy")
    if numpy_state:
        np.random.set_state((numpy_state[0], np.asarray(numpy_state[1], np.uint32),
                             *numpy_state[2:]))
    python_state = states.get("python")
    if python_state:
        random.setstate((python_state[0], tuple(python_state[1]), python_state[2]))


__all__ = ["BackupAndRestore"]
