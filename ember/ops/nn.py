"""Softmax, cross-entropy and dropout: fused forward and backward, numerically stable."""

import numpy as np

from .. import backend
from ..autograd.function import Function
from ._convert import constant, shape_error, to_tensor


def _stable_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    e /= e.sum(axis=axis, keepdims=True)
    return e


class Softmax(Function):
    def forward(self, x, axis):
        self.axis = axis
        self.y = _stable_softmax(x, axis)
        return self.y

    def backward(self, g):
        y = self.y
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def forward(self, x, axis):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.softmax = np.exp(out)
        return out

    def backward(self, g):
        return g - self.softmax * g.sum(axis=self.axis, keepdims=True)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, computed without overflow."""
    return Softmax.apply(to_tensor(x), axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) computed as x - logsumexp(x): finite for any finite input."""
    return LogSoftmax.apply(to_tensor(x), axis=axis)


class SparseCrossEntropyFromLogits(Function):
    """Per-example -log softmax(logits)[label], with the fused gradient softmax - one_hot."""

    def forward(self, logits, labels, axis):
        self.axis = axis
        moved = logits if axis in (-1, logits.ndim - 1) else np.moveaxis(logits, axis, -1)
        self.moved_shape = moved.shape
        flat = moved.reshape(-1, moved.shape[-1])  # (N, classes)
        self.rows = np.arange(flat.shape[0])
        self.labels = labels.reshape(-1)
        shifted = flat - flat.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1)
        losses = np.log(s) - shifted[self.rows, self.labels]
        e /= s[:, None]
        self.probs = e
        return losses.reshape(labels.shape).astype(logits.dtype, copy=False)

    def backward(self, g):
        grad = self.probs  # owned by this op: turned into the gradient in place
        grad[self.rows, self.labels] -= 1
        grad *= g.reshape(-1, 1)
        grad = grad.reshape(self.moved_shape)
        if self.axis not in (-1, len(self.moved_shape) - 1):
            grad = np.moveaxis(grad, -1, self.axis)
        return grad, None


class CrossEntropyFromLogits(Function):
    """Per-example -sum(target * log softmax(logits)); gradient softmax * sum(target) - target."""

    def forward(self, logits, target, axis):
        self.axis = axis
        shifted = logits - logits.max(axis=axis, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=axis, keepdims=True)
        log_probs = shifted - np.log(s)
        self.probs, self.target = e / s, target
        return -(target * log_probs).sum(axis=axis)

    def backward(self, g):
        g = np.expand_dims(g, self.axis)
        total = self.target.sum(axis=self.axis, keepdims=True)
        grad_logits = g * (self.probs * total - self.target)
        grad_target = None
        if self.needs_input_grad[1]:
            grad_target = -g * np.log(np.maximum(self.probs, np.finfo(self.probs.dtype).tiny))
        return grad_logits, grad_target


def _check_labels(labels, logits, axis, op):
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integer class indices. Received: dtype="
                        f"{labels.dtype}")
    classes = logits.shape[axis]
    expected = logits.shape[:axis % logits.ndim] + logits.shape[axis % logits.ndim + 1:]
    if labels.shape != expected:
        raise shape_error(op, labels.shape, logits.shape,
                          detail=f"labels need the logits' shape without the class axis {expected}")
    # one pass: viewed as unsigned, a negative label is huge, so max() alone finds both ends
    unsigned = labels.view(f"u{labels.itemsize}") if labels.dtype.kind == "i" else labels
    if labels.size and unsigned.max() >= classes:
        raise ValueError(f"{op}: labels must lie in [0, {classes}). Received values from "
                         f"{labels.min()} to {labels.max()}")


def sparse_categorical_crossentropy(labels, logits, from_logits=True, axis=-1):
    """Per-example cross-entropy between integer ``labels`` and class scores.

    With ``from_logits=True`` this is one fused op: logits of +-1000 give finite values and
    gradients. With probabilities, they are clipped to [1e-7, 1 - 1e-7] as Keras does.
    """
    logits = to_tensor(logits)
    labels = np.asarray(to_tensor(labels).data)
    _check_labels(labels, logits, axis, "sparse_categorical_crossentropy")
    if from_logits:
        return SparseCrossEntropyFromLogits.apply(logits, constant(labels), axis=axis)
    from .elementwise import clip, log
    from .reduce import sum as reduce_sum
    from .shape import take_along_axis

    eps = 1e-7
    axis = axis % logits.ndim
    picked = take_along_axis(logits, np.expand_dims(labels, axis), axis=axis)
    picked = picked / reduce_sum(logits, axis=axis, keepdims=True)  # renormalized, as Keras does
    return -log(clip(picked, eps, 1 - eps)).reshape(labels.shape)


def categorical_crossentropy(target, output, from_logits=True, axis=-1):
    """Per-example cross-entropy between target distributions and logits or probabilities."""
    output, target = to_tensor(output), to_tensor(target)
    if target.shape != output.shape:
        raise shape_error("categorical_crossentropy", target.shape, output.shape,
                          detail="target and output need one shape")
    if from_logits:
        return CrossEntropyFromLogits.apply(output, target, axis=axis)
    from .elementwise import clip, log
    from .reduce import sum as reduce_sum

    eps = 1e-7
    probs = output / reduce_sum(output, axis=axis, keepdims=True)
    return -reduce_sum(target * log(clip(probs, eps, 1 - eps)), axis=axis)


_DRAW_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Dropout(Function):
    def forward(self, x, rate, noise_shape, generator):
        keep = 1.0 - rate
        shape = x.shape if noise_shape is None else noise_shape
        # draws in the input's float type (float32 halves the work), then one pass to the mask
        draws = generator.random(shape, dtype=x.dtype if x.dtype in _DRAW_TYPES else np.float64)
        scale = x.dtype.type(1.0 / keep)
        if np.isfinite(scale):  # np.where with scalar branches is ~20x slower than this
            self.mask = np.less(draws, keep).astype(x.dtype)
            self.mask *= scale
        else:  # 0 * inf would be NaN
            self.mask = np.where(draws < keep, scale, x.dtype.type(0.0))
        return x * self.mask

    def backward(self, g):
        return g * self.mask


def dropout(x, rate, training=True, noise_shape=None, seed=None):
    """Zero each element with probability ``rate`` and scale the rest by 1 / (1 - rate).

    Only when ``training`` is true; the mask comes from ember's seeded generator (or ``seed``).
    """
    x = to_tensor(x)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must lie in [0, 1). Received: rate={rate}")
    if not training or rate == 0:
        return x
    generator = np.random.default_rng(seed) if seed is not None else backend.rng()
    return Dropout.apply(x, rate=rate, noise_shape=noise_shape, generator=generator)
