"""Run by tests/test_distributed.py under `mpiexec -n 2`: a model without an Input (built by its
first call, inside fit), with BatchNormalization and Dropout, trained data-parallel. Each rank
saves its weights (BatchNorm statistics included) and a few draws from ember's generator."""

import json
import sys
from pathlib import Path

import numpy as np

import ember
from ember import distributed

keras = ember.keras
ember.set_random_seed(3 + distributed.rank())  # different seeds: rank 0's weights must win
rng = np.random.default_rng(1)
x = rng.normal(size=(90, 6)).astype("float32")
y = (x.sum(axis=1) > 0).astype("int64")
model = keras.Sequential([
    keras.layers.Dense(16, activation="relu"),
    keras.layers.BatchNormalization(),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(2),
])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, batch_size=16, epochs=2, verbose=0)
out = Path(sys.argv[1])
np.savez(out / f"weights{distributed.rank()}.npz", *[w.data for w in model.weights])
(out / f"rank{distributed.rank()}.json").write_text(json.dumps({
    "names": [w.path for w in model.weights],
    "draws": ember.backend.rng().random(4).tolist()}))
