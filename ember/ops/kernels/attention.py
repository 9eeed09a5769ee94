"""Scaled dot-product attention: one fused op, softmax(q k^T * scale + mask) @ v.

Shapes: q (B, H, Tq, D), k (B, H, Tk, D), v (B, H, Tk, Dv), probabilities (B, H, Tq, Tk).
Forward is two batched GEMMs around an in-place stable softmax; backward is four batched GEMMs
around the softmax gradient, reusing the saved probabilities.
"""

import numpy as np

from ... import backend
from ...autograd.function import Function
from ...autograd.tensor import Tensor
from .._convert import shape_error, to_tensor
from ..linalg import matmul
from ..nn import dropout
from ._sums import sum_last

__all__ = ["scaled_dot_product_attention"]

OP = "scaled_dot_product_attention"


def _probabilities(q, k, scale, drop):
    """softmax(q @ k^T * scale) over the last axis, with ``drop`` positions excluded."""
    if q.shape[-1] < k.shape[-2]:  # scale whichever of q and the logits is smaller
        s = np.matmul(q * q.dtype.type(scale), np.swapaxes(k, -1, -2))  # (B, H, Tq, Tk)
    else:
        s = np.matmul(q, np.swapaxes(k, -1, -2))
        s *= scale
    if drop is not None:
        # a large finite negative, as Keras does: a fully masked row becomes uniform, not NaN
        np.copyto(s, s.dtype.type(-0.7 * np.finfo(s.dtype).max), where=drop)
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s *= np.reciprocal(sum_last(s))  # multiplying beats dividing
    return s


def _logit_grads(ctx, t, p):
    """Gradients of q and k from ``t = dL/dp * p`` (elementwise, over the probabilities ``p``)."""
    # softmax backward: ds = p * (gp - sum(gp * p)) = t - p * sum(t)
    ds = p * sum_last(t)
    np.subtract(t, ds, out=ds)
    if ctx.dead is not None:  # fully masked rows: their logits were constants
        np.copyto(ds, 0, where=ctx.dead)
    q, k, scale = ctx.q, ctx.k, ctx.scale
    gq = gk = None
    if ctx.needs_input_grad[0]:
        gq = np.matmul(ds, k)  # (B, H, Tq, D)
        gq *= scale
    if ctx.needs_input_grad[1]:
        gk = np.matmul(np.swapaxes(ds, -1, -2), q)  # (B, H, Tk, D)
        gk *= scale
    return gq, gk


class AttentionProbabilities(Function):
    """softmax(q k^T * scale) with the mask applied: the attention scores alone."""

    def forward(self, q, k, scale, drop, dead):
        self.q, self.k, self.scale, self.dead = q, k, scale, dead
        self.p = _probabilities(q, k, scale, drop)
        return self.p

    def backward(self, g):
        return _logit_grads(self, g * self.p, self.p)


class ScaledDotProductAttention(Function):
    """The fused op: probabilities, dropout on them, and the product with v."""

    def forward(self, q, k, v, scale, drop, dead, rate, generator):
        self.q, self.k, self.v, self.scale, self.dead = q, k, v, scale, dead
        p = _probabilities(q, k, scale, drop)
        pd = p
        if rate:
            keep = 1.0 - rate
            mask = (generator.random(p.shape) < keep).astype(p.dtype)
            mask /= p.dtype.type(keep)
            pd = p * mask
        self.p, self.pd = p, pd
        return np.matmul(pd, v)  # (B, H, Tq, Dv)

    def backward(self, g):
        needs = self.needs_input_grad
        gv = np.matmul(np.swapaxes(self.pd, -1, -2), g) if needs[2] else None  # (B, H, Tk, Dv)
        gq = gk = None
        if needs[0] or needs[1]:
            gp = np.matmul(g, np.swapaxes(self.v, -1, -2))  # (B, H, Tq, Tk)
            # through dropout, dL/dp = gp * mask, and dL/dp * p = gp * pd
            gp *= self.pd
            gq, gk = _logit_grads(self, gp, self.p)
        return gq, gk, gv


def _masks(mask, is_causal, target):
    """The positions to exclude (a bool array broadcastable to ``target``) and the rows that
    are excluded entirely (or None when there are none)."""
    keep = None
    if mask is not None:
        keep = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        fits = keep.ndim <= 4 and all(m in (1, t) for m, t in zip(keep.shape[::-1], target[::-1]))
        if not fits:
            raise ValueError(f"{OP}: the mask must broadcast to (batch, heads, query time, "
                             f"key time) = {target}. Received: mask.shape={keep.shape}")
        keep = keep.astype(bool, copy=False)
    if is_causal:
        causal = np.tri(target[2], target[3], dtype=bool)  # (Tq, Tk), aligned top-left
        keep = causal if keep is None else keep & causal
    if keep is None:
        return None, None
    drop = ~keep
    dead = drop.all(axis=-1, keepdims=True)
    return drop, (dead if dead.any() else None)


def scaled_dot_product_attention(q, k, v, mask=None, is_causal=False, scale=None,
                                 dropout_rate=0.0, training=False, return_scores=False):
    """Attention over (batch, heads, time, depth) inputs: softmax(q k^T * scale) @ v.

    ``scale`` defaults to 1 / sqrt(depth). ``mask`` is a boolean array broadcastable to
    (batch, heads, query time, key time) where True means "may attend" (other dtypes are cast
    to bool, as Keras does); ``is_causal`` adds the lower-triangular mask (query i sees keys
    0..i). A query row with no allowed key gets uniform weights (Keras' convention; PyTorch
    gives NaN). Dropout on the probabilities applies only when ``training``.

    Without ``return_scores`` it is one fused op. With it, the result is ``(output, scores)``
    with the pre-dropout probabilities (as Keras' MultiHeadAttention returns them); both are
    differentiable: the scores are their own op, followed by dropout and a batched matmul.

    >>> import numpy as np, ember
    >>> q = k = ember.tensor(np.zeros((1, 1, 2, 4), np.float32))
    >>> v = ember.tensor(np.eye(2, dtype=np.float32)[None, None])
    >>> out = ember.scaled_dot_product_attention(q, k, v, is_causal=True)  # (1, 1, 2, 2)
    >>> out.numpy()[0, 0].tolist()
    [[1.0, 0.0], [0.5, 0.5]]
    """
    q, k, v = to_tensor(q), to_tensor(k), to_tensor(v)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise shape_error(OP, q.shape, k.shape, v.shape,
                          detail="query, key and value must have rank 4 (batch, heads, time, "
                                 "depth)")
    if q.shape[-1] != k.shape[-1]:
        raise shape_error(OP, q.shape, k.shape, detail=f"query and key depths differ "
                                                       f"({q.shape[-1]} != {k.shape[-1]})")
    if k.shape[-2] != v.shape[-2]:
        raise shape_error(OP, k.shape, v.shape, detail=f"key and value time lengths differ "
                                                       f"({k.shape[-2]} != {v.shape[-2]})")
    if not q.shape[:2] == k.shape[:2] == v.shape[:2]:
        raise shape_error(OP, q.shape, k.shape, v.shape,
                          detail="query, key and value need the same (batch, heads)")
    if not q.dtype == k.dtype == v.dtype or q.dtype.kind != "f":
        raise TypeError(f"{OP}: query, key and value must share one float dtype. Received: "
                        f"{q.dtype}, {k.dtype}, {v.dtype}")
    if not 0 <= dropout_rate < 1:
        raise ValueError(f"{OP}: dropout_rate must lie in [0, 1). "
                         f"Received: dropout_rate={dropout_rate}")
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)
    target = q.shape[:3] + (k.shape[2],)
    drop, dead = _masks(mask, is_causal, target)
    rate = dropout_rate if training else 0.0
    if not return_scores:
        return ScaledDotProductAttention.apply(q, k, v, scale=scale, drop=drop, dead=dead,
                                               rate=rate, generator=backend.rng())
    scores = AttentionProbabilities.apply(q, k, scale=scale, drop=drop, dead=dead)
    return matmul(dropout(scores, rate, training=bool(rate)), v), scores
