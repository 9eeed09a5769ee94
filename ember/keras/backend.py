"""``keras.backend``: the few functions scripts still call."""

from .. import backend as _backend
from . import naming


def clear_session(free_memory=True):
    """Reset Keras' automatic layer names (``dense``, ``dense_1``, ...)."""
    naming.reset()


def floatx():
    return _backend.floatx()


def set_floatx(dtype):
    _backend.set_floatx(dtype)


def epsilon():
    return 1e-7


def backend():
    return "ember"


def image_data_format():
    return "channels_last"
