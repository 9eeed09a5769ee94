"""``ProgbarLogger``: prints fit/evaluate/predict progress in Keras 3's format."""

from ..utils.progbar import Progbar, print_msg
from .callback import Callback


class ProgbarLogger(Callback):
    """The progress output of ``fit``, ``evaluate`` and ``predict`` (added when verbose != 0).

    ``verbose=1``: ``Epoch 3/100`` (when there is more than one epoch), then a bar,
    ``4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.9000 - loss: 0.3000 - val_...``, redrawn
    in place on a terminal and written once per epoch elsewhere. ``verbose=2``: one line per
    epoch, ``4/4 - 0s - 2ms/step - accuracy: 0.9000 - loss: 0.3000``. Validation inside ``fit``
    prints nothing of its own; its ``val_`` values appear on the epoch's line.

    >>> from ember import keras
    >>> logger = keras.callbacks.ProgbarLogger()
    >>> logger.set_params({"verbose": 2, "epochs": 1, "steps": 2})
    >>> logger.on_train_begin(); logger.on_epoch_begin(0)
    >>> logger.on_train_batch_end(0, {"loss": 0.5}); logger.on_train_batch_end(1, {"loss": 0.4})
    >>> logger.on_epoch_end(0, {"loss": 0.4})  # doctest: +ELLIPSIS
    2/2 - 0s - ...s/step - loss: 0.4000
    """

    primary_only = True  # under data-parallel training only rank 0 writes (CallbackList)

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation inside fit stays silent

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # predictions are not metrics

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                               stateless_metrics=set())

    def _update_progbar(self, batch, logs):
        if self.progbar is None:
            self._reset_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, logs, finalize=False)

    def _finalize_progbar(self, logs):
        if self.progbar is None:
            self._reset_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.target, logs or {}, finalize=True)
