"""The ``Metric`` base class and the reductions ``Mean``, ``Sum``, ``MeanMetricWrapper``.

Metrics take NumPy arrays (tensors are accepted and read as arrays) and keep their state in
non-trainable variables; ``result()`` returns a Python float (or an array where Keras returns
one per threshold or class).

>>> m = Mean()
>>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
>>> m.result()
2.0
"""

import numpy as np

from ...autograd import no_grad
from ...autograd.tensor import Tensor
from ...autograd.variable import Variable
from ...backend import floatx
from ..losses.base import squeeze_or_expand_to_same_rank, trailing_axes
from ..naming import to_snake_case, unique_name
from ..registry import builtin


def to_numpy(x, dtype=None):
    """A metric input as a NumPy array (tensors are read, not copied)."""
    if isinstance(x, Tensor):
        x = x.data
    return np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)


def python_result(value):
    """A 0-d result as a Python float; arrays stay arrays."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


class Metric:
    """Base class: subclasses define ``update_state``, ``result`` and (when their variables do
    not all reset to zero) ``reset_state``. ``add_variable`` creates tracked state."""

    _direction = None  # "up" (accuracy-like) or "down" (loss-like); callbacks' mode="auto"

    def __init__(self, name=None, dtype=None):
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype = np.dtype(dtype).name if dtype is not None else floatx()
        self._variables = []

    @property
    def dtype(self):
        return self._dtype

    @property
    def variables(self):
        return list(self._variables)

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """A state variable (non-trainable) of ``shape``, reset to zeros by ``reset_state``."""
        from .. import initializers

        init = initializers.get(initializer)
        dtype = np.dtype(dtype) if dtype is not None else np.dtype(self._dtype)
        value = init(tuple(shape), dtype=dtype) if callable(init) else init
        variable = Variable(np.asarray(value, dtype), trainable=False,
                            name=name or f"variable_{len(self._variables)}")
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    add_weight = add_variable

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"Metric {type(self).__name__} must define update_state")

    def result(self):
        raise NotImplementedError(f"Metric {type(self).__name__} must define result")

    def reset_state(self):
        for v in self._variables:
            v.data[...] = 0

    def __call__(self, *args, **kwargs):
        """Update the state with one batch and return the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(values, sample_weight, reduce_fn):
    """Keras' rule: weights are aligned to the values (squeezed/expanded, then broadcast),
    values are reduced to one per sample; returns (values, per-sample weights or None)."""
    values = np.asarray(values, np.float64)
    if sample_weight is not None:
        weights = to_numpy(sample_weight, np.float64)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        if values.ndim > weights.ndim:
            values = reduce_fn(values, axis=tuple(range(weights.ndim, values.ndim)))
        elif weights.ndim > values.ndim:
            weights = reduce_fn(weights, axis=tuple(range(values.ndim, weights.ndim)))
        weights = np.broadcast_to(weights, values.shape)
        values = values * weights
        if weights.ndim > 1:
            weights = reduce_fn(weights, axis=tuple(range(1, weights.ndim)))
        sample_weight = weights
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


@builtin("metrics")
class Sum(Metric):
    """The (weighted) sum of the values."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total", dtype="float64")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(to_numpy(values), sample_weight, np.sum)
        self.total.data += values.sum()

    def result(self):
        return float(self.total.data)


@builtin("metrics")
class Mean(Metric):
    """The (weighted) mean of the values, one value per sample."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total", dtype="float64")
        self.count = self.add_variable(name="count", dtype="float64")

    def update_state(self, values, sample_weight=None):
        values = to_numpy(values)
        if sample_weight is not None and np.ndim(sample_weight) == 0 and values.ndim == 0:
            self.total.data += float(values) * float(sample_weight)
            self.count.data += float(sample_weight)
            return
        values, weights = reduce_to_samplewise_values(values, sample_weight, np.mean)
        self.total.data += values.sum()
        if weights is not None:
            self.count.data += np.sum(weights)
        else:
            self.count.data += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        count = float(self.count.data)
        return float(self.total.data) / count if count else 0.0


@builtin("metrics")
class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred, **kwargs)`` (per-sample values).

    >>> import numpy as np
    >>> m = MeanMetricWrapper(lambda t, p: np.abs(t - p), name="mae")
    >>> m.update_state(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    >>> m.result()
    0.5
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, (str, dict)):
            from ..losses import deserialize_function

            fn = deserialize_function(fn)
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        from .. import losses

        if getattr(fn, "__name__", None) in losses.FUNCTIONS:
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """As Keras 3: a Keras mask carried by ``y_pred`` (from Embedding(mask_zero=True) or
        Masking, through the layers) weights the values, so masked timesteps count for
        nothing."""
        mask = getattr(y_pred, "_keras_mask", None)
        # Keras' rule: (batch,) labels against (batch, 1) predictions get the trailing axis
        y_true, y_pred = squeeze_or_expand_to_same_rank(to_numpy(y_true), to_numpy(y_pred))
        with no_grad():
            values = to_numpy(self._fn(y_true, y_pred, **self._fn_kwargs))
        if mask is not None:
            mask = to_numpy(mask).astype(np.float64)
            if sample_weight is None:
                sample_weight = mask
            else:  # per-sample weights spread over the mask's trailing (timestep) axes
                sample_weight = mask * trailing_axes(to_numpy(sample_weight, np.float64),
                                                     mask.ndim)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from .. import losses

        config = super().get_config()
        config["fn"] = losses.serialize(self._fn)
        config.update(self._fn_kwargs)
        return config


class _Wrapped(MeanMetricWrapper):
    """Base of the built-in function metrics: their config is their constructor arguments."""

    _config_keys = ()

    def __init__(self, fn, name, dtype, **kwargs):
        super().__init__(fn, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        config = Metric.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config
