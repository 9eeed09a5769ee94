"""Layer and group normalization: statistics over each sample's own values, fused forward and
hand-written backward (the compact formula of ``normalization.py``, which also holds the shared
helpers). Layer norm over trailing axes runs as rows of a 2-D array, their sums as matrix-vector
products.
"""

import numpy as np

from ...autograd.function import Function
from .._convert import normalize_axis, to_tensor
from .._sums import column_sums, ones
from .normalization import (
    _cast_to,
    _check_input,
    _compact_backward,
    _param,
    _scale_shift,
    _standardize,
    _sum_over,
)

__all__ = ["group_norm", "layer_norm"]


def _rows_forward(x2, gamma, beta, epsilon):
    """Layer norm of the rows of ``x2`` (M, C): returns ``y``, ``xhat`` and ``inv`` (M, 1).

    The row sums are matrix-vector products (with a ones vector): faster in BLAS than NumPy's
    reductions along a short last axis, in the same float32 precision.
    """
    count = x2.shape[1]
    row_ones = ones(count, x2.dtype)
    mean = np.matmul(x2, row_ones)[:, None]  # (M, 1)
    mean /= count
    xhat = x2 - mean
    y = np.square(xhat)  # two-pass variance, from (x - mean)^2; the buffer then holds y
    var = np.matmul(y, row_ones)[:, None]
    var /= count
    var += x2.dtype.type(epsilon)
    inv = np.sqrt(var, out=var)
    np.reciprocal(inv, out=inv)
    xhat *= inv
    if gamma is not None:
        np.multiply(xhat, gamma, out=y)
    else:
        np.copyto(y, xhat)
    if beta is not None:
        y += beta
    return y, xhat, inv


def _rows_backward(g2, xhat, inv, gamma, needs_x, needs_gamma, needs_beta):
    """Gradients of :func:`_rows_forward`'s inputs from ``g2`` (M, C), every sum a BLAS
    matrix-vector product: ``dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))``
    with ``dxhat = g * gamma``, so ``mean(dxhat) = g @ gamma / C`` and ``mean(dxhat * xhat) =
    (g * xhat) @ gamma / C``; ``g * xhat`` also gives gamma's gradient."""
    count = g2.shape[1]
    g_xhat = g2 * xhat if needs_gamma or needs_x else None
    d_gamma = column_sums(g_xhat) if needs_gamma else None
    d_beta = column_sums(g2) if needs_beta else None
    gx = None
    if needs_x:
        gamma = gamma if gamma is not None else ones(count, g2.dtype)
        m1 = np.matmul(g2, gamma)[:, None]
        m1 /= count
        m2 = np.matmul(g_xhat, gamma)[:, None]
        m2 /= count
        gx = g2 * gamma
        tmp = np.multiply(xhat, m2, out=g_xhat)  # g_xhat is spent: its buffer is reused
        tmp += m1
        gx -= tmp
        gx *= inv
    return gx, d_gamma, d_beta


class NormalizeOver(Function):
    """Per-example statistics over ``axes`` of a (possibly reshaped) input.

    Layer norm uses it on ``x`` itself; group norm on ``x`` viewed as (N, S, groups, C/groups).
    ``gamma``/``beta`` broadcast in the original layout ``bshape`` with ``param_axes`` reduced
    for their gradients. Over trailing axes (layer norm's usual case) ``x`` is a matrix of rows
    and the ``_rows_*`` kernels run.
    """

    def forward(self, x, *params, has_gamma, has_beta, epsilon, axes, view, bshape, param_axes):
        gamma = params[0].astype(x.dtype, copy=False) if has_gamma else None
        beta = params[-1].astype(x.dtype, copy=False) if has_beta else None
        self.params, self.has_gamma, self.has_beta = params, has_gamma, has_beta
        self.rows = view is None and axes == tuple(range(x.ndim - len(axes), x.ndim))
        if self.rows:  # gamma's layout is bshape's: flat, it runs along the rows
            gamma, beta = (None if p is None else p.reshape(-1) for p in (gamma, beta))
            width = int(np.prod(x.shape[x.ndim - len(axes):]))
            y, self.xhat, self.inv = _rows_forward(x.reshape(-1, width), gamma, beta, epsilon)
            self.gamma = gamma
            return y.reshape(x.shape)
        xv = x.reshape(view) if view is not None else x
        _, xhat, var = _standardize(xv, axes)
        inv = 1.0 / np.sqrt(var + x.dtype.type(epsilon))
        xhat *= inv
        self.xhat, self.inv, self.gamma = xhat, inv, gamma
        self.axes, self.bshape, self.param_axes = axes, bshape, param_axes
        self.count = xhat.size // inv.size
        return _scale_shift(xhat.reshape(x.shape), gamma, beta, bshape)

    def backward(self, g):
        needs = self.needs_input_grad
        needs_gamma, needs_beta = self.has_gamma and needs[1], self.has_beta and needs[-1]
        if self.rows:
            gx, gg, gb = _rows_backward(g.reshape(self.xhat.shape), self.xhat, self.inv,
                                        self.gamma, needs[0], needs_gamma, needs_beta)
        else:
            gx, gg, gb = self._backward(g, needs[0], needs_gamma, needs_beta)
        grads = [None if gx is None else gx.reshape(g.shape)]
        if self.has_gamma:
            gamma = self.params[0]
            grads.append(None if gg is None else _cast_to(gg.reshape(gamma.shape), gamma))
        if self.has_beta:
            beta = self.params[-1]
            grads.append(None if gb is None else _cast_to(gb.reshape(beta.shape), beta))
        return tuple(grads)

    def _backward(self, g, needs_x, needs_gamma, needs_beta):
        """The general layout: sums over ``axes`` of the view and ``param_axes`` of ``x``."""
        xhat, gamma = self.xhat, self.gamma
        gx = gg = gb = None
        if needs_x:
            dxhat = g * gamma.reshape(self.bshape) if gamma is not None else g
            gx = _compact_backward(dxhat.reshape(xhat.shape), xhat, self.inv, self.axes,
                                   self.count)
        if needs_gamma:
            gg = _sum_over(g * xhat.reshape(g.shape), self.param_axes)
        if needs_beta:
            gb = _sum_over(g, self.param_axes)
        return gx, gg, gb


def layer_norm(x, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    """Normalize each example over ``axis`` (an int or a tuple), then scale and shift.

    ``gamma`` and ``beta`` have the shape of the normalized axes (``(x.shape[-1],)`` for the
    default ``axis=-1``), as in ``keras.layers.LayerNormalization`` (default epsilon 1e-3).
    One fused op with the compact backward.

    >>> import ember
    >>> y = ember.layer_norm(ember.tensor([[1.0, 3.0], [2.0, 12.0]]), epsilon=0.0)
    >>> y.numpy().tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """
    op = "layer_norm"
    x = to_tensor(x)
    _check_input(x, epsilon, op)
    given = normalize_axis(axis, x.ndim, op)
    axes = tuple(sorted(set(given)))
    if not axes or len(axes) != len(given):
        raise ValueError(f"{op}: axis must name distinct axes, at least one. "
                         f"Received: axis={axis}")
    # Keras' parameter shape lists the axes in the order given (and reshapes it to broadcast)
    shape = tuple(x.shape[a] for a in given)
    gamma = _param(gamma, shape, op, "gamma", x)
    beta = _param(beta, shape, op, "beta", x)
    params = [p for p in (gamma, beta) if p is not None]
    bshape = tuple(n if i in axes else 1 for i, n in enumerate(x.shape))
    param_axes = tuple(i for i in range(x.ndim) if i not in axes)
    return NormalizeOver.apply(x, *params, has_gamma=gamma is not None,
                               has_beta=beta is not None, epsilon=epsilon, axes=axes, view=None,
                               bshape=bshape, param_axes=param_axes)


def group_norm(x, groups, gamma=None, beta=None, epsilon=1e-3):
    """Group normalization of channels-last ``x`` of shape (N, ..., C).

    The C channels are split into ``groups`` contiguous groups; each example is normalized over
    its spatial axes and the channels of a group, then scaled and shifted per channel by
    ``gamma``/``beta`` of shape (C,) (``keras.layers.GroupNormalization``).

    >>> import ember
    >>> x = ember.tensor([[1.0, 3.0, 5.0, 9.0]])
    >>> ember.group_norm(x, groups=2, epsilon=0.0).numpy().tolist()
    [[-1.0, 1.0, -1.0, 1.0]]
    """
    op = "group_norm"
    x = to_tensor(x)
    _check_input(x, epsilon, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected inputs of shape (batch, ..., channels). "
                         f"Received: x.shape={x.shape}")
    channels = x.shape[-1]
    if not isinstance(groups, (int, np.integer)) or groups < 1 or channels % groups:
        raise ValueError(f"{op}: the number of channels ({channels}) must be a multiple of "
                         f"groups. Received: groups={groups}, x.shape={x.shape}")
    gamma = _param(gamma, (channels,), op, "gamma", x)
    beta = _param(beta, (channels,), op, "beta", x)
    params = [p for p in (gamma, beta) if p is not None]
    view = (x.shape[0], -1, int(groups), channels // int(groups))  # (N, S, G, C/G)
    return NormalizeOver.apply(x, *params, has_gamma=gamma is not None,
                               has_beta=beta is not None, epsilon=epsilon, axes=(1, 3),
                               view=view, bshape=(channels,),
                               param_axes=tuple(range(x.ndim - 1)))
