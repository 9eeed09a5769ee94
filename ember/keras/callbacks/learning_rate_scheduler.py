"""``LearningRateScheduler``: set the learning rate from a function of the epoch."""

import numpy as np

from ..utils.progbar import print_msg
from .callback import Callback


class LearningRateScheduler(Callback):
    """At the start of every epoch, set the learning rate to ``schedule(epoch, lr)``.

    ``schedule`` takes the epoch index (from 0) and the current learning rate and returns a
    float; the legacy one-argument form ``schedule(epoch)`` also works. Adds ``learning_rate``
    to each epoch's logs.

    >>> from ember import keras
    >>> def halve_after_ten(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.5
    >>> scheduler = keras.callbacks.LearningRateScheduler(halve_after_ten)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # the legacy schedule(epoch)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):
            for index, inner in enumerate(optimizer.optimizers):
                learning_rate = self._update_optimizer_lr(inner, epoch)
                if self.verbose > 0:
                    print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting "
                              f"{inner.name}_{index} learning rate to {learning_rate}.")
        else:
            learning_rate = self._update_optimizer_lr(optimizer, epoch)
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate "
                          f"to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):
            for index, inner in enumerate(optimizer.optimizers):
                logs[f"learning_rate_{inner.name}_{index}"] = float(inner.learning_rate)
        else:
            logs["learning_rate"] = float(optimizer.learning_rate)
