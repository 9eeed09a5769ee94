"""``LambdaCallback``: a callback made of plain functions."""

from .callback import Callback


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given.

    ``on_epoch_begin``/``on_epoch_end`` get ``(epoch, logs)``, ``on_train_begin``/
    ``on_train_end`` get ``(logs)``, ``on_train_batch_begin``/``on_train_batch_end`` get
    ``(batch, logs=...)``; any other hook can be given by name as a keyword argument.

    >>> from ember import keras
    >>> seen = []
    >>> callback = keras.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
    >>> callback.on_epoch_end(0, {"loss": 0.25}); seen
    [(0, 0.25)]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        if on_epoch_begin is not None:
            self.on_epoch_begin = on_epoch_begin
        if on_epoch_end is not None:
            self.on_epoch_end = on_epoch_end
        if on_train_begin is not None:
            self.on_train_begin = on_train_begin
        if on_train_end is not None:
            self.on_train_end = on_train_end
        if on_train_batch_begin is not None:
            self.on_train_batch_begin = on_train_batch_begin
        if on_train_batch_end is not None:
            self.on_train_batch_end = on_train_batch_end
