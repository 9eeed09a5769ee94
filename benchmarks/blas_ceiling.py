"""The BLAS ceiling: how fast NumPy's float32 matmul runs on this machine, and how long the matrix
products of each workload's training step take by themselves (the "GEMM floor").

Run: python benchmarks/blas_ceiling.py [--sizes 512 1024 2048] [--workloads seed_iris ...]
It prints one JSON line: ``gflops`` (the best square-matmul rate, the ceiling the runner divides
by), ``by_size``, which BLAS NumPy loaded (threadpoolctl), and per workload the time of its step's
GEMMs at their real shapes (forward, input gradient and weight gradient of each product).

Unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for this command (benchmarks/run.py does) or the
ceiling comes out lower than a current NumPy reaches. It imports ember first, so the ceiling is
that of the OpenBLAS kernels ember runs (see ember/_openblas.py).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import ember  # noqa: F401  (ember may switch OpenBLAS's kernels: measure the ones it trains with)

sys.path.insert(0, str(Path(__file__).resolve().parent / "workloads"))
from bench_common import blas_info, gemm_flops  # noqa: E402

WORKLOADS = ("seed_iris", "mnist_mlp", "mnist_cnn", "char_gpt")


def best_seconds(fn, repeats, min_time=0.05):
    """The fastest of ``repeats`` timings of ``fn`` (each timing loops until ``min_time``).

    Many short timings and their minimum: on a shared machine a descheduled BLAS thread makes
    the other one spin, so a rate is only believable from a quiet slice of time."""
    fn()  # warm up: first-touch pages, thread pool start
    best = float("inf")
    for _ in range(repeats):
        loops, start = 0, time.perf_counter()
        while True:
            fn()
            loops += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / loops)
    return best


def square_gflops(size, repeats):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty((size, size), np.float32)
    seconds = best_seconds(lambda: np.matmul(a, b, out=out), repeats)
    return 2 * size ** 3 / seconds / 1e9


def step_gemms(gemms):
    """A closure running a training step's products: for each forward ``(m, k, n, count)``,
    ``X @ W``, ``dY @ W^T`` and ``X^T @ dY`` (batched over ``count`` when it is more than one)."""
    rng = np.random.default_rng(0)
    work = []
    for m, k, n, count in gemms:
        lead = (count,) if count > 1 else ()
        x = rng.standard_normal(lead + (m, k), dtype=np.float32)
        w = rng.standard_normal(lead + (k, n), dtype=np.float32)
        dy = rng.standard_normal(lead + (m, n), dtype=np.float32)
        work.append((x, w, dy, np.swapaxes(w, -1, -2), np.swapaxes(x, -1, -2)))

    def run():
        for x, w, dy, w_t, x_t in work:
            np.matmul(x, w)
            np.matmul(dy, w_t)
            np.matmul(x_t, dy)

    return run


def workload_floor(name, repeats):
    """``{"gemm_floor_ms", "gemm_gflops", "batch"}`` for one workload's full-size batch."""
    module = __import__(name)
    batch = module.DEFAULTS["batch_size"]
    gemms = module.forward_gemms(batch)
    seconds = best_seconds(step_gemms(gemms), repeats)
    return {"batch": batch, "gemm_floor_ms": 1000 * seconds,
            "gemm_gflops": 3 * gemm_flops(gemms) / seconds / 1e9}


def measure(sizes=(512, 1024, 2048), workloads=WORKLOADS, repeats=7):
    by_size = {str(size): square_gflops(size, repeats) for size in sizes}
    return {
        "numpy": np.__version__,
        "gflops": max(by_size.values()),
        "by_size": by_size,
        "blas": blas_info(),
        "workloads": {name: workload_floor(name, repeats) for name in workloads},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.sizes, args.workloads, args.repeats)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
