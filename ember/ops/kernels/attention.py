"""Scaled dot-product attention: one fused op, softmax(q k^T * scale + mask) @ v.

Shapes: q (B, H, Tq, D), k (B, H, Tk, D), v (B, H, Tk, Dv), probabilities (B, H, Tq, Tk).
Forward is two batched GEMMs around an in-place stable softmax; backward is four batched GEMMs
around the softmax gradient, reusing the saved probabilities.

The kernels hold the logits and probabilities *transposed*, (B, H, Tk, Tq), for CPU speed:
- every GEMM is then a plain or a transposed-left product: OpenBLAS runs ``q @ k^T`` (a
  transposed right operand) about 1.8x slower than those at (64, 32) x (32, 64), so q^T and
  g^T are copied once, contiguous, with the scale folded into that copy;
- the softmax reduces over axis -2, where NumPy combines whole rows at a time: its max along
  a short last axis (64 keys) is about twice as slow.
Masks become an additive bias (cached for the causal mask), one vectorized add per call.
"""

import math
from functools import lru_cache

import numpy as np

from ... import backend
from ...autograd.function import Function
from ...autograd.tensor import Tensor
from .._convert import shape_error, to_tensor
from .._sums import ones
from ..linalg import matmul
from ..nn import dropout

__all__ = ["scaled_dot_product_attention"]

OP = "scaled_dot_product_attention"


def _sum_keys(a):
    """``a.sum(axis=-2, keepdims=True)`` of (..., Tk, Tq) as a batched vector-matrix product:
    BLAS runs it several times faster than NumPy's reduction, with float32 accumulation as
    well."""
    return np.matmul(ones(a.shape[-2], a.dtype), a)[..., None, :]


@lru_cache(maxsize=64)
def _shift_free_limit(dtype, keys):
    """Half the log of the largest float over the number of keys (float32, 64 keys: 42)."""
    return (math.log(float(np.finfo(dtype).max)) - math.log(keys)) / 2


def _softmax_keys(s, bias_t, all_rows_live):
    """Softmax over axis -2 of the transposed logits plus ``bias_t``, in place.

    Stable softmax subtracts each query's maximum logit before exp, but NumPy's max over 64
    keys costs as much as the exp itself. When every logit lies within +-limit (two whole-array
    reductions, 10x cheaper) the shift is skipped: exp cannot overflow, even summed over the
    keys, nor underflow a query's largest term to zero, and softmax is shift-invariant, so only
    the rounding differs. A query with no allowed key needs the shift (it becomes uniform).
    """
    limit = _shift_free_limit(s.dtype, s.shape[-2])
    small = all_rows_live and -limit <= s.min() and s.max() <= limit  # False for NaN
    if bias_t is not None:
        s += bias_t
    if not small:
        s -= s.max(axis=-2, keepdims=True)
    np.exp(s, out=s)
    s *= np.reciprocal(_sum_keys(s))  # multiplying beats dividing
    return s


def _probabilities_t(q, k, scale, bias_t, dead_t):
    """softmax(q @ k^T * scale + bias) over the keys, transposed: (B, H, Tk, Tq)."""
    q_t = np.multiply(np.swapaxes(q, -1, -2), q.dtype.type(scale), order="C")  # (B, H, D, Tq)
    return _softmax_keys(np.matmul(k, q_t), bias_t, dead_t is None)


def _logit_grads(ctx, ds_t):
    """Gradients of q and k from ``ds_t``, the transposed logits' gradient times the scale."""
    if ctx.dead_t is not None:  # fully masked rows: their logits were constants
        np.copyto(ds_t, 0, where=ctx.dead_t)
    needs = ctx.needs_input_grad
    gq = np.matmul(np.swapaxes(ds_t, -1, -2), ctx.k) if needs[0] else None  # (B, H, Tq, D)
    gk = np.matmul(ds_t, ctx.q) if needs[1] else None  # (B, H, Tk, D)
    return gq, gk


def _scaled_grad_t(g, scale):
    """``g^T * scale`` for g of shape (..., T, N), copied contiguous: (..., N, T)."""
    return np.multiply(np.swapaxes(g, -1, -2), g.dtype.type(scale), order="C")


def _softmax_backward(dp_t, p_t):
    """``p * (dp - sum(dp * p))`` over the keys, in place on ``dp_t``."""
    dp_t -= _sum_keys(dp_t * p_t)
    dp_t *= p_t
    return dp_t


class AttentionProbabilities(Function):
    """softmax(q k^T * scale) with the mask applied: the attention scores alone."""

    def forward(self, q, k, scale, bias_t, dead_t):
        self.q, self.k, self.scale, self.dead_t = q, k, scale, dead_t
        self.p_t = _probabilities_t(q, k, scale, bias_t, dead_t)
        return np.swapaxes(self.p_t, -1, -2)

    def backward(self, g):
        return _logit_grads(self, _softmax_backward(_scaled_grad_t(g, self.scale), self.p_t))


class ScaledDotProductAttention(Function):
    """The fused op: probabilities, dropout on them, and the product with v."""

    def forward(self, q, k, v, scale, bias_t, dead_t, rate, generator):
        self.q, self.k, self.v, self.scale, self.dead_t = q, k, v, scale, dead_t
        p_t = _probabilities_t(q, k, scale, bias_t, dead_t)
        pd_t = p_t
        if rate:
            keep = 1.0 - rate
            # drawn in the (B, H, Tq, Tk) layout: the same mask as return_scores' dropout op
            mask = (generator.random(p_t.shape[:-2] + p_t.shape[:-3:-1]) < keep)
            mask = mask.astype(p_t.dtype)
            mask /= p_t.dtype.type(keep)
            pd_t = np.multiply(p_t, np.swapaxes(mask, -1, -2), order="C")
        self.p_t, self.pd_t = p_t, pd_t
        self.out = np.matmul(np.swapaxes(pd_t, -1, -2), v)  # (B, H, Tq, Dv)
        return self.out

    def backward(self, g):
        needs = self.needs_input_grad
        p_t, pd_t = self.p_t, self.pd_t
        if not (needs[0] or needs[1]):
            return None, None, np.matmul(pd_t, g)
        scale = g.dtype.type(self.scale)
        dp_t = np.matmul(self.v, _scaled_grad_t(g, scale))  # (B, H, Tk, Tq), dL/dp * scale
        # the softmax gradient needs r = sum over keys of dL/dp * p (through dropout, with
        # dL/dp = dp * mask: sum of dp * pd); since dp = g @ v^T, that is g . out per query
        # (FlashAttention's trick): a dot over Dv instead of a product over the keys
        r = np.einsum("...i,...i->...", g, self.out)[..., None, :]  # (B, H, 1, Tq)
        r *= scale
        # v's gradient comes between: it loads p (pd) into cache for the rest
        gv = np.matmul(pd_t, g) if needs[2] else None  # (B, H, Tk, Dv)
        if pd_t is p_t:  # ds = p * (dp - r)
            dp_t -= r
            dp_t *= p_t
            ds_t = dp_t
        else:  # ds = t - p * r with t = dL/dp * p = dp * pd
            dp_t *= pd_t
            ds_t = p_t * r
            np.subtract(dp_t, ds_t, out=ds_t)
        gq, gk = _logit_grads(self, ds_t)
        return gq, gk, gv


@lru_cache(maxsize=16)
def _causal_bias_t(tq, tk, dtype):
    """The causal mask as a transposed additive bias (Tk, Tq), read-only (shared)."""
    bias_t = _bias(~np.tri(tq, tk, dtype=bool), dtype).T.copy()
    bias_t.flags.writeable = False
    return bias_t


def _bias(drop, dtype):
    # a large finite negative, as Keras does: a fully masked row becomes uniform, not NaN. Added
    # to a finite logit it rounds back to itself, so it acts as the masked value exactly.
    return np.where(drop, dtype.type(-0.7 * np.finfo(dtype).max), dtype.type(0))


def _masks(mask, is_causal, target, dtype):
    """The mask as an additive bias, transposed to broadcast against (B, H, Tk, Tq), and the
    query rows excluded entirely, as (..., 1, Tq) (or None when there are none)."""
    dtype = np.dtype(dtype)
    if mask is None:
        return (_causal_bias_t(target[2], target[3], dtype) if is_causal else None), None
    keep = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    fits = keep.ndim <= 4 and all(m in (1, t) for m, t in zip(keep.shape[::-1], target[::-1]))
    if not fits:
        raise ValueError(f"{OP}: the mask must broadcast to (batch, heads, query time, "
                         f"key time) = {target}. Received: mask.shape={keep.shape}")
    keep = keep.astype(bool, copy=False)
    if is_causal:
        keep = keep & np.tri(target[2], target[3], dtype=bool)  # (Tq, Tk), aligned top-left
    if keep.ndim < 2:
        keep = keep.reshape((1,) * (2 - keep.ndim) + keep.shape)
    drop = ~keep
    dead = drop.all(axis=-1, keepdims=True)
    dead_t = np.swapaxes(dead, -1, -2) if dead.any() else None
    return np.swapaxes(_bias(drop, dtype), -1, -2), dead_t


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
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    target = q.shape[:3] + (k.shape[2],)
    bias_t, dead_t = _masks(mask, is_causal, target, q.dtype)
    rate = dropout_rate if training else 0.0
    if not return_scores:
        return ScaledDotProductAttention.apply(q, k, v, scale=scale, bias_t=bias_t,
                                               dead_t=dead_t, rate=rate,
                                               generator=backend.rng())
    scores = AttentionProbabilities.apply(q, k, scale=scale, bias_t=bias_t, dead_t=dead_t)
    return matmul(dropout(scores, rate, training=bool(rate)), v), scores
