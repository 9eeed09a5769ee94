"""Data-parallel scaling of mnist_mlp on this machine: samples per second with 1 and 2 ranks.

mnist_mlp is Keras' example: 784-512-512-10, ReLU, Dropout 0.2, Adam, batch 128, here on the
first 8,000 MNIST images (the project's training split, /work/shared/data/mnist). Every run uses
the same global batch of 128: with 2 ranks each computes 64 rows and one Allreduce averages the
gradients. The driver starts each configuration with this environment's ``mpiexec`` and prints a
Markdown table; each figure is the best epoch of ``--epochs`` (the first epoch is not counted).

    python benchmarks/mpi_scaling.py [--epochs 4] [--repeat 2] [--ranks 1 2] [--data DIR]

"Allreduce share" is the share of training time spent in the gradient Allreduce on rank 0, which
includes waiting for the slower rank; "one Allreduce alone" times the same 669,706 floats after a
barrier (the transfer and the sum only).
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "mnist"
N_TRAIN, BATCH = 8000, 128


def read_idx(path):
    """An IDX file (gzip) as a uint8 array of its stated shape."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(folder):
    images = read_idx(Path(folder) / "t10k-images-idx3-ubyte.gz")[:N_TRAIN]
    labels = read_idx(Path(folder) / "t10k-labels-idx1-ubyte.gz")[:N_TRAIN]
    return images.reshape(N_TRAIN, 784).astype("float32") / 255.0, labels.astype("int64")


def worker(args):
    """One configuration (run under mpiexec): train, then rank 0 prints one JSON line."""
    import ember
    from ember import distributed

    keras = ember.keras
    ember.set_random_seed(0)
    x, y = load(args.data)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    epochs = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.reduced = _allreduce_seconds(self.model)

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.start
            epochs.append((seconds, _allreduce_seconds(self.model) - self.reduced, logs["loss"]))

    model.fit(x, y, batch_size=BATCH, epochs=args.epochs, verbose=0, callbacks=[Timer()])
    seconds, reduced, _ = min(epochs[1:] or epochs)
    alone = allreduce_alone(sum(v.data.size for v in model.trainable_weights))
    if distributed.is_primary():
        print(json.dumps({"ranks": distributed.size(), "samples_per_s": N_TRAIN / seconds,
                          "step_ms": 1000 * seconds / -(-N_TRAIN // BATCH),
                          "allreduce_share": reduced / seconds, "allreduce_alone_ms": alone,
                          "losses": [round(loss, 4) for _, _, loss in epochs]}))


def allreduce_alone(size, repeat=30):
    """Median milliseconds of one Allreduce of the gradient buffer, every rank ready (a barrier
    first), so waiting for a slower rank does not count; 0 for one rank."""
    from ember import distributed

    if distributed.size() == 1:
        return 0.0
    from mpi4py import MPI

    comm, buffer, times = MPI.COMM_WORLD, np.ones(size, np.float32), []
    for _ in range(repeat):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def _allreduce_seconds(model):
    strategy = getattr(model, "distribute", None)
    return strategy.allreduce_seconds if strategy is not None else 0.0


def configurations(ranks):
    """(ranks, BLAS threads per rank) to measure: one rank also with a thread per core."""
    configs = []
    for n in ranks:
        configs += [(n, 1)] + ([(1, os.cpu_count())] if n == 1 and os.cpu_count() > 1 else [])
    return configs


def drive(args):
    mpiexec = Path(sys.executable).parent / "mpiexec"
    rows = []
    for ranks, threads in configurations(args.ranks):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   PYTHONPATH=str(REPO))
        command = [str(mpiexec), "-n", str(ranks), sys.executable, "-m", "mpi4py", __file__,
                   "--worker", "--epochs", str(args.epochs), "--data", args.data]
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        result = max(runs, key=lambda r: r["samples_per_s"])
        result["threads"] = threads
        rows.append(result)
        print(json.dumps(result), file=sys.stderr)
    base = rows[0]["samples_per_s"]
    print("| ranks | BLAS threads per rank | samples/s | ms per global batch of 128 | "
          "speed-up | Allreduce share of step time | one Allreduce alone |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        alone = f"{r['allreduce_alone_ms']:.1f} ms" if r["ranks"] > 1 else "-"
        print(f"| {r['ranks']} | {r['threads']} | {r['samples_per_s']:,.0f} | "
              f"{r['step_ms']:.1f} | {r['samples_per_s'] / base:.2f}x | "
              f"{100 * r['allreduce_share']:.1f}% | {alone} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2, help="runs per configuration (best)")
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    worker(args) if args.worker else drive(args)


if __name__ == "__main__":
    main()
