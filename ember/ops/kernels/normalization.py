"""Batch normalization (and what layer and group norm share with it): fused forward and
hand-written backward; layer and group norm are in ``layer_norm.py``.

Every kernel normalizes ``xhat = (x - mean) / sqrt(var + epsilon)`` and returns
``xhat * gamma + beta``. When the statistics come from ``x`` itself (training-mode batch norm,
layer norm, group norm) the gradient is the compact formula

    dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = g * gamma

with the means over the normalized axes; ``xhat`` and ``inv`` are saved by the forward pass, so
the backward is a few vectorized passes over the data.
"""

import numpy as np

from ...autograd.function import Function
from .._convert import constant, normalize_axis, to_tensor

__all__ = ["batch_norm", "batch_norm_train"]


def _param(value, shape, op, name, x):
    """``gamma``/``beta``/``mean``/``variance`` as a tensor of exactly ``shape`` (or None)."""
    if value is None:
        return None
    t = to_tensor(value)
    if t.shape != shape:
        raise ValueError(f"{op}: {name} must have shape {shape} for inputs of shape {x.shape}. "
                         f"Received: {name}.shape={t.shape}")
    return t


def _check_input(x, epsilon, op):
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: x must be a float tensor. Received: dtype={x.dtype}")
    if not epsilon >= 0:
        raise ValueError(f"{op}: epsilon must be non-negative. Received: epsilon={epsilon}")


def _cast_to(grad, like):
    """``grad`` in the dtype of the input array ``like`` (the engine checks it)."""
    return grad.astype(like.dtype, copy=False)


def _scale_shift(xhat, gamma, beta, bshape):
    """``xhat * gamma + beta`` in a new array (never ``xhat`` itself: backward keeps it)."""
    y = xhat * gamma.reshape(bshape) if gamma is not None else xhat.copy()
    if beta is not None:
        y += beta.reshape(bshape)
    return y


def _sum_over(a, axes):
    """``a.sum(axes, keepdims=True)``, one run of adjacent axes at a time.

    NumPy reduces non-adjacent axes at once slowly: group norm's (N, S, G, C/G) sum over
    axes (1, 3) runs about 9x faster as a sum over S (vectorized across the channels) followed
    by a small sum over C/G.
    """
    if not axes:
        return a
    runs = [[axes[0]]]
    for ax in axes[1:]:
        if ax == runs[-1][-1] + 1:
            runs[-1].append(ax)
        else:
            runs.append([ax])
    for run in runs:
        if run[-1] == a.ndim - 1:  # trailing axes: einsum's row sums are several times faster
            kept = a.shape[:run[0]]
            a = np.einsum("..." + "ijklmnop"[:len(run)] + "->...", a)
            a = a.reshape(kept + (1,) * len(run))
        else:
            a = a.sum(axis=tuple(run), keepdims=True)
    return a


def _standardize(x, axes):
    """``mean``, ``x - mean`` and the biased ``var`` over ``axes`` (two-pass, keepdims shapes)."""
    total = _sum_over(x, axes)
    count = x.dtype.type(x.size // max(total.size, 1))
    mean = total / count
    xc = x - mean
    var = _sum_over(np.square(xc), axes) / count
    return mean, xc, var


def _compact_backward(dxhat, xhat, inv, axes, count):
    """``inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))`` over ``axes``."""
    m1 = _sum_over(dxhat, axes)
    m1 /= count
    m2 = _sum_over(dxhat * xhat, axes)
    m2 /= count
    gx = xhat * m2
    gx += m1
    np.subtract(dxhat, gx, out=gx)
    gx *= inv
    return gx


# ----------------------------------------------------------------------------- batch norm


def _batch_layout(x, axis, op):
    axis = normalize_axis(axis, x.ndim, op)[0]
    bshape = [1] * x.ndim
    bshape[axis] = x.shape[axis]
    reduce_axes = tuple(i for i in range(x.ndim) if i != axis)
    return axis, tuple(bshape), reduce_axes


class BatchNorm(Function):
    """Normalization with given statistics: ``(x - mean) / sqrt(variance + eps) * gamma + beta``."""

    def forward(self, x, mean, variance, *params, has_gamma, has_beta, epsilon, bshape, axes):
        gamma = params[0].astype(x.dtype, copy=False) if has_gamma else None
        beta = params[-1].astype(x.dtype, copy=False) if has_beta else None
        self.stat_dtypes = (mean.dtype, variance.dtype)
        mean = mean.astype(x.dtype, copy=False)
        inv = 1.0 / np.sqrt(variance.astype(x.dtype, copy=False) + x.dtype.type(epsilon))
        scale = inv * gamma if gamma is not None else inv
        shift = -mean * scale
        if beta is not None:
            shift += beta
        # y = x * scale + (beta - mean * scale): two passes over x instead of three
        y = x * scale.reshape(bshape)
        y += shift.reshape(bshape)
        self.x, self.mean, self.inv, self.gamma, self.scale = x, mean, inv, gamma, scale
        self.params, self.has_gamma, self.has_beta = params, has_gamma, has_beta
        self.bshape, self.axes = bshape, axes
        return y

    def backward(self, g):
        needs = self.needs_input_grad
        bshape, axes = self.bshape, self.axes
        x, mean, gvar = self.x, self.mean, None
        gx = g * self.scale.reshape(bshape) if needs[0] else None
        g_sum = gmean = None
        if needs[1] or (self.has_beta and needs[-1]):
            g_sum = _sum_over(g, axes).reshape(-1)  # (C,)
        if needs[1]:
            gmean = (-self.scale * g_sum).astype(self.stat_dtypes[0])
        grads_params = []
        needs_gamma = self.has_gamma and needs[3]
        if needs[2] or needs_gamma:
            # sum over the batch of g * (x - mean), shared by d/dgamma and d/dvariance
            gxc = _sum_over(g * (x - mean.reshape(bshape)), axes).reshape(-1)
            if needs[2]:
                gamma = self.gamma if self.gamma is not None else 1.0
                gvar = (-0.5 * gamma * self.inv**3 * gxc).astype(self.stat_dtypes[1])
        if self.has_gamma:
            grads_params.append(gxc * self.inv if needs_gamma else None)
        if self.has_beta:
            grads_params.append(g_sum)
        grads_params = [None if gp is None else _cast_to(gp, p)
                        for gp, p in zip(grads_params, self.params)]
        return (gx, gmean, gvar, *grads_params)


def batch_norm(x, mean, variance, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    """Normalize ``x`` with the given per-channel ``mean`` and ``variance`` (inference form).

    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` with the statistics, ``gamma`` and
    ``beta`` of shape ``(x.shape[axis],)``; differentiable with respect to all five (as
    ``keras.ops.batch_normalization``). Training-mode batch statistics: ``batch_norm_train``.

    >>> import numpy as np, ember
    >>> x = ember.tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> y = ember.batch_norm(x, np.float32([2, 4]), np.float32([1, 4]), epsilon=0.0)
    >>> y.numpy().tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    op = "batch_norm"
    x = to_tensor(x)
    _check_input(x, epsilon, op)
    axis, bshape, axes = _batch_layout(x, axis, op)
    shape = (x.shape[axis],)
    mean = _param(mean, shape, op, "mean", x)
    variance = _param(variance, shape, op, "variance", x)
    if mean is None or variance is None:
        raise ValueError(f"{op}: mean and variance are required. Received: mean={mean}, "
                         f"variance={variance}")
    gamma = _param(gamma, shape, op, "gamma", x)
    beta = _param(beta, shape, op, "beta", x)
    params = [p for p in (gamma, beta) if p is not None]
    return BatchNorm.apply(x, mean, variance, *params, has_gamma=gamma is not None,
                           has_beta=beta is not None, epsilon=epsilon, bshape=bshape, axes=axes)


class BatchNormTrain(Function):
    """Batch statistics over all axes but one, and the fused training-mode backward."""

    def forward(self, x, *params, has_gamma, has_beta, epsilon, bshape, axes, stats):
        gamma = params[0].astype(x.dtype, copy=False) if has_gamma else None
        beta = params[-1].astype(x.dtype, copy=False) if has_beta else None
        mean, xhat, var = _standardize(x, axes)
        inv = 1.0 / np.sqrt(var + x.dtype.type(epsilon))
        xhat *= inv  # (x - mean) * inv, in place
        self.xhat, self.inv, self.gamma = xhat, inv, gamma
        self.params, self.has_gamma, self.has_beta = params, has_gamma, has_beta
        self.bshape, self.axes, self.count = bshape, axes, x.size // inv.size
        stats.extend((mean.reshape(-1), var.reshape(-1)))
        return _scale_shift(xhat, gamma, beta, bshape)

    def backward(self, g):
        needs = self.needs_input_grad
        xhat, axes = self.xhat, self.axes
        g_sum = _sum_over(g, axes)  # d/dbeta, keepdims (1, ..., C, ..., 1)
        g_xhat = _sum_over(g * xhat, axes)  # d/dgamma
        gx = None
        if needs[0]:
            # dx = gamma * inv * (g - (g_sum + xhat * g_xhat) / N): the classic compact form
            gx = xhat * (g_xhat / self.count)
            gx += g_sum / self.count
            np.subtract(g, gx, out=gx)
            factor = self.inv if self.gamma is None else self.inv * self.gamma.reshape(self.bshape)
            gx *= factor
        grads = [gx]
        if self.has_gamma:
            grads.append(_cast_to(g_xhat.reshape(-1), self.params[0]) if needs[1] else None)
        if self.has_beta:
            grads.append(_cast_to(g_sum.reshape(-1), self.params[-1]) if needs[-1] else None)
        return tuple(grads)


def batch_norm_train(x, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    """Training-mode batch normalization: statistics over every axis but ``axis``.

    Returns ``(y, batch_mean, batch_variance)``. ``y`` is one fused op whose backward is the
    compact formula (gradients flow through the batch statistics). ``batch_mean`` and the
    *biased* ``batch_variance`` (divided by N, as ``keras.ops.moments``) are constant tensors of
    shape ``(x.shape[axis],)`` for the layer's moving statistics. Keras 3 updates them with
    the same biased variance: ``moving = moving * momentum + batch * (1 - momentum)`` (PyTorch
    instead folds the unbiased N / (N - 1) variance into ``running_var``).

    >>> import ember
    >>> x = ember.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> y, mean, var = ember.batch_norm_train(x, epsilon=0.0)
    >>> y.numpy().tolist(), mean.numpy().tolist(), var.numpy().tolist()
    ([[-1.0, -1.0], [1.0, 1.0]], [2.0, 20.0], [1.0, 100.0])
    """
    op = "batch_norm_train"
    x = to_tensor(x)
    _check_input(x, epsilon, op)
    axis, bshape, axes = _batch_layout(x, axis, op)
    if x.size == 0 or x.size == x.shape[axis]:
        raise ValueError(f"{op}: batch statistics need more than one value per channel. "
                         f"Received: x.shape={x.shape}, axis={axis}")
    shape = (x.shape[axis],)
    gamma = _param(gamma, shape, op, "gamma", x)
    beta = _param(beta, shape, op, "beta", x)
    params = [p for p in (gamma, beta) if p is not None]
    stats = []
    y = BatchNormTrain.apply(x, *params, has_gamma=gamma is not None, has_beta=beta is not None,
                             epsilon=epsilon, bshape=bshape, axes=axes, stats=stats)
    return y, constant(stats[0]), constant(stats[1])
