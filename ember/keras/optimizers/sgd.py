"""Stochastic gradient descent, with optional (Nesterov) momentum, as ``keras.optimizers.SGD``.

>>> import ember, numpy as np
>>> from ember.keras.optimizers import SGD
>>> w = ember.Variable(np.array([1.0, 2.0], "float32"))
>>> SGD(learning_rate=0.1).apply([np.array([1.0, 1.0], "float32")], [w])
>>> w.numpy()
array([0.9, 1.9], dtype=float32)
"""

import numpy as np

from ..registry import builtin
from .base import Optimizer, common_arguments


@builtin("optimizers")
class SGD(Optimizer):
    """``w -= lr * g``; with momentum ``m = momentum * m - lr * g; w += m``; with Nesterov
    ``w += momentum * m - lr * g``. Defaults: learning_rate=0.01, momentum=0.0."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **common_arguments(locals()),
                         **kwargs)
        if (not isinstance(momentum, (int, float)) or isinstance(momentum, bool)
                or momentum < 0 or momentum > 1):
            raise ValueError("`momentum` must be a float between [0, 1]. "
                             f"Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def _slot_specs(self):
        return [("momentum", 0.0)] if self.momentum != 0 else []

    def _update(self, w, g, slots, c, tmp):
        t = tmp[0]
        np.multiply(g, c["lr"], out=t)  # lr * g
        if self.momentum == 0:
            w -= t
            return
        m = slots["momentum"]
        m *= self.momentum
        m -= t
        if self.nesterov:
            w -= t
            np.multiply(m, self.momentum, out=t)
            w += t
        else:
            w += m

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
