"""``TerminateOnNaN``: stop training at the first NaN or infinite loss."""

import math

from ..utils.progbar import print_msg
from .callback import Callback


class TerminateOnNaN(Callback):
    """Stop ``fit`` when a batch's loss is NaN or infinite.

    Args:
        raise_error: raise ``RuntimeError`` at once instead of stopping gracefully (which lets
            every callback's ``on_train_end`` run).

    >>> from ember import keras
    >>> guard = keras.callbacks.TerminateOnNaN()
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
