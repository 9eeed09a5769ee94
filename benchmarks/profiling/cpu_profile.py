"""cProfile a workload's step on CPU time of the main thread, so other processes on this shared
machine do not inflate the figures (run it with OPENBLAS_NUM_THREADS=1 so BLAS runs on the
main thread and is counted whole).

    OPENBLAS_NUM_THREADS=1 python benchmarks/profiling/cpu_profile.py gpt [--steps 5] [--top 30]
    OPENBLAS_NUM_THREADS=1 python benchmarks/profiling/cpu_profile.py cnn
    OPENBLAS_NUM_THREADS=1 python benchmarks/profiling/cpu_profile.py iris

It prints the step's CPU time (min / median over ``--steps``), then the profile sorted by own
time, and the share of the step spent in BLAS calls (matmul/dot/einsum functions below).
"""

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import per_call_ms  # noqa: E402


def make(workload, batch):
    if workload == "gpt":
        import gpt_step

        return gpt_step.make_step(batch or 12)
    if workload == "cnn":
        import cnn_step
        import numpy as np

        return cnn_step.model(np.random.default_rng(0), batch or 128)
    import iris_step

    return iris_step.make_step(batch or 32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=("gpt", "cnn", "iris"))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--batch", type=int, default=None)
    args = parser.parse_args(argv)
    step = make(args.workload, args.batch)
    times = sorted(per_call_ms(step, args.steps, clock=time.thread_time, warmup=3))
    print(f"step CPU time: min {times[0]:.2f} ms, median {times[len(times) // 2]:.2f} ms")
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(args.steps):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
