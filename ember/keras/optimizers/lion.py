"""Lion (Chen et al., 2023): the sign of an interpolated momentum, as ``keras.optimizers.Lion``.

>>> from ember.keras.optimizers import Lion
>>> Lion().get_config()["beta_2"]
0.99
"""

import numpy as np

from ..registry import builtin
from .base import Optimizer, common_arguments


@builtin("optimizers")
class Lion(Optimizer):
    """``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``. Defaults: lr=0.001, beta_1=0.9, beta_2=0.99."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="lion", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **common_arguments(locals()),
                         **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def _slot_specs(self):
        return [("momentum", 0.0)]

    def _update(self, w, g, slots, c, tmp):
        m, t = slots["momentum"], tmp[0]
        np.multiply(m, self.beta_1, out=t)
        t2 = tmp[1]
        np.multiply(g, 1.0 - self.beta_1, out=t2)
        t += t2
        np.sign(t, out=t)
        t *= c["lr"]
        w -= t
        m *= self.beta_2
        np.multiply(g, 1.0 - self.beta_2, out=t)
        m += t

    _scratch_count = 2

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
