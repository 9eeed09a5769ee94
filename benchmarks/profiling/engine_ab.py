"""The engine's own cost on tiny arrays: a 30-op graph (chain, reuse and a diamond) built and
differentiated, per op, in microseconds of CPU time (min / median of ``--repeat`` timings).

    python benchmarks/profiling/engine_ab.py [--repeat 15] [--number 300]

Run it from two checkouts (PYTHONPATH=...) to compare engines.
"""

import argparse
import time

import numpy as np

import ember

OPS = 30


def graph(a, b):
    h = a
    for _ in range(OPS // 3):
        h = h * b + a  # reuse: a and b feed every step
        h = ember.relu(h)
    return h.sum()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=300)
    args = parser.parse_args(argv)
    a = ember.tensor(np.ones((2, 2), np.float32), requires_grad=True)
    b = ember.tensor(np.full((2, 2), 0.5, np.float32), requires_grad=True)
    fwd, both = [], []
    for _ in range(args.repeat):
        start = time.thread_time()
        for _ in range(args.number):
            graph(a, b)
        fwd.append(time.thread_time() - start)
        start = time.thread_time()
        for _ in range(args.number):
            graph(a, b).backward()
        both.append(time.thread_time() - start)
    scale = 1e6 / args.number / (OPS + 1)
    fwd, both = np.array(fwd) * scale, np.array(both) * scale
    bwd = both - fwd
    print(f"per op (us): forward {fwd.min():.2f} / {np.median(fwd):.2f}, "
          f"backward {bwd.min():.2f} / {np.median(bwd):.2f}  (min / median)")


if __name__ == "__main__":
    main()
