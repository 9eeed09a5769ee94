"""Wall and CPU time of each shard of ember's sharded training step (mnist_cnn or char_gpt).

A shard's CPU time is what its forward and backward cost; wall time above it is time its
thread spent waiting (for the GIL after a NumPy call, or for a core). Also times two threads
doing NumPy calls alone, to show the GIL hand-off cost of this machine at this moment.
The step's time outside the shards plus its slower shard's CPU time is what the step would take
if no shard ever waited (for the GIL or a core): a lower bound for this design on this machine.

    python benchmarks/profiling/shard_times.py cnn [--steps 40]
    python benchmarks/profiling/shard_times.py gpt
"""

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workloads"))


def model_and_batch(workload):
    import ember
    from ember import keras

    ember.set_random_seed(0)
    rng = np.random.default_rng(0)
    if workload == "cnn":
        import mnist_cnn

        model = mnist_cnn.build_keras(keras)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model, rng.random((128, 28, 28, 1), np.float32), rng.integers(0, 10, 128)
    from ember.recipes import build_char_gpt

    model = build_char_gpt(65)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=0.1, global_clipnorm=1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = rng.integers(0, 65, (12, 64)).astype(np.int32)
    return model, x, np.roll(x, -1, axis=1)


# issue 8's targets, and a step's time in the target's unit (mnist_cnn: 63 steps an epoch)
TARGETS = {"cnn": ("1.20 s/epoch", lambda ms: f"{ms * 63 / 1000:.2f} s/epoch"),
           "gpt": ("36 ms/iter", lambda ms: f"{ms:.1f} ms/iter")}


def shard_times(workload, steps):
    model, x, y = model_and_batch(workload)
    for _ in range(3):
        model.train_on_batch(x, y)
    plan = model._shard_plan
    if not plan or plan.bounds(x) is None:
        print("this step is not sharded (ember.get_num_threads() == 1?)")
        return
    records, original = [], plan._pass

    def timed(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        result = original(*args, **kwargs)
        records.append((threading.current_thread() is threading.main_thread(),
                        (time.perf_counter() - wall) * 1e3, (time.thread_time() - cpu) * 1e3))
        return result

    plan._pass = timed
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    step = (time.perf_counter() - start) / steps * 1e3
    print(f"{workload}: step {step:.1f} ms (mean of {steps})")
    medians = []
    for name, main in (("caller's shard", True), ("worker's shard", False)):
        walls = [w for is_main, w, _ in records if is_main == main]
        cpus = [c for is_main, _, c in records if is_main == main]
        medians.append((np.median(walls), np.median(cpus)))
        print(f"  {name}: wall {medians[-1][0]:.1f} ms, CPU {medians[-1][1]:.1f} ms (medians)")
    outside = step - max(wall for wall, _ in medians)
    bound = max(cpu for _, cpu in medians) + outside
    target, unit = TARGETS[workload]
    print(f"  outside the shards (optimizer, gradient sum, metrics): {outside:.1f} ms; the step "
          f"if no shard ever waited: {bound:.1f} ms ({unit(bound)}; target {target})")


def gil_handoffs(calls=400):
    """Two threads each making ``calls`` NumPy calls of ~30 us: wall vs CPU time per thread."""
    a = np.random.default_rng(0).random((64, 13, 13, 32), np.float32)

    def work(out):
        b = np.empty_like(a)
        wall, cpu = time.perf_counter(), time.thread_time()
        for _ in range(calls):
            np.multiply(a, 1.0001, out=b)
        out.append(((time.perf_counter() - wall) * 1e3, (time.thread_time() - cpu) * 1e3))

    alone = []
    work(alone)
    both = []
    other = threading.Thread(target=work, args=(both,))
    other.start()
    work(both)
    other.join()
    print(f"GIL hand-offs: {calls} NumPy calls take {alone[0][0]:.1f} ms alone; with a second "
          f"thread doing the same, wall " + " / ".join(f"{w:.1f}" for w, _ in both)
          + " ms for CPU " + " / ".join(f"{c:.1f}" for _, c in both) + " ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=("cnn", "gpt"))
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args(argv)
    shard_times(args.workload, args.steps)
    gil_handoffs()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
