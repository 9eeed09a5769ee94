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
    """Two op arguments as tensors of one dtype.

    A Python scalar or array takes the other operand's float dtype. Two tensors of different
    dtypes meet at NumPy's common type, except that an int or bool tensor takes the float
    tensor's dtype (as Keras and PyTorch do); a float tensor is cast with the differentiable
    ``cast``, so every gradient comes back in its input's dtype.
    """
    if not isinstance(a, Tensor):
        a = to_tensor(a) if not isinstance(b, Tensor) else constant(as_array_like(a, b.data))
    if not isinstance(b, Tensor):
        b = constant(as_array_like(b, a.data))
    if a.data.dtype != b.data.dtype:
        return _promote(a, b)
    return a, b


def _promote(a, b):
    from .elementwise import cast

    da, db = a.data.dtype, b.data.dtype
    if da.kind == "f" and db.kind != "f":
        return a, constant(b.data.astype(da))
    if db.kind == "f" and da.kind != "f":
        return constant(a.data.astype(db)), b
    common = np.result_type(da, db)
    return cast(a, common), cast(b, common)


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
