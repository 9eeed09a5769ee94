"""Kernel-level profile of one mnist_cnn training step (batch 128), op by op.

The model is composed from ember's ops directly (conv2d, relu, max_pool2d, dense,
sparse_categorical_crossentropy); each op's forward and backward are timed on their own at the
shapes of the real step, then the whole step (forward + backward) is timed end to end.

    python benchmarks/profiling/cnn_step.py [--repeat 15] [--batch 128]

Figures are min / median over ``--repeat`` runs in ms (the machine is shared: trust the min).
"""

import argparse
import time

import numpy as np
from timing import per_call_ms

import ember


def timings(fn, repeat):
    out = per_call_ms(fn, repeat, warmup=1)
    return min(out), float(np.median(out))


def leaf(rng, *shape, scale=0.1):
    return ember.tensor((rng.standard_normal(shape) * scale).astype(np.float32),
                        requires_grad=True)


def model(rng, batch):
    params = {
        "k1": leaf(rng, 3, 3, 1, 32), "b1": leaf(rng, 32),
        "k2": leaf(rng, 3, 3, 32, 64), "b2": leaf(rng, 64),
        "w": leaf(rng, 1600, 10, scale=0.02), "b": leaf(rng, 10),
    }
    x = ember.tensor(rng.random((batch, 28, 28, 1), np.float32))
    labels = rng.integers(0, 10, batch)

    def step():
        p = params
        h = ember.conv2d(x, p["k1"], p["b1"], activation="relu")  # as Conv2D(activation="relu")
        h = ember.max_pool2d(h, 2)
        h = ember.conv2d(h, p["k2"], p["b2"], activation="relu")
        h = ember.max_pool2d(h, 2)
        h = ember.reshape(h, (batch, -1))
        h = ember.dropout(h, 0.5)
        logits = ember.dense(h, p["w"], p["b"])
        loss = ember.mean(ember.sparse_categorical_crossentropy(labels, logits))
        loss.backward()
        for t in params.values():
            t.grad = None
        return loss

    return step


def op_cases(rng, batch):
    """(name, forward thunk) at the shapes of the step; every input requires grad."""
    x1 = ember.tensor(rng.random((batch, 28, 28, 1), np.float32))
    k1, b1 = leaf(rng, 3, 3, 1, 32), leaf(rng, 32)
    a1 = leaf(rng, batch, 26, 26, 32)
    x2 = leaf(rng, batch, 13, 13, 32)
    k2, b2 = leaf(rng, 3, 3, 32, 64), leaf(rng, 64)
    a2 = leaf(rng, batch, 11, 11, 64)
    h = leaf(rng, batch, 1600)
    w, b = leaf(rng, 1600, 10), leaf(rng, 10)
    return [
        ("conv1+relu (28x28x1->32)", lambda: ember.conv2d(x1, k1, b1, activation="relu")),
        ("maxpool (26x26x32)", lambda: ember.max_pool2d(a1, 2)),
        ("conv2+relu (13x13x32->64)", lambda: ember.conv2d(x2, k2, b2, activation="relu")),
        ("maxpool (11x11x64)", lambda: ember.max_pool2d(a2, 2)),
        ("dropout (1600)", lambda: ember.dropout(h, 0.5)),
        ("dense 1600->10", lambda: ember.dense(h, w, b)),
    ]


def backward_timings(forward, repeat):
    """min / median ms of ``backward`` alone on fresh forward results."""
    seed = np.ones(forward().shape, np.float32)
    outs = []
    for _ in range(repeat + 1):
        out = forward()
        start = time.perf_counter()
        out.backward(seed)
        outs.append((time.perf_counter() - start) * 1e3)
    return min(outs[1:]), float(np.median(outs[1:]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"{'op':<26}{'fwd min':>10}{'fwd med':>10}{'bwd min':>10}{'bwd med':>10}")
    total = 0.0
    for name, forward in op_cases(rng, args.batch):
        fwd = timings(forward, args.repeat)
        bwd = backward_timings(forward, args.repeat)
        total += fwd[0] + bwd[0]
        print(f"{name:<26}{fwd[0]:>10.2f}{fwd[1]:>10.2f}{bwd[0]:>10.2f}{bwd[1]:>10.2f}")
    print(f"{'sum of op minima':<26}{total:>10.2f}")
    step = timings(model(rng, args.batch), args.repeat)
    print(f"{'whole step fwd+bwd':<26}{step[0]:>10.2f}{step[1]:>10.2f}   (ms, min / median)")


if __name__ == "__main__":
    main()
