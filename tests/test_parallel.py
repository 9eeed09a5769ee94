"""ember.parallel: the thread pool, its size and its BLAS setting; and the per-thread state the
pool relies on (grad mode, the layers' call context, the random generator)."""

import threading

import numpy as np
import pytest

import ember
from ember import _openblas, backend, parallel
from ember.keras.layers.context import call_context


@pytest.fixture
def two_threads():
    if parallel.set_num_threads(2) != 2:
        parallel.set_num_threads(1)
        pytest.skip("this NumPy's BLAS has no per-thread thread count: ember runs no pool")
    yield
    parallel.set_num_threads(1)


def test_split_covers_the_range_evenly():
    assert parallel.split(10, 2) == [(0, 5), (5, 10)]
    assert parallel.split(7, 3) == [(0, 2), (2, 4), (4, 7)]
    assert parallel.split(1, 4) == [(0, 1)]


def test_run_uses_a_second_thread_and_waits_for_it(two_threads):
    seen = []
    parallel.run([lambda: seen.append(threading.get_ident()),
                  lambda: seen.append(threading.get_ident())])
    assert len(seen) == 2 and len(set(seen)) == 2
    assert threading.get_ident() in seen


def test_run_reraises_a_worker_error_after_all_tasks_finish(two_threads):
    done = []

    def fails():
        raise KeyError("from the worker")

    with pytest.raises(KeyError, match="from the worker"):
        parallel.run([lambda: done.append(1), fails])
    assert done == [1]
    parallel.run([lambda: done.append(2), lambda: done.append(3)])  # the pool still works
    assert sorted(done) == [1, 2, 3]


def test_nested_runs_run_in_order_on_one_thread(two_threads):
    order = []

    def outer():
        parallel.run([lambda: order.append("a"), lambda: order.append("b")])

    parallel.run([outer, lambda: None])
    assert order == ["a", "b"]


def test_blas_is_single_threaded_inside_the_block_and_restored_after(two_threads):
    setter = _openblas.thread_setter()
    before = setter(3)  # set a recognizable value, remembering the original
    try:
        with parallel.single_threaded_blas():
            assert setter(1) == 1
        assert setter(3) == 3
    finally:
        setter(before)


def test_set_num_threads_rejects_non_positive_counts():
    with pytest.raises(ValueError, match=r"set_num_threads: expected a positive int. "
                                         r"Received: n=0"):
        ember.set_num_threads(0)


@pytest.mark.parametrize("environ, expected", [
    ({"EMBER_NUM_THREADS": "3"}, 3),
    ({"OMP_NUM_THREADS": "1"}, 1),
    ({"OPENBLAS_NUM_THREADS": "1"}, 1),
    ({"MPI_LOCALNRANKS": "64"}, 1),
])
def test_default_thread_count(environ, expected):
    assert parallel._default_threads(environ) == expected


def test_bad_ember_num_threads_is_named():
    with pytest.raises(ValueError, match=r"EMBER_NUM_THREADS must be a positive integer. "
                                         r"Received: EMBER_NUM_THREADS='two'"):
        parallel._default_threads({"EMBER_NUM_THREADS": "two"})


def in_thread(function):
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_grad_mode_and_call_context_are_per_thread():
    with ember.no_grad():
        call_context.training = True
        try:
            assert in_thread(ember.is_grad_enabled) is True
            assert in_thread(lambda: call_context.training) is None
        finally:
            call_context.training = None
        assert ember.is_grad_enabled() is False


def test_using_generator_applies_to_this_thread_only():
    own = np.random.default_rng(5)
    with backend.using_generator(own):
        assert backend.rng() is own
        assert in_thread(backend.rng) is not own
    assert backend.rng() is not own


def test_an_interrupted_wait_retires_the_pool(two_threads, monkeypatch):
    """Ctrl-C while a worker still runs its task: that worker must never be handed more work
    (its finish signal would answer the next wait early); the next run starts new workers."""
    interrupt = []
    original = parallel._Worker.wait

    def interrupted(self):
        result = original(self)
        if interrupt:  # the task has ended; act as if Ctrl-C came during the wait
            interrupt.clear()
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(parallel._Worker, "wait", interrupted)
    parallel.run([lambda: None, lambda: None])  # builds the pool
    old_pool = parallel._state["pool"]
    interrupt.append(True)
    with pytest.raises(KeyboardInterrupt):
        parallel.run([lambda: None, lambda: None])
    assert parallel._state["pool"] is None
    done = []
    parallel.run([lambda: done.append(1), lambda: done.append(2)])
    assert sorted(done) == [1, 2] and parallel._state["pool"] is not old_pool
