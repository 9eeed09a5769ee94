"""F-beta and F1 scores over classes (``average`` None, "micro", "macro" or "weighted").

>>> import numpy as np
>>> m = F1Score(threshold=0.5)
>>> m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
...                np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
>>> np.round(m.result(), 4)
array([0.5   , 0.8   , 0.6667])
"""

import numpy as np

from ..registry import builtin
from .base import Metric, python_result, to_numpy

EPSILON = 1e-7


@builtin("metrics")
class FBetaScore(Metric):
    """``(1 + beta**2) * p * r / (beta**2 * p + r)`` per class from accumulated counts.

    ``threshold=None`` marks each sample's top score as the prediction; otherwise scores above
    ``threshold`` are positive.
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: "
                             "{None, 'micro', 'macro', 'weighted'}. "
                             f"Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. "
                             f"Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify "
                                 f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape, pred_shape):
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={pred_shape} and "
                             f"y_true.shape={true_shape}.")
        shape = () if self.average == "micro" else (pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape=shape, name=name, dtype="float64"))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = to_numpy(y_true).astype(np.float64)
        y_pred = to_numpy(y_pred).astype(np.float64)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        weights = None if sample_weight is None else to_numpy(sample_weight, np.float64)

        def weighted_sum(values):
            if weights is not None:
                values = values * weights.reshape(-1, 1)
            return values.sum(axis=self.axis)

        self.true_positives.data += weighted_sum(predicted * y_true)
        self.false_positives.data += weighted_sum(predicted * (1 - y_true))
        self.false_negatives.data += weighted_sum((1 - predicted) * y_true)
        self.intermediate_weights.data += weighted_sum(y_true)

    def result(self):
        if not self._built:
            return 0.0
        tp = self.true_positives.data
        precision = tp / (tp + self.false_positives.data + EPSILON)
        recall = tp / (tp + self.false_negatives.data + EPSILON)
        b2 = self.beta ** 2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            score = np.sum(score * weights / (weights.sum() + EPSILON))
        elif self.average is not None:
            score = np.mean(score)
        return python_result(score)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


@builtin("metrics")
class F1Score(FBetaScore):
    """The harmonic mean of precision and recall (``FBetaScore`` with beta=1)."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
