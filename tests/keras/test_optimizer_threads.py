"""An optimizer step split over threads (as a sharded training step applies it) updates every
value exactly as one thread does: the update rules are elementwise."""

import numpy as np
import pytest

from ember import Variable, keras, parallel
from ember.keras.optimizers import _step

OPTIMIZERS = [
    lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda: keras.optimizers.RMSprop(centered=True),
    lambda: keras.optimizers.Adagrad(),
    lambda: keras.optimizers.Adadelta(),
    lambda: keras.optimizers.Adam(amsgrad=True),
    lambda: keras.optimizers.AdamW(weight_decay=0.1, global_clipnorm=1.0),
    lambda: keras.optimizers.Adamax(),
    lambda: keras.optimizers.Nadam(),
    lambda: keras.optimizers.Lion(),
]


def run(make, threads, steps=3):
    rng = np.random.default_rng(0)
    variables = [Variable(rng.standard_normal(shape).astype("float32"), name=f"v{i}")
                 for i, shape in enumerate([(300, 500), (500,), (200, 700)])]
    optimizer = make()
    optimizer.exclude_from_weight_decay(var_names=["v1"])
    optimizer._update_threads = threads
    for _ in range(steps):
        grads = [rng.standard_normal(v.shape).astype("float32") for v in variables]
        optimizer.apply(grads, variables)
    return [v.numpy() for v in variables]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=lambda m: type(m()).__name__)
def test_threaded_update_equals_one_thread(make, monkeypatch):
    if parallel.set_num_threads(2) != 2:
        parallel.set_num_threads(1)
        pytest.skip("this NumPy's BLAS has no per-thread thread count: ember runs no pool")
    calls, original = [], parallel.run

    def counted_run(tasks):
        calls.append(len(tasks))
        original(tasks)

    monkeypatch.setattr(_step.parallel, "run", counted_run)
    try:
        one = run(make, 1)
        assert calls == []
        two = run(make, 2)
        assert calls == [2, 2, 2]
        for a, b in zip(one, two):
            np.testing.assert_array_equal(a, b)
    finally:
        parallel.set_num_threads(1)
