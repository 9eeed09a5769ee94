"""The timing loop the profiling scripts share."""

import time


def per_call_ms(fn, repeat, number=1, clock=time.perf_counter, warmup=0):
    """``repeat`` timings of ``number`` back-to-back calls of ``fn``, each as milliseconds per
    call on ``clock`` (``time.thread_time`` for this thread's CPU time), after ``warmup``
    untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = clock()
        for _ in range(number):
            fn()
        times.append((clock() - start) / number * 1e3)
    return times
