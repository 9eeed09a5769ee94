"""Allocation limits while a model is re-created from a file.

A hostile ``config.json`` can ask for absurd layers (``Dense(units=10**12)``, an input of a
billion values per example). While a load runs, every weight a layer creates is charged to a
budget derived from the weights actually stored in the archive, and input shapes are bounded,
so such files fail with ``ValueError`` before the memory is allocated.
"""

import contextlib
import math
import threading

import numpy as np

_state = threading.local()
MAX_INPUT_VALUES = 1 << 26  # values per example of one model input (256 MiB of float32)
_SLACK = 64 << 20  # extra bytes allowed on top of the stored weights (optimizer-free layers)


@contextlib.contextmanager
def weight_budget(nbytes, where):
    """Within the block, weights created by layers may total at most ``nbytes`` (+ slack)."""
    from ..layers.base import WEIGHT_CHECKS

    previous = getattr(_state, "budget", None)
    _state.budget = [int(nbytes) + _SLACK, where]
    WEIGHT_CHECKS.append(charge_weight)
    try:
        yield
    finally:
        WEIGHT_CHECKS.remove(charge_weight)
        _state.budget = previous


def charge_weight(layer, shape, dtype):
    """Called by ``Layer.add_weight``: refuse a weight that would exceed the load's budget."""
    budget = getattr(_state, "budget", None)
    if budget is None:
        return
    try:
        size = math.prod(int(d) for d in shape) * np.dtype(dtype).itemsize
    except (TypeError, ValueError, OverflowError):
        return
    if size > budget[0]:
        raise ValueError(
            f"{budget[1]}: layer '{getattr(layer, 'name', '?')}' asks for a weight of shape "
            f"{tuple(shape)} ({size} bytes), more than the weights stored in the file allow; "
            "the configuration is inconsistent with the weights or hostile.")
    budget[0] -= size


def check_input_shape(shape, where):
    """Refuse an input shape whose examples would hold more than ``MAX_INPUT_VALUES`` values."""
    if not isinstance(shape, (list, tuple)):
        raise ValueError(f"{where}: an input shape must be a list. Received: {shape!r:.100}")
    known = []
    for dim in shape[1:]:
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 0:
            raise ValueError(f"{where}: invalid input dimension {dim!r:.50} in {shape!r:.100}")
        known.append(dim)
    if math.prod(known) > MAX_INPUT_VALUES:
        raise ValueError(f"{where}: the input shape {shape!r:.100} holds more than "
                         f"{MAX_INPUT_VALUES} values per example; refusing it.")


def active():
    return getattr(_state, "budget", None) is not None


__all__ = ["MAX_INPUT_VALUES", "charge_weight", "check_input_shape", "weight_budget"]
