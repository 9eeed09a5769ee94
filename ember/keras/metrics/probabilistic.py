"""Metrics that average a loss over samples: crossentropies, KL divergence, Poisson, hinges.

>>> import numpy as np
>>> m = BinaryCrossentropy()
>>> m.update_state(np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]], "float32"))
>>> round(m.result(), 3)
0.815
"""

from .. import losses
from ..registry import builtin
from .base import _Wrapped


class _LossMetric(_Wrapped):
    _direction = "down"


@builtin("metrics")
class BinaryCrossentropy(_LossMetric):
    """Mean binary crossentropy."""

    _config_keys = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(losses.binary_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


@builtin("metrics")
class CategoricalCrossentropy(_LossMetric):
    """Mean categorical crossentropy (one-hot labels)."""

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(losses.categorical_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@builtin("metrics")
class SparseCategoricalCrossentropy(_LossMetric):
    """Mean sparse categorical crossentropy (integer labels)."""

    _config_keys = ("from_logits", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name, dtype,
                         from_logits=from_logits, axis=axis)


def _loss_metric(name, fn, default_name, doc):
    def __init__(self, name=default_name, dtype=None):
        _Wrapped.__init__(self, fn, name, dtype)

    cls = type(name, (_LossMetric,), {"__init__": __init__, "__doc__": doc})
    return builtin("metrics")(cls)


KLDivergence = _loss_metric("KLDivergence", losses.kl_divergence, "kl_divergence",
                            "Mean Kullback-Leibler divergence.")
Poisson = _loss_metric("Poisson", losses.poisson, "poisson", "Mean Poisson loss.")
Hinge = _loss_metric("Hinge", losses.hinge, "hinge", "Mean hinge loss.")
SquaredHinge = _loss_metric("SquaredHinge", losses.squared_hinge, "squared_hinge",
                            "Mean squared hinge loss.")
CategoricalHinge = _loss_metric("CategoricalHinge", losses.categorical_hinge,
                                "categorical_hinge", "Mean categorical hinge loss.")
