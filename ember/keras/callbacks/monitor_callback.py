"""What EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share: the monitored quantity,
which direction is better, and when a new value counts as an improvement."""

import re
import warnings

from .callback import Callback

# Direction of Keras' built-in metrics (their ``_direction``), by snake_case name or alias; used
# when the model's own metric objects do not say (see ``metric_direction``).
_UP = {
    "accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "precision",
    "recall", "f1_score", "fbeta_score", "r2_score", "iou", "binary_iou", "mean_iou",
    "one_hot_iou", "one_hot_mean_iou", "cosine_similarity", "precision_at_recall",
    "recall_at_precision", "sensitivity_at_specificity", "specificity_at_sensitivity",
    "true_positives", "true_negatives",
}
_DOWN = {
    "loss", "mean_squared_error", "mse", "mean_absolute_error", "mae",
    "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
    "root_mean_squared_error", "binary_crossentropy", "bce", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_focal_crossentropy",
    "categorical_focal_crossentropy", "kl_divergence", "kld", "poisson", "hinge",
    "squared_hinge", "categorical_hinge", "log_cosh_error", "logcosh", "false_positives",
    "false_negatives",
}


def _metric_objects(model):
    """The model's metric objects, containers (objects with ``.metrics``) opened."""
    stack = list(getattr(model, "metrics", None) or [])
    found = []
    while stack:
        metric = stack.pop(0)
        found.append(metric)
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            stack.extend(inner)
    return found


def metric_direction(model, monitor):
    """``"up"`` or ``"down"`` for a monitored name like ``val_accuracy``; None when unknown.

    The model's metric object of that name decides through its ``_direction``, as in Keras;
    failing that, Keras' built-in metric names and any ``*loss`` name do.
    """
    name = monitor.removeprefix("val_")
    if name == "loss":
        return "down"
    for metric in _metric_objects(model):
        if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
            return metric._direction
    base = re.sub(r"_\d+$", "", name).lower()  # auto-numbered names: auc_1
    if base in _UP:
        return "up"
    if base in _DOWN or base.endswith("_loss"):
        return "down"
    return None


class MonitorCallback(Callback):
    """Base of callbacks that watch ``monitor`` in the epoch logs (Keras' ``MonitorCallback``).

    ``mode`` is ``"min"``, ``"max"`` or ``"auto"`` (the direction comes from the metric);
    ``baseline`` is the initial best value (None: the first value seen); a change smaller than
    ``min_delta`` is no improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            direction = "down"
        elif self.mode == "max":
            direction = "up"
        else:
            direction = metric_direction(self.model, self.monitor)
            if direction is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    "Keras isn't able to automatically determine whether that metric should be "
                    "maximized or minimized. Pass `mode='max'` in order to monitor based on the "
                    "highest metric value, or pass `mode='min'` in order to use the lowest value."
                )
        if direction == "up":
            self.monitor_op = _greater
        else:
            self.monitor_op = _less
            self.min_delta *= -1
        if self.best is None:
            self.best = float("inf") if self.monitor_op is _less else float("-inf")

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return self.monitor_op(monitor_value - self.min_delta, reference_value)


def _less(a, b):
    return a < b


def _greater(a, b):
    return a > b
