"""Switching graph recording off (``no_grad``) and back on (``enable_grad``).

The switch is per thread, as in PyTorch: ``no_grad`` in one thread leaves the others recording
(ember's own worker threads train shards of a batch while the caller's thread does the same).
"""

import functools
import threading


class _GradState(threading.local):
    def __init__(self):
        self.enabled = True


state = _GradState()


def is_grad_enabled():
    """True when ops record the graph for backward."""
    return state.enabled


class _GradModeContext:
    """Base of ``no_grad``/``enable_grad``: a context manager that also decorates functions."""

    mode = True

    def __enter__(self):
        self._previous = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Run ops without recording the graph: for inference, metrics and weight updates.

    >>> import ember
    >>> w = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> with ember.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradModeContext):
    """Turn graph recording back on inside a ``no_grad`` block."""

    mode = True
