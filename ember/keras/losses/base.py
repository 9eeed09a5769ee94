"""The ``Loss`` base class, the function wrapper and Keras' reduction rules.

``loss(y_true, y_pred, sample_weight=None)`` returns a scalar tensor (or per-sample values with
``reduction="none"``); ``loss.call(y_true, y_pred)`` returns the per-sample values.
"""

import numpy as np

from ... import ops
from ...autograd.tensor import Tensor
from ...backend import default_float
from ...ops._convert import constant
from ..naming import to_snake_case, unique_name
from ..registry import builtin

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError("Invalid value for argument `reduction`. Expected one of "
                         f"{set(REDUCTIONS)}. Received: reduction={reduction!r}")
    return reduction


def as_prediction(y_pred):
    """``y_pred`` as a float tensor (integer or bool arrays become the default float)."""
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(y_pred)  # Python lists become float32; NumPy arrays keep their dtype
    if y_pred.dtype.kind not in "f":
        y_pred = constant(y_pred.data.astype(default_float()))
    return y_pred


def as_target(y_true, like):
    """``y_true`` as a tensor of ``like``'s float dtype (a constant unless it needs a gradient)."""
    if isinstance(y_true, Tensor):
        if y_true.dtype != like.dtype:
            return ops.cast(y_true, like.dtype)
        return y_true
    array = np.asarray(y_true)
    if array.dtype != like.dtype:
        array = array.astype(like.dtype)
    return constant(array)


def _reshape(x, shape):
    if isinstance(x, Tensor):
        return ops.reshape(x, shape) if x.requires_grad else constant(x.data.reshape(shape))
    return np.reshape(x, shape)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras' rule: when ranks differ by one and the longer has a trailing 1, drop that axis
    (or, when the other is rank 1, add a trailing axis to it)."""
    r1, r2 = len(np.shape(x1)), len(np.shape(x2))
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and np.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = _reshape(x2, np.shape(x2) + (1,))
        else:
            x1 = _reshape(x1, np.shape(x1)[:-1])
    if r2 == r1 + 1 and np.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = _reshape(x1, np.shape(x1) + (1,))
        else:
            x2 = _reshape(x2, np.shape(x2)[:-1])
    return x1, x2


def _weights_array(sample_weight, dtype):
    if isinstance(sample_weight, Tensor):
        sample_weight = sample_weight.data
    return np.asarray(sample_weight, dtype=dtype)


def trailing_axes(weights, ndim):
    """(batch,) weights (or a (batch, steps) mask) on values of ``ndim`` axes get trailing
    axes of size 1, to broadcast."""
    if weights.ndim < ndim:
        return weights.reshape(weights.shape + (1,) * (ndim - weights.ndim))
    return weights


def _with_keras_mask(mask, keras_mask, shape):
    """The loss's own mask (``ignore_class``) and the prediction's Keras mask (from Embedding
    ``mask_zero`` or Masking, carried through the layers) combined, as Keras does: masked
    timesteps count in no mean. A Keras mask that does not cover the values' leading axes
    (a sequence's mask on a per-sequence loss) does not apply."""
    if keras_mask is None:
        return mask
    keras_mask = np.asarray(keras_mask.data if isinstance(keras_mask, Tensor) else keras_mask,
                            bool)
    if tuple(shape[:keras_mask.ndim]) != keras_mask.shape:
        return mask
    keras_mask = np.broadcast_to(trailing_axes(keras_mask, len(shape)), shape)
    return keras_mask if mask is None else np.logical_and(mask, keras_mask)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size"):
    """Weight per-sample ``values`` (a tensor) and reduce them to a scalar, as Keras does.

    ``mask`` (bool array of the values' shape) excludes entries; for the mean reductions the
    result is then the mean over the valid entries.
    """
    dtype = values.dtype
    if mask is not None:
        mask = np.asarray(mask, dtype=dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = mask.sum()
            mask = mask * (mask.size / valid if valid else 0.0)
        if sample_weight is not None:
            mask, weights = squeeze_or_expand_to_same_rank(
                mask, _weights_array(sample_weight, dtype))
            sample_weight = trailing_axes(weights, mask.ndim) * mask
        else:
            sample_weight = mask
    if sample_weight is not None:
        weights = _weights_array(sample_weight, dtype)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        weights = trailing_axes(weights, values.ndim)
        values = values * constant(np.ascontiguousarray(weights, dtype=dtype))
        sample_weight = weights
    return reduce_values(values, sample_weight, reduction)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction is None or reduction == "none" or values.shape in ((), (0,)):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total = float(np.broadcast_to(sample_weight, values.shape).sum())
        return ops.sum(values) * (1.0 / total if total else 0.0)
    return ops.mean(values)


class Loss:
    """Base class of losses: subclasses define ``call(y_true, y_pred)`` (per-sample values).

    ``probabilities_kind`` is "binary", "categorical" or "sparse" for the crossentropies (so a
    trainer can fuse a final sigmoid/softmax with the loss) and None otherwise.

    >>> import ember, numpy as np
    >>> class MyMSE(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ember.mean((y_pred - y_true) ** 2, axis=-1)
    >>> float(MyMSE()(np.zeros((2, 1)), ember.tensor([[1.0], [3.0]])))
    5.0
    """

    probabilities_kind = None
    from_logits = False
    _integer_labels = False  # sparse losses take y_true as given (no cast to y_pred's dtype)

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = np.dtype(dtype).name if dtype is not None else default_float().name

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        keras_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = as_prediction(y_pred)
        if self._integer_labels:
            y_true = y_true if isinstance(y_true, Tensor) else constant(np.asarray(y_true))
        else:
            y_true = as_target(y_true, y_pred)
        values, mask = self._call_with_mask(y_true, y_pred)
        if not isinstance(values, Tensor):
            values = as_target(values, y_pred)
        mask = _with_keras_mask(mask, keras_mask, values.shape)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    def _call_with_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"Loss {type(self).__name__} must define call(y_true, y_pred)")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


@builtin("losses")
class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    ``y_true`` is squeezed or expanded to ``y_pred``'s rank first (Keras' rule).
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if isinstance(fn, (str, dict)):
            from . import deserialize_function

            fn = deserialize_function(fn)
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        self.probabilities_kind = getattr(fn, "probabilities_kind", None)
        self.from_logits = bool(kwargs.get("from_logits", False))
        self._integer_labels = getattr(fn, "integer_labels", False)

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        from . import serialize

        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, " \
               f"kwargs={self._fn_kwargs})>"


class _BuiltinWrapper(LossFunctionWrapper):
    """Base of the built-in loss classes: their config is their constructor arguments."""

    _config_keys = ()

    def __init__(self, fn, name, reduction, dtype, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config


def builtin_loss_class(name, fn, default_name, doc):
    """A built-in ``Loss`` class around ``fn`` whose only arguments are reduction, name, dtype
    (``MeanSquaredError``, ``Hinge``...), registered under ``name`` in ``fn``'s module."""

    class Simple(_BuiltinWrapper):
        def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
            super().__init__(fn, name, reduction, dtype)

    Simple.__name__ = Simple.__qualname__ = name
    Simple.__module__ = fn.__module__
    Simple.__doc__ = doc
    return builtin("losses")(Simple)
