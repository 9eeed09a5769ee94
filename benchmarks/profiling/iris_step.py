"""Time seed_iris's training step (Dense 4-10-8-3, Adam, batch 32) through ``fit``'s own
``train_step`` path, and the engine's share of it.

    python benchmarks/profiling/iris_step.py [--steps 2000] [--repeat 7]

Prints the step time (min / median of ``--repeat`` means over ``--steps`` steps, in ms).
"""

import argparse

import numpy as np
from timing import per_call_ms

import ember
from ember import keras


def make_step(batch=32):
    ember.set_random_seed(0)
    model = keras.Sequential([
        keras.layers.Dense(10, input_shape=(4,), activation="relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 4)).astype(np.float32)
    y = rng.integers(0, 3, batch)
    return lambda: model.train_on_batch(x, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    means = per_call_ms(make_step(), args.repeat, args.steps, warmup=50)
    print(f"train_on_batch step: min {min(means):.4f} ms, median {np.median(means):.4f} ms")


if __name__ == "__main__":
    main()
