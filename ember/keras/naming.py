"""Keras' automatic names: ``dense``, ``dense_1``, ... reset by ``keras.backend.clear_session``."""

import re
from collections import defaultdict

_counts = defaultdict(int)


def to_snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()  # Keras: Conv2D -> conv2d


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``, ..."""
    count = _counts[base]
    _counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset():
    _counts.clear()
