"""Per-op overhead of the engine: tiny (2x2) ops, where Python bookkeeping is all there is.

For each op it times the bare NumPy computation, ember's forward under ``no_grad``, the forward
that records the graph, and forward + backward, and prints microseconds per call (the best of
several repeats, so noise from other processes counts as little as possible).

    python benchmarks/op_overhead.py [--number 20000] [--repeat 7]
"""

import argparse
import timeit

import numpy as np

import ember


def cases():
    """(name, numpy forward, ember forward, ember output's backward seed) for each op."""
    a_np = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    b_np = np.array([[0.5, 1.0], [-1.0, 2.0]], np.float32)
    bias_np = np.array([0.1, -0.2], np.float32)
    a = ember.tensor(a_np, requires_grad=True)
    b = ember.tensor(b_np, requires_grad=True)
    bias = ember.tensor(bias_np, requires_grad=True)
    ones = np.ones((2, 2), np.float32)
    return [
        ("a + b", lambda: a_np + b_np, lambda: a + b, ones),
        ("a * b", lambda: a_np * b_np, lambda: a * b, ones),
        ("matmul", lambda: a_np @ b_np, lambda: a @ b, ones),
        ("dense (relu)", lambda: np.maximum(a_np @ b_np + bias_np, 0),
         lambda: ember.dense(a, b, bias, "relu"), ones),
        ("relu", lambda: np.maximum(a_np, 0), lambda: ember.relu(a), ones),
        ("sum", lambda: a_np.sum(), lambda: a.sum(), None),
    ]


def best(stmt, number, repeat):
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number * 1e6


def measure(number=20000, repeat=7):
    rows = []
    for name, np_fn, ember_fn, seed in cases():

        def no_graph(fn=ember_fn):
            with ember.no_grad():
                fn()

        def forward_backward(fn=ember_fn, seed=seed):
            fn().backward(seed)

        rows.append((name,
                     best(np_fn, number, repeat),
                     best(no_graph, number, repeat),
                     best(ember_fn, number, repeat),
                     best(forward_backward, number, repeat)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=7, help="timings; the best is kept")
    args = parser.parse_args(argv)
    rows = measure(args.number, args.repeat)
    header = ("op", "numpy", "no_grad fwd", "graph fwd", "fwd+bwd", "fwd+bwd overhead")
    print(f"{header[0]:<14}" + "".join(f"{h:>18}" for h in header[1:]))
    print(f"{'':<14}" + "".join(f"{'(us)':>18}" for _ in header[1:]))
    for name, bare, no_graph, graph, both in rows:
        values = (bare, no_graph, graph, both, both - bare)
        print(f"{name:<14}" + "".join(f"{v:>18.2f}" for v in values))


if __name__ == "__main__":
    main()
