"""``History``: what ``fit`` returns, the per-epoch logs as lists."""

from .callback import Callback


class History(Callback):
    """Records the logs of every epoch; ``fit`` adds one and returns it (also ``model.history``).

    Attributes:
        history: ``{key: [value of epoch 1, value of epoch 2, ...]}``, e.g. ``loss``,
            ``accuracy``, ``val_loss``, ``val_accuracy``, ``learning_rate``.
        epoch: the indices (from 0) of the epochs run.
        params: ``{"verbose": ..., "epochs": ..., "steps": ...}``.

    >>> from ember import keras
    >>> history = keras.callbacks.History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.9}); history.on_epoch_end(1, {"loss": 0.7})
    >>> history.history, history.epoch
    ({'loss': [0.9, 0.7]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        if self.model is not None:
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def plot(self, path="history.png", **kwargs):
        """Draw the loss and metric curves into a PNG (see ``ember.plot_history``)."""
        from ...plotting import plot_history

        return plot_history(self, path, **kwargs)
