"""``Callback`` (hooks into fit/evaluate/predict) and ``CallbackList`` (calls them all).

The hook names, arguments and calling order are Keras 3's (``K:keras/src/callbacks/callback.py``,
``callback_list.py``). ``CallbackList`` calls only the hooks a callback actually overrides, so a
training step with History and the progress bar attached costs two Python calls, not twenty.
"""


def _default(method):
    """Mark a hook as the do-nothing default, so ``CallbackList`` can skip it."""
    method._is_default = True
    return method


class Callback:
    """Base class of callbacks: override the hooks you need.

    ``self.model`` is the model being trained and ``self.params`` a dict with ``verbose``,
    ``epochs`` and ``steps``. ``logs`` holds Python floats keyed like ``History.history``.

    >>> from ember import keras
    >>> class CountEpochs(keras.callbacks.Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.count = 0
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.count += 1
    >>> callback = CountEpochs()
    >>> callback.on_train_begin(); callback.on_epoch_end(0, {"loss": 0.5}); callback.count
    1
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    @_default
    def on_batch_begin(self, batch, logs=None):
        """A backwards compatibility alias for ``on_train_batch_begin``."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """A backwards compatibility alias for ``on_train_batch_end``."""

    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch of ``fit`` (``epoch`` counts from 0)."""

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; ``logs`` has the epoch's metrics and ``val_`` ones."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        """Called before a training batch (``batch`` is its index within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch; ``logs`` has the running epoch metrics."""
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of ``evaluate`` (or of validation inside ``fit``)."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of ``evaluate`` (or of validation inside ``fit``)."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of ``predict``."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of ``predict``."""

    @_default
    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts."""

    @_default
    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends; ``logs`` are the last epoch's."""

    @_default
    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` (or validation inside ``fit``) starts."""

    @_default
    def on_test_end(self, logs=None):
        """Called when ``evaluate`` (or validation inside ``fit``) ends."""

    @_default
    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts."""

    @_default
    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends."""


_HOOKS = (
    "on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end", "on_train_begin", "on_train_end",
    "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
)
# the default train-batch hooks forward to these legacy names
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, hook):
    if not getattr(getattr(callback, hook), "_is_default", False):
        return True
    alias = _ALIASES.get(hook)
    return alias is not None and not getattr(getattr(callback, alias), "_is_default", False)


class CallbackList(Callback):
    """Holds callbacks and calls each hook on all of them, in order.

    Args:
        callbacks: a list of ``Callback`` instances (or one).
        add_history: append a ``History`` unless one is in ``callbacks``.
        add_progbar: append a ``ProgbarLogger`` unless one is in ``callbacks``.
        model: the model, given to every callback (``set_model``).
        **params: given to every callback (``set_params``), e.g. ``verbose``, ``epochs``,
            ``steps``.

    >>> from ember import keras
    >>> callbacks = keras.callbacks.CallbackList(add_history=True, epochs=1, steps=1, verbose=0)
    >>> callbacks.on_train_begin(); callbacks.on_epoch_end(0, {"loss": 0.5})
    >>> callbacks.callbacks[0].history
    {'loss': [0.5]}
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            _check_callback(callback)
        self._add_default_callbacks(add_history, add_progbar)
        if any(getattr(c, "primary_only", False) for c in self.callbacks):
            from ... import distributed

            if not distributed.is_primary():  # data-parallel: only rank 0 prints and writes
                self.callbacks = [c for c in self.callbacks
                                  if not getattr(c, "primary_only", False)]
        self._refresh_hooks()
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        from .history import History
        from .progbar_logger import ProgbarLogger

        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _refresh_hooks(self):
        """For each hook, the bound methods of the callbacks that override it."""
        self._hooks = {hook: [getattr(c, hook) for c in self.callbacks if _overrides(c, hook)]
                       for hook in _HOOKS}

    def append(self, callback):
        """Add one more callback at the end."""
        _check_callback(callback)
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._refresh_hooks()

    def __iter__(self):
        return iter(self.callbacks)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    # ----- dispatch: epoch and begin/end hooks take logs positionally, batch hooks by name ----
    def _call(self, hook, logs):
        functions = self._hooks[hook]
        if functions:
            logs = {} if logs is None else logs
            for fn in functions:
                fn(logs)

    def _call_indexed(self, hook, index, logs, keyword):
        functions = self._hooks[hook]
        if functions:
            logs = {} if logs is None else logs
            for fn in functions:
                if keyword:
                    fn(index, logs=logs)
                else:
                    fn(index, logs)

    def on_batch_begin(self, batch, logs=None):
        self._call_indexed("on_batch_begin", batch, logs, True)

    def on_batch_end(self, batch, logs=None):
        self._call_indexed("on_batch_end", batch, logs, True)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_indexed("on_epoch_begin", epoch, logs, False)

    def on_epoch_end(self, epoch, logs=None):
        self._call_indexed("on_epoch_end", epoch, logs, False)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_indexed("on_train_batch_begin", batch, logs, True)

    def on_train_batch_end(self, batch, logs=None):
        self._call_indexed("on_train_batch_end", batch, logs, True)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_indexed("on_test_batch_begin", batch, logs, True)

    def on_test_batch_end(self, batch, logs=None):
        self._call_indexed("on_test_batch_end", batch, logs, True)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_indexed("on_predict_batch_begin", batch, logs, True)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_indexed("on_predict_batch_end", batch, logs, True)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)


def _check_callback(callback):
    if not isinstance(callback, Callback):
        raise TypeError(
            "Expected every element of `callbacks` to be a `keras.callbacks.Callback` instance. "
            f"Received: {callback!r:.100} (of type {type(callback).__name__})"
        )
