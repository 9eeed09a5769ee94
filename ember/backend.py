"""The array module, the default float type and the random number generator.

Everything numeric in ember goes through ``xp`` (NumPy today). It is chosen once, here, so that an
array library with NumPy's interface (CuPy) could stand in without touching the ops.
"""

import contextlib
import os
import random
import threading

import numpy as np

xp = np

_FLOATX = np.dtype("float32")
DEFAULT_SEED = 42


def _initial_seed():
    """ember is reproducible by default: its generator starts from ``EMBER_SEED`` or 42."""
    value = os.environ.get("EMBER_SEED", "")
    if not value:
        return DEFAULT_SEED
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"EMBER_SEED must be an integer. Received: EMBER_SEED={value!r}") from None


_rng = np.random.default_rng(_initial_seed())
_thread = threading.local()  # .generator: this thread's own generator, while one is in use


def floatx():
    """Return the default float dtype name (``"float32"``), as ``keras.backend.floatx()`` does."""
    return _FLOATX.name


def set_floatx(dtype):
    """Set the default float dtype (``"float32"`` or ``"float64"``)."""
    global _FLOATX
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"set_floatx: expected a float dtype. Received: dtype={dtype}")
    _FLOATX = dtype


def default_float():
    """The default float dtype as a NumPy dtype object."""
    return _FLOATX


def rng():
    """The generator that every random op (initializers, dropout, shuffling) draws from: ember's
    seeded generator, or the one ``using_generator`` set for this thread."""
    return getattr(_thread, "generator", None) or _rng


@contextlib.contextmanager
def using_generator(generator):
    """Inside the block, ``rng()`` returns ``generator`` in this thread (a worker thread
    training one shard of a batch draws its dropout masks from its own seeded generator)."""
    previous = getattr(_thread, "generator", None)
    _thread.generator = generator
    try:
        yield generator
    finally:
        _thread.generator = previous


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy's global state and ember's generator in one call.

    A fixed seed gives the same weights, batches and dropout masks, bit for bit.
    """
    global _rng
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed: expected an int. Received: seed={seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _rng = np.random.default_rng(int(seed))
