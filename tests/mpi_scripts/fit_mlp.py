"""An MLP trained 20 Adam steps with ``model.fit``. Run by tests/test_distributed.py twice: in
the test process (one process) and under `mpiexec -n 2` (data-parallel); both must end equal.

From arrays, the data makes every case happen: global batches of 33 split 17/16, a last batch of
1 sample (rank 1's shard is empty), shuffling, sample weights, validation batches of 7 ending
in 1. From a generator, every global batch is drawn at random from ember's generator.
"""

import json
import sys
from pathlib import Path

import numpy as np

import ember
from ember import distributed

EPOCHS, BATCH, N_TRAIN, N_VAL = 2, 33, 9 * 33 + 1, 15


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + N_VAL, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype("int64") + (x[:, 3] > 1)
    weights = rng.uniform(0.5, 1.5, N_TRAIN).astype("float32")
    return x[:N_TRAIN], y[:N_TRAIN], weights, x[N_TRAIN:], y[N_TRAIN:]


def random_batches(x, y, weights):
    """Endless global batches of random rows, drawn from ember's random generator."""
    while True:
        rows = ember.backend.rng().integers(0, len(x), BATCH)
        yield x[rows], y[rows], weights[rows]


class CountingSequential(ember.keras.Sequential):
    """Counts the rows each training step sees (this rank's shards)."""

    rows = 0

    def train_step(self, data):
        self.rows += len(data[0])
        return super().train_step(data)


def train(source="arrays"):
    """(model, history dict, evaluate dict) after EPOCHS epochs: 20 optimizer steps."""
    keras = ember.keras
    ember.set_random_seed(7)
    x, y, weights, x_val, y_val = data()
    model = CountingSequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="tanh"),
        keras.layers.Dense(3),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    if source == "arrays":
        history = model.fit(x, y, sample_weight=weights, batch_size=BATCH, epochs=EPOCHS,
                            validation_data=(x_val, y_val), validation_batch_size=7, verbose=0)
    else:
        history = model.fit(random_batches(x, y, weights), steps_per_epoch=10, epochs=EPOCHS,
                            verbose=0)
    evaluation = model.evaluate(x_val, y_val, batch_size=7, verbose=0, return_dict=True)
    return model, history.history, evaluation


if __name__ == "__main__":
    out = Path(sys.argv[1])
    rank = distributed.rank()
    for source in ("arrays", "generator"):
        model, history, evaluation = train(source)
        np.savez(out / f"{source}_weights{rank}.npz", *[w.data for w in model.weights])
        (out / f"{source}_rank{rank}.json").write_text(json.dumps({
            "size": distributed.size(),
            "history": {k: [float(v) for v in vs] for k, vs in history.items()},
            "evaluation": {k: float(v) for k, v in evaluation.items()},
            "iterations": int(model.optimizer.iterations.data),
            "rows": model.rows,
        }))
