"""Turning op arguments into tensors, and the shared shape-error wording."""

import numpy as np

from ..autograd.function import as_array_like
from ..autograd.tensor import Tensor


def constant(array):
    """A tensor around ``array`` that needs no gradient (no copy, no checks)."""
    t = Tensor.__new__(Tensor)
    t.data = array
    t.grad = None
    t.requires_grad = False
    t._ctx = None
    return t


def to_tensor(value):
    if isinstance(value, Tensor):
        return value
    return Tensor(value)


def to_pair(a, b):
    """Two op arguments as tensors; a Python scalar takes the other operand's float dtype."""
    a_is = isinstance(a, Tensor)
    b_is = isinstance(b, Tensor)
    if a_is and b_is:
        return a, b
    if a_is:
        return a, constant(as_array_like(b, a.data))
    if b_is:
        return constant(as_array_like(a, b.data)), b
    a = to_tensor(a)
    return a, constant(as_array_like(b, a.data))


def shape_error(op, *shapes, detail="shapes are incompatible"):
    listed = " and ".join(str(tuple(s)) for s in shapes)
    return ValueError(f"{op}: {detail}. Received shapes {listed}")


def normalize_axis(axis, ndim, op="op"):
    """``axis`` (int, tuple or None) as a tuple of non-negative ints, validated against ``ndim``."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"{op}: axis {ax} is out of range for a tensor of rank {ndim}")
        out.append(int(ax) % max(ndim, 1))
    return tuple(out)
