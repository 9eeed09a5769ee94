"""CPU time per op class (forward and backward) over a workload's training steps.

Every ``Function`` subclass's ``forward``/``backward`` is wrapped to add up the main thread's CPU
time, so the table shows where a step goes op by op; the rest of the step (layers, optimizer,
metrics, the engine's bookkeeping) is the remainder. Run with OPENBLAS_NUM_THREADS=1 so BLAS
work is counted on this thread, or pass ``--wall`` for wall-clock time with BLAS on all its
threads (only meaningful on a quiet machine).

    OPENBLAS_NUM_THREADS=1 python benchmarks/profiling/op_times.py gpt [--steps 10]
    OPENBLAS_NUM_THREADS=1 python benchmarks/profiling/op_times.py cnn
"""

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ember.autograd.function import Function  # noqa: E402


def all_functions():
    import ember.keras  # noqa: F401  (its layers define Function subclasses too)

    seen, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return seen


def instrument(totals, clock):
    def wrap(cls, name):
        original = cls.__dict__[name]

        def timed(self, *args, **kwargs):
            start = clock()
            try:
                return original(self, *args, **kwargs)
            finally:
                totals[(cls.__name__, name)] += clock() - start

        setattr(cls, name, timed)

    for cls in all_functions():
        for name in ("forward", "backward"):
            if name in cls.__dict__:
                wrap(cls, name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=("gpt", "cnn", "iris"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--wall", action="store_true",
                        help="wall-clock time instead of this thread's CPU time (multi-threaded "
                             "BLAS; only meaningful on a quiet machine)")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.thread_time
    import cpu_profile

    totals = defaultdict(float)
    step = cpu_profile.make(args.workload, args.batch)
    instrument(totals, clock)
    for _ in range(3):
        step()
    totals.clear()
    start = clock()
    for _ in range(args.steps):
        step()
    whole = (clock() - start) / args.steps * 1e3
    rows = sorted(totals.items(), key=lambda kv: -kv[1])
    kind = "wall" if args.wall else "CPU"
    print(f"step {kind} time {whole:.2f} ms (mean of {args.steps}); per op class, ms per step:")
    counted = 0.0
    for (cls, name), seconds in rows:
        ms = seconds / args.steps * 1e3
        counted += ms
        if ms >= 0.05 or (ms >= 0.001 and whole < 5):
            print(f"  {cls + '.' + name:<40}{ms:>8.2f}")
    print(f"  {'(everything else)':<40}{whole - counted:>8.2f}")


if __name__ == "__main__":
    main()
