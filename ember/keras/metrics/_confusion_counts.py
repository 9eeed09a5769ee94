"""Weighted confusion counts at many thresholds in O(n log T): each prediction is placed among
the sorted thresholds once (``searchsorted``) and the counts are reversed cumulative sums.

A prediction is positive at threshold ``t`` when ``y_pred > t`` (strictly), a label when it is
non-zero, as in Keras.
"""

import numpy as np

from ..losses.base import squeeze_or_expand_to_same_rank
from .base import to_numpy

NEG_INF = -1e10


def parse_thresholds(thresholds, default):
    """Thresholds as a list of floats in [0, 1] (``default`` when None)."""
    if thresholds is None:
        return [default]
    values = [float(t) for t in np.ravel(thresholds)]
    invalid = [t for t in values if t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return values


def filter_top_k(y_pred, k):
    """Keep the ``k`` largest scores along the last axis; the rest become -1e10."""
    if k >= y_pred.shape[-1]:
        return y_pred
    top = np.argpartition(-y_pred, k - 1, axis=-1)[..., :k]
    mask = np.zeros(y_pred.shape, bool)
    np.put_along_axis(mask, top, True, axis=-1)
    return np.where(mask, y_pred, NEG_INF)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None):
    """(tp, fp, tn, fn) per threshold: arrays of shape (T,), or (T, labels) for multi_label."""
    y_pred = to_numpy(y_pred).astype(np.float64, copy=False)
    y_true = to_numpy(y_true)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    weights = None
    if sample_weight is not None:
        weights = to_numpy(sample_weight, np.float64)
        y_pred, weights = squeeze_or_expand_to_same_rank(y_pred, weights)
        if weights.ndim < y_pred.ndim:
            weights = weights.reshape(weights.shape + (1,) * (y_pred.ndim - weights.ndim))
        weights = np.broadcast_to(weights, y_pred.shape)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        weights = None if weights is None else weights[..., class_id]
    y_true = np.broadcast_to(y_true, y_pred.shape)
    positive = (y_true != 0).astype(np.float64)
    w = np.ones(y_pred.shape) if weights is None else np.asarray(weights, np.float64)
    if label_weights is not None and not multi_label:
        w = w * np.asarray(label_weights, np.float64)
    thresholds = np.asarray(thresholds, np.float64)
    order = np.argsort(thresholds, kind="stable")
    n = thresholds.size
    if multi_label:
        labels = y_pred.shape[-1]
        columns = np.arange(labels) * (n + 1)
        index = np.searchsorted(thresholds[order], y_pred.reshape(-1, labels)) + columns
        shape = (labels, n + 1)
    else:
        index = np.searchsorted(thresholds[order], y_pred.reshape(-1))
        shape = (n + 1,)
    w = w.reshape(index.shape)
    pos = np.bincount(index.ravel(), (w * positive.reshape(index.shape)).ravel(),
                      minlength=int(np.prod(shape))).reshape(shape)
    neg = np.bincount(index.ravel(), (w * (1 - positive.reshape(index.shape))).ravel(),
                      minlength=int(np.prod(shape))).reshape(shape)
    # predictions with index k exceed the k smallest thresholds: positive at sorted j < k
    tp = np.cumsum(pos[..., ::-1], axis=-1)[..., ::-1][..., 1:]
    fp = np.cumsum(neg[..., ::-1], axis=-1)[..., ::-1][..., 1:]
    fn = pos.sum(axis=-1, keepdims=True) - tp
    tn = neg.sum(axis=-1, keepdims=True) - fp
    inverse = np.empty_like(order)
    inverse[order] = np.arange(n)
    counts = [c[..., inverse] for c in (tp, fp, tn, fn)]
    if multi_label:
        counts = [c.T for c in counts]  # Keras' variable shape (thresholds, labels)
    return counts
