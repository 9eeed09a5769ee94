"""Crossentropy losses: binary, categorical, sparse categorical and their focal variants.

>>> import numpy as np
>>> from ember.keras import losses
>>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
>>> y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], "float32")
>>> round(float(losses.CategoricalCrossentropy()(y_true, y_pred)), 3)
1.177
"""

import warnings

import numpy as np

from ... import ops
from ...autograd.tensor import Tensor
from ...ops._convert import constant
from ...ops.nn import SparseCrossEntropyFromLogits
from ..registry import builtin
from . import _crossentropy_ops as xops
from .base import _BuiltinWrapper, as_prediction, as_target


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary crossentropy (mean over ``axis``); logits use the stable form.

    Probabilities are clipped to [1e-7, 1 - 1e-7]; ``label_smoothing`` squeezes targets
    towards 0.5.
    """
    y_pred = as_prediction(y_pred)
    y_true = as_target(y_true, y_pred)
    xops.check_binary(y_true.data, y_pred.shape, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return xops.BinaryCrossentropy.apply(y_pred, y_true, from_logits=bool(from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample crossentropy between one-hot (or soft) targets and probabilities or logits."""
    _check_axis(axis)
    y_pred = as_prediction(y_pred)
    xops.check_categorical(np.shape(y_true), y_pred.shape, "categorical_crossentropy")
    y_true = as_target(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be "
                      "(batch_size, num_classes) with num_classes > 1. Received: y_pred.shape="
                      f"{y_pred.shape}. Consider using 'binary_crossentropy' if you only have 2 "
                      "classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        classes = y_true.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        return ops.categorical_crossentropy(y_true, y_pred, from_logits=True, axis=axis)
    return xops.CategoricalCrossentropyProbs.apply(y_pred, y_true, axis=axis)


def _sparse(y_true, y_pred, from_logits, ignore_class, axis):
    y_pred = as_prediction(y_pred)
    data = y_true.data if isinstance(y_true, Tensor) else y_true
    labels, valid = xops.sparse_labels(data, y_pred.shape, axis,
                                       "sparse_categorical_crossentropy", ignore_class)
    axis = axis % y_pred.ndim
    if from_logits:
        values = SparseCrossEntropyFromLogits.apply(y_pred, constant(labels), axis=axis)
    else:
        values = xops.SparseCrossentropyProbs.apply(y_pred, constant(labels), axis=axis)
    if valid is not None:
        values = values * constant(valid.astype(values.dtype))
    return values, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Per-sample crossentropy between integer labels and probabilities or logits.

    Labels outside [0, classes), or one-hot labels, raise ``ValueError`` saying what fits.
    Entries labelled ``ignore_class`` give 0.
    """
    return _sparse(y_true, y_pred, from_logits, ignore_class, axis)[0]


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy down-weighting easy examples by ``(1 - p_t) ** gamma``."""
    y_pred = as_prediction(y_pred)
    y_true = as_target(y_true, y_pred)
    xops.check_binary(y_true.data, y_pred.shape, "binary_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = xops.BinaryCrossentropy.apply(y_pred, y_true, from_logits=False, axis=None)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical crossentropy weighted by ``alpha * (1 - p) ** gamma`` per class."""
    _check_axis(axis)
    y_pred = as_prediction(y_pred)
    xops.check_categorical(np.shape(y_true), y_pred.shape, "categorical_focal_crossentropy")
    y_true = as_target(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    output = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
    output = ops.clip(output, xops.EPSILON, 1.0 - xops.EPSILON)
    cce = -y_true * ops.log(output)
    alpha = np.asarray(alpha, dtype=y_pred.dtype)
    weighting = ops.power(1.0 - output, float(gamma)) * alpha
    return ops.sum(weighting * cce, axis=axis)


binary_crossentropy.probabilities_kind = "binary"
categorical_crossentropy.probabilities_kind = "categorical"
sparse_categorical_crossentropy.probabilities_kind = "sparse"
sparse_categorical_crossentropy.integer_labels = True


@builtin("losses")
class BinaryCrossentropy(_BuiltinWrapper):
    """Binary crossentropy; ``from_logits=True`` for raw scores (recommended).

    >>> import numpy as np
    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> round(float(loss(np.array([0, 1, 0, 0]), np.array([-18.6, 0.51, 2.94, -12.8]))), 3)
    0.865
    """

    probabilities_kind = "binary"
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name, reduction, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@builtin("losses")
class BinaryFocalCrossentropy(_BuiltinWrapper):
    """Binary focal crossentropy (Lin et al., 2018)."""

    _config_keys = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha",
                    "gamma")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name, reduction, dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@builtin("losses")
class CategoricalCrossentropy(_BuiltinWrapper):
    """Crossentropy with one-hot labels; integer labels need ``SparseCategoricalCrossentropy``."""

    probabilities_kind = "categorical"
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name, reduction, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@builtin("losses")
class CategoricalFocalCrossentropy(_BuiltinWrapper):
    """Alpha-balanced focal crossentropy for one-hot labels."""

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, name, reduction, dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


@builtin("losses")
class SparseCategoricalCrossentropy(_BuiltinWrapper):
    """Crossentropy with integer labels; ``ignore_class`` entries are left out of the mean.

    >>> loss = SparseCategoricalCrossentropy()
    >>> round(float(loss([1, 2], np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], "float32"))), 3)
    1.177
    """

    probabilities_kind = "sparse"
    _integer_labels = True
    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name, reduction, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def _call_with_mask(self, y_true, y_pred):
        return _sparse(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)
