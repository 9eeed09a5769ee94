"""seed_iris's step in ember's ops alone (no Keras layers, optimizer or metrics): three fused
dense ops, the fused sparse cross-entropy, the mean, and backward, on a batch of 32.

It isolates the engine and op overhead that small models pay per step. Prints microseconds of
CPU time per step (min / median of ``--repeat`` timings of ``--number`` steps).

    python benchmarks/profiling/mlp_ops_step.py [--repeat 15] [--number 2000]
"""

import argparse
import time

import numpy as np
from timing import per_call_ms

import ember


def make_step(batch=32):
    rng = np.random.default_rng(0)
    sizes = (4, 10, 8, 3)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(ember.tensor(rng.standard_normal((n_in, n_out)).astype(np.float32) * 0.5,
                                   requires_grad=True))
        params.append(ember.tensor(np.zeros(n_out, np.float32), requires_grad=True))
    x = rng.standard_normal((batch, 4)).astype(np.float32)
    y = rng.integers(0, 3, batch)

    def step():
        h = ember.dense(x, params[0], params[1], "relu")
        h = ember.dense(h, params[2], params[3], "relu")
        logits = ember.dense(h, params[4], params[5])
        loss = ember.mean(ember.sparse_categorical_crossentropy(y, logits))
        loss.backward()
        for p in params:
            p.grad = None
        return loss

    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args(argv)
    times = [ms * 1e3 for ms in per_call_ms(make_step(), args.repeat, args.number,
                                            clock=time.thread_time)]
    print(f"ops-only MLP step: min {min(times):.1f} us, median {np.median(times):.1f} us")


if __name__ == "__main__":
    main()
