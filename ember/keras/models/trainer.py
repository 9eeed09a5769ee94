"""``compile``, ``fit``, ``evaluate``, ``predict`` and the one-batch variants.

One training step: forward with ``training=True``, the compiled loss plus the layers' losses,
``backward()`` into the flat gradient buffer, one vectorized optimizer update, metrics on NumPy.
"""

import numpy as np

from ... import backend, parallel
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ..keras_tensor import flatten, map_structure
from ..layers.base import _layers_with_losses
from ..ops import convert_to_numpy
from . import data_adapter
from .compile_utils import CompileLoss, CompileMetrics


class Trainer:
    """The training half of ``Model`` (mixed in; see ``Model``)."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_config = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_trackers = []
        self._step_cache = None
        self._shard_plan = None  # a ShardedStep, False (train in one piece) or None (not known yet)
        self._masked_outputs = None  # whether the outputs carry Keras masks (seen in training)
        self.distribute = None  # set by ember.distributed for data-parallel training

    # ----- compile ---------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, loss and metrics; every name is resolved and checked here."""
        from .. import metrics as metrics_module
        from .. import optimizers

        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        names = self._output_names()
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        # Keras' loss tracker: a Mean named "loss" (first in model.metrics), one per output too
        self._loss_trackers = []
        if self._compile_loss is not None:
            self._loss_trackers.append(metrics_module.Mean(name="loss"))
            if len(names) > 1:
                self._loss_trackers += [metrics_module.Mean(name=f"{n}_loss") for n in names]
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics, names,
                                               self._compile_loss)
        self._compile_config = {"optimizer": optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        self.compiled = True
        self._step_cache = None
        self._shard_plan = None

    def _output_names(self):
        outputs = getattr(self, "outputs", None)
        if outputs and len(outputs) > 1:
            return [t._history[0].name for t in outputs]
        return [getattr(self, "name", "output")]

    def _assert_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before calling `{method}()`. "
                               f"Example: model.compile(optimizer='adam', loss='mse')")
        if self._compile_loss is None and method in ("fit", "train_on_batch"):
            raise ValueError(f"`{method}()` needs a loss: call compile(..., loss=...) first.")

    @property
    def metrics(self):
        """The loss tracker(s) first, then the compiled metrics (Keras' ``model.metrics``)."""
        compiled = self._compile_metrics.metrics if self._compile_metrics else []
        return list(self._loss_trackers) + compiled

    @property
    def metrics_names(self):
        names = [tracker.name for tracker in self._loss_trackers]
        if self._compile_metrics is not None:
            names += self._compile_metrics.names
        return names

    def reset_metrics(self):
        for tracker in self._loss_trackers:
            tracker.reset_state()
        if self._compile_metrics is not None:
            self._compile_metrics.reset()

    # ----- one step --------------------------------------------------------------------------
    def _prepare_step(self):
        """What every step needs: trainable variables and regularized variables (cached once
        the model is built, so that the first step's build is taken into account)."""
        if self._step_cache is not None:
            return self._step_cache
        variables = self.trainable_weights
        regularized = [(v, v.regularizer) for v in variables if v.regularizer is not None]
        if self.built:
            self._step_cache = (variables, regularized)
        return variables, regularized

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the losses added by layers (regularization, ``add_loss``)."""
        _, regularized = self._prepare_step()
        total, parts = self._compile_loss(y, y_pred, sample_weight)
        for layer in _layers_with_losses:
            for extra in layer._losses:
                total = total + extra
        for variable, regularizer in regularized:
            total = total + regularizer(variable)
        self._last_output_losses = parts
        return total

    def _track_loss(self, loss, batch_size):
        """Update the running mean of the loss (and of each output's loss) by batch size."""
        trackers = self._loss_trackers
        trackers[0].update_state(float(loss.data), sample_weight=batch_size)
        if len(trackers) > 1:
            for tracker, part in zip(trackers[1:], self._last_output_losses):
                if part is not None:
                    tracker.update_state(float(part.data), sample_weight=batch_size)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with this batch and return all current results."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """The current value of every metric, the loss first, as Python floats."""
        logs = {tracker.name: tracker.result() for tracker in self._loss_trackers
                if tracker.count.data}
        if self._compile_metrics is not None:
            logs.update(self._compile_metrics.results())
        return logs

    def train_step(self, data):
        """One optimization step on a batch ``(x, y, sample_weight)``; returns the logs."""
        x, y, sample_weight = data_adapter.unpack(data)
        if self.distribute is not None and _batch_size(x) == 0:  # this rank's shard is empty
            return self.distribute.empty_step(self, self._prepare_step()[0])
        plan = self._sharded_step()
        bounds = plan.bounds(x) if plan and plan.can_train() else None
        if bounds is not None:  # one shard per thread (sharded_step.py)
            return plan.train(x, y, sample_weight, bounds)
        y_pred = self(x, training=True)
        if self._masked_outputs is None:  # whether outputs carry masks: fixed by the layers
            self._masked_outputs = any(getattr(t, "_keras_mask", None) is not None
                                       for t in flatten(y_pred))
        variables = self._prepare_step()[0]  # after the forward pass, which may build the model
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        self._track_loss(loss, _batch_size(x))
        loss.backward()
        if self.distribute is not None:
            self.distribute.reduce_gradients(self, variables)
        self.optimizer.apply([v.grad for v in variables], variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _sharded_step(self):
        """The model's ShardedStep, or False; decided once the model is built (and again if
        the thread count changes)."""
        plan = self._shard_plan
        if plan is None or (plan and plan.threads != parallel.get_num_threads()):
            if not self.built:
                return False
            from .sharded_step import shard_plan

            plan = self._shard_plan = shard_plan(self) or False
        return plan

    def _forward(self, x):
        """``self(x, training=False)``, one shard per thread for large batches."""
        plan = self._sharded_step()
        bounds = plan.bounds(x) if plan else None
        return plan.infer(x, bounds) if bounds is not None else self(x, training=False)

    def test_step(self, data):
        """Loss and metrics on one batch, without gradients."""
        x, y, sample_weight = data_adapter.unpack(data)
        if self.distribute is not None and _batch_size(x) == 0:  # this rank's shard is empty
            return self.get_metrics_result()
        y_pred = self._forward(x)
        if self._compile_loss is not None and y is not None:
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
            self._track_loss(loss, _batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = data_adapter.unpack(data)
        return self._forward(x)

    # ----- data ------------------------------------------------------------------------------
    def _batches(self, x, y, sample_weight, batch_size, shuffle, steps, class_weight=None):
        float_dtype = np.dtype(self.compute_dtype)
        if x is not None and not data_adapter.is_array_like(x):
            if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
                raise TypeError(f"Unrecognized data type: x={x!r:.80} (of type "
                                f"{type(x).__name__}). Pass NumPy arrays, lists or dicts of "
                                f"arrays, or an iterable of (x, y) batches.")
            return data_adapter.IterableBatches(x, steps, float_dtype)
        if x is None:
            raise ValueError("`x` is required: pass the input data.")
        xs = data_adapter.to_arrays(x, "x", float_dtype)
        ys = data_adapter.to_arrays(y, "y", float_dtype)
        sws = data_adapter.to_arrays(sample_weight, "sample_weight", float_dtype)
        if class_weight is not None:
            sws = _apply_class_weight(ys, sws, class_weight)
        return data_adapter.ArrayBatches(xs, ys, sws, batch_size or 32, shuffle)

    # ----- fit -------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History`` (``.history``, ``.params``,
        ``.epoch``).

        >>> history = model.fit(x_train, y_train, epochs=10, validation_split=0.2)  # doctest: +SKIP
        """
        from ..callbacks import CallbackList

        self._assert_compiled("fit")
        verbose = _verbose(verbose)
        if self.distribute is None:
            from ... import distributed

            self.distribute = distributed.strategy_for(self)
        if self.distribute is not None:
            self.distribute.prepare(self)
            verbose = verbose if self.distribute.is_primary() else 0
        if validation_split and validation_data is None:
            if not data_adapter.is_array_like(x):
                raise ValueError("`validation_split` is only supported for array inputs.")
            float_dtype = np.dtype(self.compute_dtype)
            arrays = [data_adapter.to_arrays(a, n, float_dtype) for a, n in
                      ((x, "x"), (y, "y"), (sample_weight, "sample_weight"))]
            n = data_adapter.check_same_length(*arrays)
            (x, y, sample_weight), validation_data = data_adapter.split_validation(
                arrays, n, validation_split)
        batches = self._batches(x, y, sample_weight, batch_size, shuffle, steps_per_epoch,
                                class_weight)
        if self.distribute is not None:
            batches = self.distribute.shard_batches(batches)
        steps = steps_per_epoch or (len(batches) if len(batches) is not None else None)
        val_data = None
        if validation_data is not None:
            val_data = data_adapter.unpack(validation_data) if isinstance(
                validation_data, (tuple, list)) else (validation_data, None, None)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self, verbose=verbose,
            epochs=epochs, steps=steps)
        self.stop_training = False
        self._step_cache = None
        logs = {}
        epoch_logs = {}
        callback_list.on_train_begin()
        # Hook for BackupAndRestore (engineer E): a callback that restored a backup in
        # on_train_begin sets model._initial_epoch to the first epoch still to run (Keras 3).
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        self._initial_epoch = None
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                for step, batch in enumerate(batches.epoch()):
                    if steps_per_epoch is not None and step >= steps_per_epoch:
                        break
                    callback_list.on_train_batch_begin(step)
                    logs = _sorted_logs(self.train_step(batch))
                    callback_list.on_train_batch_end(step, logs)
                    if self.distribute is not None:  # one rank stopping stops them all
                        self.stop_training = self.distribute.should_stop(self.stop_training)
                    if self.stop_training:
                        break
                epoch_logs = dict(self._epoch_logs(logs))
                if val_data is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self.evaluate(
                        val_data[0], val_data[1], sample_weight=val_data[2],
                        batch_size=validation_batch_size or batch_size, steps=validation_steps,
                        verbose=0, return_dict=True, callbacks=callback_list)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.distribute is not None:
                    self.stop_training = self.distribute.should_stop(self.stop_training)
                if self.stop_training:
                    break
        finally:
            callback_list.on_train_end(epoch_logs)
        return self.history

    def _epoch_logs(self, logs):
        if self.distribute is not None:
            return self.distribute.average_logs(logs)
        return logs

    # ----- evaluate / predict -------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics on data: a float, a list ``[loss, *metrics]`` or a dict."""
        from ..callbacks import CallbackList

        self._assert_compiled("evaluate")
        verbose = _verbose(verbose)
        batches = self._batches(x, y, sample_weight, batch_size, False, steps)
        if self.distribute is not None:
            batches = self.distribute.shard_batches(batches)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=steps or len(batches))
        self._prepare_step()
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        with no_grad():
            for step, batch in enumerate(batches.epoch()):
                if steps is not None and step >= steps:
                    break
                callback_list.on_test_batch_begin(step)
                logs = _sorted_logs(self.test_step(batch))
                callback_list.on_test_batch_end(step, logs)
        logs = dict(self._epoch_logs(logs))
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as NumPy arrays, batch by batch, building no graph."""
        from ..callbacks import CallbackList

        verbose = _verbose(verbose)
        batches = self._batches(x, None, None, batch_size, False, steps)
        callback_list = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
            steps=steps or len(batches))
        outputs = []
        callback_list.on_predict_begin()
        with no_grad():
            for step, batch in enumerate(batches.epoch()):
                if steps is not None and step >= steps:
                    break
                callback_list.on_predict_batch_begin(step)
                out = self.predict_step(batch)
                outputs.append(map_structure(convert_to_numpy, out))
                callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict: the input data is empty (0 samples).")
        first = outputs[0]
        if isinstance(first, np.ndarray):
            return np.concatenate(outputs)
        return _concat_structures(outputs)

    # ----- one batch ---------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimization step on one batch; returns the loss (and metrics)."""
        self._assert_compiled("train_on_batch")
        batch = next(iter(self._batches(x, y, sample_weight, None, False, None,
                                        class_weight).epoch_all()))
        logs = _sorted_logs(self.train_step(batch))
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch, without updating weights."""
        self._assert_compiled("test_on_batch")
        self._prepare_step()
        batch = next(iter(self._batches(x, y, sample_weight, None, False, None).epoch_all()))
        with no_grad():
            logs = _sorted_logs(self.test_step(batch))
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x):
        """Model outputs for one batch as NumPy arrays."""
        batch = next(iter(self._batches(x, None, None, None, False, None).epoch_all()))
        with no_grad():
            return map_structure(convert_to_numpy, self.predict_step(batch))

    def _format_logs(self, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def zero_grad(self):
        """Forget accumulated gradients (for custom loops that call ``loss.backward()``)."""
        for v in self.trainable_weights:
            if v.grad is not None:
                v.grad[...] = 0


def _batch_size(x):
    first = x if isinstance(x, (np.ndarray, Tensor)) else flatten(x)[0]
    return len(first)


def _concat_structures(outputs):
    first = outputs[0]
    if isinstance(first, dict):
        return {k: np.concatenate([o[k] for o in outputs]) for k in first}
    return type(first)(np.concatenate([o[i] for o in outputs]) for i in range(len(first)))


def _sorted_logs(logs):
    return dict(sorted(logs.items()))


def _verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return verbose


def _apply_class_weight(y, sample_weight, class_weight):
    if not isinstance(y, np.ndarray):
        raise ValueError("`class_weight` is only supported for models with a single output.")
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    table = np.ones(int(max(labels.max() + 1, max(class_weight) + 1)), backend.default_float())
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    weights = table[labels]
    return weights if sample_weight is None else sample_weight * weights
