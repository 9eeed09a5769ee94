"""What ``compile`` resolves: the loss (per output, weighted) and the metrics (per output).

Names are resolved and validated in ``compile``; only ``"accuracy"``/``"acc"`` and
``"crossentropy"``/``"ce"`` wait for the first batch, where the shapes tell which variant fits,
as in Keras.
"""

import numpy as np

from ...autograd.tensor import Tensor
from ...ops.nn import Softmax
from ..keras_tensor import flatten
from ..metrics.base import MeanMetricWrapper

_SHAPE_DEPENDENT = {"accuracy", "acc", "crossentropy", "ce"}


def _per_output(spec, output_names, what):
    """``spec`` (single, list or dict) as one entry per output."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"compile: `{what}` has keys {unknown} that are not output names. "
                             f"Output names: {output_names}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1 and what == "loss":
        if len(spec) != n:
            raise ValueError(f"compile: `loss` is a list of {len(spec)} losses, but the model has "
                             f"{n} outputs {output_names}.")
        return list(spec)
    return [spec] * n


class CompileLoss:
    """The compiled loss: one Loss per output, weighted and summed."""

    def __init__(self, loss, loss_weights, output_names):
        from .. import losses

        self.output_names = output_names
        specs = _per_output(loss, output_names, "loss")
        # "crossentropy"/"ce" wait for the first batch: the shapes tell which one fits
        self.losses = [s if s in _SHAPE_DEPENDENT else losses.get(s) if s is not None else None
                       for s in specs]
        if all(item is None for item in self.losses):
            raise ValueError("compile: `loss` is required for training. Received: loss=None")
        if loss_weights is None:
            self.weights = [1.0] * len(output_names)
        elif isinstance(loss_weights, dict):
            self.weights = [float(loss_weights.get(n, 1.0)) for n in output_names]
        else:
            weights = list(loss_weights) if isinstance(loss_weights, (list, tuple)) \
                else [loss_weights]
            if len(weights) != len(output_names):
                raise ValueError(f"compile: `loss_weights` has {len(weights)} entries for "
                                 f"{len(output_names)} outputs.")
            self.weights = [float(w) for w in weights]
        self._logit_twins = [_logits_twin(item) for item in self.losses]

    def __call__(self, y_true, y_pred, sample_weight=None):
        """(total loss tensor, [per-output loss tensors])."""
        trues = _as_list(y_true, len(self.output_names), self.output_names, "y")
        preds = flatten(y_pred) if not isinstance(y_pred, Tensor) else [y_pred]
        weights = _as_list(sample_weight, len(self.output_names), self.output_names,
                           "sample_weight") if sample_weight is not None else [None] * len(preds)
        total, parts = None, []
        if any(isinstance(item, str) for item in self.losses):
            self._resolve(trues, preds)
        for loss, twin, weight, yt, yp, sw in zip(self.losses, self._logit_twins, self.weights,
                                                   trues, preds, weights):
            if loss is None:
                parts.append(None)
                continue
            logits = _softmax_logits(yp) if twin is not None else None
            if logits is not None and getattr(yp, "_keras_mask", None) is not None:
                logits._keras_mask = yp._keras_mask  # the loss averages over unmasked steps
            value = twin(yt, logits, sw) if logits is not None else loss(yt, yp, sw)
            parts.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, parts


    def _resolve(self, trues, preds):
        from .. import losses

        for i, item in enumerate(self.losses):
            if isinstance(item, str):
                cls = losses.resolve_crossentropy(np.shape(trues[i]), tuple(preds[i].shape))
                self.losses[i] = cls()
                self._logit_twins[i] = _logits_twin(self.losses[i])


def _logits_twin(loss):
    """For a crossentropy on probabilities, the same loss on logits (used after a softmax).

    Keras' TensorFlow backend does the same: the softmax output remembers its logits and the
    crossentropy is computed from them, exact and stable, with one op less in the backward pass.
    """
    if loss is None or isinstance(loss, str) or getattr(loss, "from_logits", True):
        return None
    if getattr(loss, "probabilities_kind", None) not in ("sparse", "categorical"):
        return None
    config = dict(loss.get_config())
    config["from_logits"] = True
    try:
        return type(loss).from_config(config)
    except (TypeError, ValueError):
        return None


def _softmax_logits(y_pred):
    ctx = y_pred._ctx
    if isinstance(ctx, Softmax) and not ctx.released and ctx.axis in (-1, y_pred.ndim - 1):
        return ctx.parents[0]
    return None


def _as_list(values, n, names, what):
    if isinstance(values, dict):
        return [values.get(name) for name in names]
    if n == 1:
        return [values]
    if not isinstance(values, (list, tuple)) or len(values) != n:
        raise ValueError(f"The model has {n} outputs {names}; `{what}` must be a list or dict "
                         f"with one entry per output.")
    return list(values)


class CompileMetrics:
    """Metrics per output, named as the user wrote them (prefixed by the output name when the
    model has several outputs)."""

    def __init__(self, metrics, weighted_metrics, output_names, compile_loss):
        self.output_names = output_names
        self.compile_loss = compile_loss
        self.entries = []  # [output index, name, metric or identifier, weighted]
        for spec, weighted in ((metrics, False), (weighted_metrics, True)):
            if spec is None:
                continue
            for index, items in enumerate(self._by_output(spec)):
                for item in items:
                    if item is None:
                        continue
                    if isinstance(item, str) and item in _SHAPE_DEPENDENT:
                        metric = item  # resolved on the first batch
                        name = item
                    else:
                        from .. import metrics as metrics_module

                        metric = metrics_module.get(item)
                        name = item if isinstance(item, str) else metric.name
                    if len(output_names) > 1:
                        name = f"{output_names[index]}_{name}"
                    self.entries.append([index, name, metric, weighted])
        names = [entry[1] for entry in self.entries]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"compile: metric names must be unique. Duplicated: "
                             f"{sorted(duplicates)}")

    def _by_output(self, spec):
        names = self.output_names
        if isinstance(spec, dict):
            unknown = [k for k in spec if k not in names]
            if unknown:
                raise ValueError(f"compile: `metrics` has keys {unknown} that are not output "
                                 f"names. Output names: {names}")
            return [_as_items(spec.get(n)) for n in names]
        if not isinstance(spec, (list, tuple)):
            spec = [spec]
        if len(names) > 1 and spec and all(isinstance(s, (list, tuple)) or s is None
                                           for s in spec):
            if len(spec) != len(names):
                raise ValueError(f"compile: `metrics` has {len(spec)} entries for "
                                 f"{len(names)} outputs.")
            return [_as_items(s) for s in spec]
        return [list(spec) for _ in names]  # a flat list applies to every output

    @property
    def names(self):
        return [entry[1] for entry in self.entries]

    @property
    def metrics(self):
        return [entry[2] for entry in self.entries if not isinstance(entry[2], str)]

    def update(self, y_true, y_pred, sample_weight=None):
        """Update every metric with NumPy arrays of this batch."""
        if not self.entries:
            return
        n = len(self.output_names)
        trues = _as_list(y_true, n, self.output_names, "y")
        outputs = [y_pred] if isinstance(y_pred, Tensor) else flatten(y_pred)
        preds = [p.data for p in outputs]
        masks = [getattr(p, "_keras_mask", None) for p in outputs]
        weights = (_as_list(sample_weight, n, self.output_names, "sample_weight")
                   if sample_weight is not None else [None] * n)
        for entry in self.entries:
            index, _, metric, weighted = entry
            if isinstance(metric, str):
                metric = entry[2] = self._resolve(metric, entry[1], trues[index], preds[index],
                                                  index)
            pred = preds[index]
            if masks[index] is not None and isinstance(metric, MeanMetricWrapper):
                pred = Tensor(pred)  # the mask travels with the prediction, as in Keras
                pred._keras_mask = masks[index]
            metric.update_state(trues[index], pred,
                                weights[index] if weighted or weights[index] is not None else None)

    def _resolve(self, identifier, name, y_true, y_pred, index):
        from .. import metrics as metrics_module

        loss = self.compile_loss.losses[index] if self.compile_loss else None
        if identifier in ("accuracy", "acc"):
            cls = metrics_module.resolve_accuracy(np.shape(y_true), np.shape(y_pred), loss)
        else:
            cls = metrics_module.resolve_crossentropy(np.shape(y_true), np.shape(y_pred), loss)
        return cls(name=name)

    def reset(self):
        for entry in self.entries:
            if not isinstance(entry[2], str):
                entry[2].reset_state()

    def results(self):
        out = {}
        for _, name, metric, _ in self.entries:
            if isinstance(metric, str):
                continue
            value = metric.result()
            out[name] = _to_python(value)
        return out


def _as_items(spec):
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _to_python(value):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, dict):
        return {k: _to_python(v) for k, v in value.items()}
    array = np.asarray(value)
    return float(array) if array.ndim == 0 else array
