"""Run by tests/test_distributed.py under `mpiexec -n 2`: a callback on rank 1 alone stops
training after batch 3 (as TerminateOnNaN does when only that rank's shard gives a NaN loss).
Every rank must leave the loop at the same step instead of waiting for the others forever."""

import json
import sys
from pathlib import Path

import numpy as np

import ember
from ember import distributed

keras = ember.keras


class StopOnRankOne(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if distributed.rank() == 1 and batch == 3:
            self.model.stop_training = True


ember.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
history = model.fit(x, x[:, :1], batch_size=8, epochs=3, verbose=0, callbacks=[StopOnRankOne()])
(Path(sys.argv[1]) / f"rank{distributed.rank()}.json").write_text(json.dumps({
    "iterations": int(model.optimizer.iterations.data), "epochs": len(history.epoch)}))
