"""Metrics from confusion counts: TruePositives..., Precision, Recall, AUC and the
"X at Y" metrics (PrecisionAtRecall, ...).

>>> m = AUC(num_thresholds=3)
>>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
>>> m.result()
0.75
"""

import numpy as np

from ..registry import builtin
from ._confusion_counts import NEG_INF, confusion_counts, parse_thresholds
from .base import Metric, python_result, to_numpy

EPSILON = 1e-7
_COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _divide_no_nan(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class _ConfusionMetric(Metric):
    """Keeps the four counts per threshold; subclasses pick which they report."""

    _direction = "up"

    def _init_counts(self, thresholds, shape=None):
        self.thresholds = thresholds
        shape = shape or (len(thresholds),)
        for name in _COUNTS:
            setattr(self, name, self.add_variable(shape=shape, name=name, dtype="float64"))

    def _accumulate(self, y_true, y_pred, sample_weight, **options):
        for name, count in zip(_COUNTS, confusion_counts(y_true, y_pred, self.thresholds,
                                                         sample_weight, **options)):
            getattr(self, name).data += count


class _ConditionCount(_ConfusionMetric):
    _condition = None
    _direction = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self._init_counts(parse_thresholds(thresholds, 0.5))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(y_true, y_pred, sample_weight)

    def result(self):
        value = getattr(self, self._condition).data
        return float(value[0]) if len(self.thresholds) == 1 else value.copy()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


def _condition_class(name, condition, doc):
    cls = type(name, (_ConditionCount,), {"_condition": condition, "__doc__": doc})
    return builtin("metrics")(cls)


TruePositives = _condition_class("TruePositives", "true_positives",
                                 "The (weighted) number of true positives at each threshold.")
FalsePositives = _condition_class("FalsePositives", "false_positives",
                                  "The (weighted) number of false positives at each threshold.")
TrueNegatives = _condition_class("TrueNegatives", "true_negatives",
                                 "The (weighted) number of true negatives at each threshold.")
FalseNegatives = _condition_class("FalseNegatives", "false_negatives",
                                  "The (weighted) number of false negatives at each threshold.")


class _PrecisionRecall(_ConfusionMetric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        default = 0.5 if top_k is None else NEG_INF
        self._init_counts([default] if thresholds is None
                          else parse_thresholds(thresholds, default))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def _ratio(self, other):
        tp = self.true_positives.data
        value = _divide_no_nan(tp, tp + getattr(self, other).data)
        return float(value[0]) if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


@builtin("metrics")
class Precision(_PrecisionRecall):
    """``tp / (tp + fp)`` at ``thresholds`` (0.5), optionally within the ``top_k`` scores or
    for one ``class_id``."""

    def result(self):
        return self._ratio("false_positives")


@builtin("metrics")
class Recall(_PrecisionRecall):
    """``tp / (tp + fn)`` at ``thresholds`` (0.5), optionally within the ``top_k`` scores or
    for one ``class_id``."""

    def result(self):
        return self._ratio("false_negatives")


def _even_thresholds(num_thresholds):
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - EPSILON] + inner + [1.0 + EPSILON]


class _AtConstraint(_ConfusionMetric):
    """Base of SensitivityAtSpecificity & co: the best ``dependent`` value among thresholds
    where ``constrained >= value``."""

    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._value_name}` must be in the range [0, 1]. "
                             f"Received: {self._value_name}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        self._init_counts([0.5] if num_thresholds == 1 else _even_thresholds(num_thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._accumulate(y_true, y_pred, sample_weight, class_id=self.class_id)

    def _rates(self):
        tp, fp, tn, fn = (getattr(self, n).data for n in _COUNTS)
        return {"sensitivity": _divide_no_nan(tp, tp + fn), "recall": _divide_no_nan(tp, tp + fn),
                "specificity": _divide_no_nan(tn, tn + fp),
                "precision": _divide_no_nan(tp, tp + fp)}

    def result(self):
        rates = self._rates()
        constrained, dependent = rates[self._value_name], rates[self._dependent]
        feasible = constrained >= self.value
        return float(dependent[feasible].max(initial=0.0)) if feasible.any() else 0.0

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "class_id": self.class_id, self._value_name: self.value}


@builtin("metrics")
class SensitivityAtSpecificity(_AtConstraint):
    """Best sensitivity (recall) among thresholds where specificity >= ``specificity``."""

    _value_name, _dependent = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


@builtin("metrics")
class SpecificityAtSensitivity(_AtConstraint):
    """Best specificity among thresholds where sensitivity >= ``sensitivity``."""

    _value_name, _dependent = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


@builtin("metrics")
class PrecisionAtRecall(_AtConstraint):
    """Best precision among thresholds where recall >= ``recall``."""

    _value_name, _dependent = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


@builtin("metrics")
class RecallAtPrecision(_AtConstraint):
    """Best recall among thresholds where precision >= ``precision``."""

    _value_name, _dependent = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


@builtin("metrics")
class AUC(_ConfusionMetric):
    """Area under the ROC (default) or PR curve, by a Riemann sum over ``num_thresholds``
    (200) evenly spaced thresholds, as Keras approximates it."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        curve, summation_method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f'Invalid `curve` argument value "{curve}". Expected one of: '
                             "['ROC', 'PR']")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid `summation_method` argument value "{summation_method}". '
                             "Expected one of: ['interpolation', 'minoring', 'majoring']")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(float(t) for t in thresholds)
            thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = _even_thresholds(num_thresholds)
        super().__init__(name=name, dtype=dtype)
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, float)
        self._from_logits = from_logits
        self._thresholds = thresholds
        self._built = False
        if not multi_label:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)
        elif num_labels:
            self._build((None, num_labels))

    @property
    def thresholds(self):
        return list(self._thresholds)

    @thresholds.setter
    def thresholds(self, value):
        self._thresholds = list(value)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                                 f"{len(shape)}. Full shape received for `y_pred`: {shape}")
            self._num_labels = shape[1]
            self._init_counts(self._thresholds, (self.num_thresholds, self._num_labels))
        else:
            self._init_counts(self._thresholds)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_numpy(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = _sigmoid(y_pred)
        self._accumulate(y_true, y_pred, sample_weight, multi_label=self.multi_label,
                         label_weights=None if self.multi_label else self.label_weights)

    def _average(self, per_label):
        if not self.multi_label:
            return float(per_label)
        if self.label_weights is None:
            return float(np.mean(per_label))
        return float(_divide_no_nan(np.sum(per_label * self.label_weights),
                                    np.sum(self.label_weights)))

    def _interpolate_pr_auc(self):
        tp, fp, fn = (self.true_positives.data, self.false_positives.data,
                      self.false_negatives.data)
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        increments = _divide_no_nan(slope * (dtp + intercept * np.log(ratio)),
                                    np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increments.sum(axis=0))

    def result(self):
        if not self._built:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp, tn, fn = (getattr(self, n).data for n in _COUNTS)
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average(((x[:-1] - x[1:]) * heights).sum(axis=0))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": None if self.label_weights is None
                  else self.label_weights.tolist(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


__all__ = ["AUC", "FalseNegatives", "FalsePositives", "Precision", "PrecisionAtRecall",
           "Recall", "RecallAtPrecision", "SensitivityAtSpecificity",
           "SpecificityAtSensitivity", "TrueNegatives", "TruePositives", "python_result"]
