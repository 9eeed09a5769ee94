"""Fused crossentropy ops on probabilities and logits, and the label checks that name the loss
that fits.

On probabilities Keras normalizes (categorical/sparse) then clips to [1e-7, 1 - 1e-7]; the
gradient is zero where the clip is active, as with a separate clip op. The binary logits form is
``max(x, 0) - x * t + log(1 + exp(-|x|))``: finite for any finite logit.
"""

import numpy as np

from ...autograd.function import Function

EPSILON = 1e-7


def _clip_bounds(dtype):
    eps = np.asarray(EPSILON, dtype)
    return eps, np.asarray(1, dtype) - eps


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class BinaryCrossentropy(Function):
    """Elementwise binary crossentropy, averaged over ``axis`` unless ``axis`` is None."""

    def forward(self, output, target, from_logits, axis):
        self.from_logits, self.axis = from_logits, axis
        self.count = output.shape[axis] if axis is not None and output.ndim else 1
        if from_logits:
            self.x, self.target = output, target
            bce = np.maximum(output, 0) - output * target + np.log1p(np.exp(-np.abs(output)))
        else:
            low, high = _clip_bounds(output.dtype)
            p = np.clip(output, low, high)
            self.p, self.target = p, target
            self.inside = (output >= low) & (output <= high)
            bce = -(target * np.log(p) + (1 - target) * np.log1p(-p))
        bce = bce.astype(output.dtype, copy=False)
        return bce if axis is None or not output.ndim else bce.mean(axis=axis)

    def backward(self, g):
        if self.axis is not None and g.ndim < self.target.ndim:
            g = np.expand_dims(g, self.axis)
        g = g / np.asarray(self.count, g.dtype)
        t = self.target
        if self.from_logits:
            grad_out = g * (_sigmoid(self.x) - t)
            grad_t = -g * self.x if self.needs_input_grad[1] else None
        else:
            p = self.p
            grad_out = g * self.inside * (p - t) / (p * (1 - p))
            grad_t = g * (np.log1p(-p) - np.log(p)) if self.needs_input_grad[1] else None
        if grad_t is not None:
            grad_t = grad_t.astype(t.dtype, copy=False)
        return grad_out.astype(g.dtype, copy=False), grad_t


class CategoricalCrossentropyProbs(Function):
    """``-sum(t * log(clip(p / sum(p))))`` along ``axis`` with its fused gradient."""

    def forward(self, output, target, axis):
        low, high = _clip_bounds(output.dtype)
        s = output.sum(axis=axis, keepdims=True)
        q = output / s
        c = np.clip(q, low, high)
        self.axis, self.s, self.q, self.c, self.target = axis, s, q, c, target
        self.inside = (q >= low) & (q <= high)
        return -(target * np.log(c)).sum(axis=axis).astype(output.dtype, copy=False)

    def backward(self, g):
        g = np.expand_dims(g, self.axis)
        grad_q = -(self.target / self.c) * self.inside
        grad_out = g * (grad_q - (grad_q * self.q).sum(axis=self.axis, keepdims=True)) / self.s
        grad_t = -g * np.log(self.c) if self.needs_input_grad[1] else None
        return grad_out.astype(g.dtype, copy=False), grad_t


class SparseCrossentropyProbs(Function):
    """``-log(clip(p[label] / sum(p)))`` with its fused gradient; ``labels`` are int64."""

    def forward(self, output, labels, axis):
        low, high = _clip_bounds(output.dtype)
        moved = np.moveaxis(output, axis, -1)
        s = moved.sum(axis=-1)
        picked = np.take_along_axis(moved, labels[..., None], axis=-1)[..., 0]
        q = picked / s
        c = np.clip(q, low, high)
        self.axis, self.labels, self.shape = axis, labels, moved.shape
        self.s, self.q, self.c = s, q, c
        self.inside = (q >= low) & (q <= high)
        return (-np.log(c)).astype(output.dtype, copy=False)

    def backward(self, g):
        # d(-log c)/dp_j = -(inside / c) * (onehot_j - q) / s
        coef = -g * self.inside / (self.c * self.s)
        grad = np.empty(self.shape, g.dtype)
        grad[...] = (-coef * self.q)[..., None]
        at_label = np.take_along_axis(grad, self.labels[..., None], axis=-1) + coef[..., None]
        np.put_along_axis(grad, self.labels[..., None], at_label, axis=-1)
        return np.moveaxis(grad, -1, self.axis), None


# ----- label checks -----------------------------------------------------------------------------


def sparse_labels(y_true, pred_shape, axis, name, ignore_class=None):
    """Integer class labels of shape ``pred_shape`` without the class axis, validated.

    Returns (labels as int64, valid mask or None). Raises ValueError naming the loss that fits
    one-hot labels, and the range of labels the model's output allows.
    """
    labels = np.asarray(y_true)
    ndim = len(pred_shape)
    axis = axis % ndim
    classes = pred_shape[axis]
    expected = pred_shape[:axis] + pred_shape[axis + 1:]
    if labels.ndim == ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    elif labels.shape == tuple(pred_shape) and classes > 1:
        raise ValueError(
            f"{name} expects integer class labels of shape {expected}, but received y_true of "
            f"shape {labels.shape}, the shape of y_pred: these look like one-hot encoded "
            "labels. Use loss='categorical_crossentropy' (CategoricalCrossentropy) for one-hot "
            "labels, or turn them into integer labels with y.argmax(axis=-1)."
        )
    if labels.shape != tuple(expected):
        raise ValueError(
            f"{name}: y_true must have y_pred's shape without the class axis, {expected}. "
            f"Received: y_true.shape={labels.shape}, y_pred.shape={tuple(pred_shape)}"
        )
    if labels.dtype.kind == "f":
        if labels.size and not np.array_equal(labels, np.floor(labels)):
            raise ValueError(
                f"{name} expects integer class indices, but y_true holds non-integer values "
                f"such as {float(labels[labels != np.floor(labels)].flat[0])!r}. For probability "
                "targets use loss='categorical_crossentropy' (one-hot / soft labels) or "
                "'binary_crossentropy'."
            )
    elif labels.dtype.kind not in "iub":
        raise TypeError(f"{name}: y_true must hold integer class labels. "
                        f"Received: dtype={labels.dtype}")
    labels = labels.astype(np.int64, copy=False)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    if labels.size:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= classes:
            bad = low if low < 0 else high
            raise ValueError(
                f"{name}: received a label value of {bad}, which is outside the valid range of "
                f"[0, {classes}): y_pred has {classes} classes (its last axis). Check the labels, "
                f"or give the model's last layer {high + 1 if high >= classes else classes} units "
                f"(one per class)."
            )
    return labels, valid


def check_categorical(true_shape, pred_shape, name):
    """Raise when ``y_true`` does not have ``y_pred``'s shape; integer labels get the hint to
    use the sparse loss."""
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    if true_shape == pred_shape:
        return
    looks_sparse = pred_shape and pred_shape[-1] > 1 and (
        true_shape == pred_shape[:-1] or true_shape == pred_shape[:-1] + (1,))
    if looks_sparse:
        raise ValueError(
            f"{name} expects one-hot encoded labels of shape {pred_shape}, but received y_true "
            f"of shape {true_shape}: these look like integer class labels. Use "
            "loss='sparse_categorical_crossentropy' (SparseCategoricalCrossentropy) for integer "
            "labels, or one-hot encode them with "
            f"keras.utils.to_categorical(y, num_classes={pred_shape[-1]})."
        )
    raise ValueError(f"{name}: y_true and y_pred need the same shape. Received: "
                     f"y_true.shape={true_shape}, y_pred.shape={pred_shape}")


def check_binary(y_true, pred_shape, name):
    true_shape, pred_shape = tuple(np.shape(y_true)), tuple(pred_shape)
    if true_shape == pred_shape:
        return
    hint = ""
    if pred_shape and pred_shape[-1] > 1 and true_shape in (pred_shape[:-1],
                                                            pred_shape[:-1] + (1,)):
        hint = (f" y_pred has {pred_shape[-1]} values per sample and y_true one: for integer "
                "class labels with a softmax output use loss='sparse_categorical_crossentropy'.")
    raise ValueError(f"{name}: y_true and y_pred need the same shape. Received: "
                     f"y_true.shape={true_shape}, y_pred.shape={pred_shape}.{hint}")
