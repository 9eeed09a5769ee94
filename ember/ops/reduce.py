"""Reductions over axes: sum, mean, max, min, prod, var, std, logsumexp, argmax, argmin."""

import builtins
import math

import numpy as np

from ..autograd.function import Function
from ._convert import constant, normalize_axis, to_tensor


def _expand(g, shape, axes, keepdims):
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts over the input."""
    if keepdims or not axes:
        return g
    kept = list(g.shape)
    for axis in sorted(axes):
        kept.insert(axis, 1)
    return g.reshape(kept)  # a reshape: np.expand_dims costs ten times more on small arrays


def _spread(g, shape):
    """``g`` broadcast to ``shape`` as a fresh array (np.broadcast_to is slow on small ones)."""
    out = np.empty(shape, g.dtype)
    out[...] = g
    return out


class Sum(Function):
    def forward(self, x, axis, keepdims):
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = normalize_axis(axis, x.ndim, "sum")
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(self, g):
        return _spread(_expand(g, self.shape, self.axes, self.keepdims), self.shape)


class Mean(Function):
    def forward(self, x, axis, keepdims):
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = normalize_axis(axis, x.ndim, "mean")
        count = math.prod(x.shape[a] for a in self.axes)
        self.count = builtins.max(1, count)
        if not count or x.dtype.kind != "f" or x.dtype.itemsize < 4:
            return x.mean(axis=axis, keepdims=keepdims)
        # NumPy's mean is this sum and division, behind a slower Python wrapper
        return x.sum(axis=axis, keepdims=keepdims) / count

    def backward(self, g):
        g = _expand(g, self.shape, self.axes, self.keepdims) / np.asarray(self.count, g.dtype)
        return _spread(g, self.shape)


class _Extreme(Function):
    """max/min: the gradient is shared equally among the positions that reach the extreme."""

    reducer = None

    def forward(self, x, axis, keepdims):
        self.axes = normalize_axis(axis, x.ndim, type(self).__name__.lower())
        self.keepdims = keepdims
        out = self.reducer(x, axis=axis, keepdims=True)
        mask = x == out
        self.weights = mask / mask.sum(axis=self.axes, keepdims=True).astype(x.dtype)
        return out if keepdims else np.squeeze(out, axis=self.axes)

    def backward(self, g):
        return (_expand(g, None, self.axes, self.keepdims) * self.weights).astype(g.dtype)


class Max(_Extreme):
    reducer = staticmethod(np.max)


class Min(_Extreme):
    reducer = staticmethod(np.min)


class Prod(Function):
    def forward(self, x, axis, keepdims):
        self.x, self.axes, self.keepdims = x, normalize_axis(axis, x.ndim, "prod"), keepdims
        self.out = x.prod(axis=axis, keepdims=True)
        return self.out if keepdims else np.squeeze(self.out, axis=self.axes)

    def backward(self, g):
        x, axes = self.x, self.axes
        g = _expand(g, None, axes, self.keepdims)
        # product of all the other elements, exact also where x contains zeros
        moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0)))
        flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
        ones = np.ones_like(flat[..., :1])
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
        others = (left * right).reshape(moved.shape)
        others = np.moveaxis(others, tuple(range(-len(axes), 0)), axes)
        return (g * others).astype(x.dtype)


class Var(Function):
    def forward(self, x, axis, keepdims, ddof=0):
        self.axes, self.keepdims = normalize_axis(axis, x.ndim, "var"), keepdims
        count = math.prod(x.shape[a] for a in self.axes)
        self.centered = x - x.mean(axis=axis, keepdims=True)
        self.scale = np.asarray(2.0 / builtins.max(count - ddof, 1), x.dtype)
        return x.var(axis=axis, keepdims=keepdims, ddof=ddof)

    def backward(self, g):
        return _expand(g, None, self.axes, self.keepdims) * self.scale * self.centered


class LogSumExp(Function):
    def forward(self, x, axis, keepdims):
        self.axes, self.keepdims = normalize_axis(axis, x.ndim, "logsumexp"), keepdims
        peak = x.max(axis=axis, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        e = np.exp(x - peak)
        s = e.sum(axis=axis, keepdims=True)
        self.softmax = e / s
        out = np.log(s) + peak
        return out if keepdims else np.squeeze(out, axis=self.axes)

    def backward(self, g):
        return _expand(g, None, self.axes, self.keepdims) * self.softmax


def _reduction(function, name):
    def reduce(x, axis=None, keepdims=False):
        return function.apply(to_tensor(x), axis=axis, keepdims=keepdims)

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = f"``{name}`` over ``axis`` (all axes when None), as in NumPy."
    return reduce


sum = _reduction(Sum, "sum")
mean = _reduction(Mean, "mean")
max = _reduction(Max, "max")
min = _reduction(Min, "min")
prod = _reduction(Prod, "prod")
logsumexp = _reduction(LogSumExp, "logsumexp")
amax, amin = max, min


def var(x, axis=None, keepdims=False, ddof=0):
    """Variance over ``axis`` (population variance by default, as NumPy and Keras)."""
    return Var.apply(to_tensor(x), axis=axis, keepdims=keepdims, ddof=ddof)


def std(x, axis=None, keepdims=False, ddof=0):
    """Standard deviation: ``sqrt(var(x))``."""
    from .elementwise import sqrt

    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value (an int64 tensor, not differentiable)."""
    return constant(np.argmax(to_tensor(x).data, axis=axis, keepdims=keepdims))


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value (an int64 tensor, not differentiable)."""
    return constant(np.argmin(to_tensor(x).data, axis=axis, keepdims=keepdims))
