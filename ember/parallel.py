"""ember's thread pool: one worker thread per extra core, and the BLAS setting it needs.

NumPy releases the GIL inside its ufuncs and BLAS calls, so Python threads that each work on
their own arrays run truly in parallel. ember uses this coarsely: ``fit`` trains each large
batch as one shard per thread (``ember/keras/models/sharded_step.py``), so every op of the step,
not only the matrix products, runs on all cores, and then splits the optimizer's elementwise
update over the threads: three hand-offs per step. Finer splits (one per op) do not pay on the
machines this was measured on: waking a sleeping thread takes 60-100 us there, as long as a
mid-size op.

BLAS threads are the catch. After each multi-threaded product, OpenBLAS keeps its worker
threads spinning for a long while (about 0.1 s) waiting for more work: they occupy the other
cores. So while ember's threads run, their BLAS calls are single-threaded
(``openblas_set_num_threads_local(1)``, on the calling thread only). When the OpenBLAS of the
running NumPy has no per-thread setting (an older OpenBLAS, MKL, Accelerate), ember runs no
pool and leaves BLAS threading as it is.

The pool size is ``EMBER_NUM_THREADS`` if set, else the CPUs this process may run on, capped by
``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` when set, and divided among the MPI ranks that
share the machine. ``set_num_threads(n)`` changes it; 1 turns it off. Work is split in the same
way for a given thread count, so results are bitwise reproducible for that count.

>>> import ember
>>> ember.get_num_threads() >= 1
True
"""

import contextlib
import os
import threading

import numpy as np

from . import _openblas

__all__ = ["get_num_threads", "run", "set_num_threads", "single_threaded_blas", "split"]

_state = {"threads": None, "pool": None}
_pool_lock = threading.Lock()


# ----- BLAS threads --------------------------------------------------------------------------


@contextlib.contextmanager
def single_threaded_blas():
    """BLAS calls made by this thread inside the block use one thread (no-op without a pool)."""
    setter = _openblas.thread_setter() if get_num_threads() > 1 else None
    if not setter:
        yield
        return
    previous = setter(1)
    try:
        yield
    finally:
        setter(previous)


# ----- the pool ------------------------------------------------------------------------------


def _default_threads(environ):
    value = environ.get("EMBER_NUM_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError("EMBER_NUM_THREADS must be a positive integer. Received: "
                             f"EMBER_NUM_THREADS={value!r}")
        return int(value)
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        cap = environ.get(name, "").strip()
        if cap.isdigit() and int(cap) > 0:
            count = min(count, int(cap))
    ranks = environ.get("MPI_LOCALNRANKS") or environ.get("OMPI_COMM_WORLD_LOCAL_SIZE") or "1"
    if ranks.isdigit() and int(ranks) > 1:
        count = max(1, count // int(ranks))
    return count


def get_num_threads():
    """The number of threads ember's kernels use (1 when the pool is off)."""
    if _state["threads"] is None:
        wanted = _default_threads(os.environ)
        _state["threads"] = wanted if wanted > 1 and _openblas.thread_setter() else 1
    return _state["threads"]


def set_num_threads(n):
    """Use ``n`` threads in ember's kernels (1: no pool); as ``torch.set_num_threads``.

    Returns the number actually used: 1 when this NumPy's BLAS cannot be told to stay on one
    thread per caller (ember then leaves BLAS threading alone).
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int. Received: n={n!r}")
    with _pool_lock:  # not while a run is using the pool (which grows on demand: _workers)
        _state["threads"] = int(n) if n > 1 and _openblas.thread_setter() else 1
    return _state["threads"]


class _Worker:
    """A daemon thread that runs one task at a time, handed over through two locks."""

    def __init__(self):
        self.start, self.finish = threading.Lock(), threading.Lock()
        self.start.acquire()
        self.finish.acquire()
        self.task = self.error = None
        threading.Thread(target=self._loop, name="ember-worker", daemon=True).start()

    def _loop(self):
        setter = _openblas.thread_setter()
        if setter:
            setter(1)
        while True:
            self.start.acquire()
            try:
                self.task()
            except BaseException as error:  # re-raised in the caller's thread
                self.error = error
            self.task = None
            self.finish.release()

    def submit(self, task):
        self.task, self.error = task, None
        self.start.release()

    def wait(self):
        self.finish.acquire()
        error, self.error = self.error, None
        return error


def _workers(count):
    pool = _state["pool"]
    if pool is None or len(pool) < count:
        pool = (pool or []) + [_Worker() for _ in range(count - len(pool or []))]
        _state["pool"] = pool
    return pool[:count]


def _forget_pool_after_fork():
    _state["pool"] = None  # the child has none of the parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run(tasks):
    """Run the callables in ``tasks`` at once, the first on this thread; return when all are
    done, re-raising the first error. Nested calls, and calls while another thread uses the
    pool, run the tasks one after the other."""
    if len(tasks) == 1 or not _pool_lock.acquire(blocking=False):
        for task in tasks:
            task()
        return
    try:
        workers = _workers(len(tasks) - 1)
        for worker, task in zip(workers, tasks[1:]):
            worker.submit(task)
        error = None
        try:
            with single_threaded_blas():
                tasks[0]()
        except BaseException as own:
            error = own
        try:
            for worker in workers:
                failure = worker.wait()
                error = error or failure
        except BaseException:  # interrupted while a worker still runs: never hand it more work
            _state["pool"] = None
            raise
    finally:
        _pool_lock.release()
    if error is not None:
        raise error


def split(n, parts):
    """``parts`` contiguous (start, stop) ranges covering ``range(n)``, as even as possible
    (fewer when ``n < parts``)."""
    parts = max(1, min(parts, n))
    bounds = [n * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))
