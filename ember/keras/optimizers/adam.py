"""Adam and its relatives: AdamW, Adamax, Nadam, with Keras' "epsilon hat" form
(``w -= alpha * m / (sqrt(v) + eps)`` with the bias corrections folded into ``alpha``).

>>> from ember.keras.optimizers import AdamW
>>> AdamW().weight_decay
0.004
"""

import math

import numpy as np

from ..registry import builtin
from .base import Optimizer, common_arguments


class _AdamBase(Optimizer):
    """What Adam, Adamax and Nadam share: ``beta_1``, ``beta_2``, ``epsilon`` and the moment
    updates, written in place with the scratch array ``t``."""

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, name, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _update_first_moment(self, g, m, t):
        """``m += (g - m)(1 - beta_1)``."""
        np.subtract(g, m, out=t)
        t *= 1.0 - self.beta_1
        m += t

    def _update_second_moment(self, g, v, t):
        """``v += (g**2 - v)(1 - beta_2)``."""
        np.square(g, out=t)
        t -= v
        t *= 1.0 - self.beta_2
        v += t

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


@builtin("optimizers")
class Adam(_AdamBase):
    """``m += (g - m)(1 - b1); v += (g**2 - v)(1 - b2);
    w -= lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)``.
    Defaults: lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name,
                         **common_arguments(locals()), **kwargs)
        self.amsgrad = amsgrad

    def _slot_specs(self):
        specs = [("momentum", 0.0), ("velocity", 0.0)]
        return specs + [("velocity_hat", 0.0)] if self.amsgrad else specs

    def _step_constants(self, step, lr):
        alpha = lr * math.sqrt(1 - self.beta_2 ** step) / (1 - self.beta_1 ** step)
        return {"lr": lr, "alpha": alpha}

    def _update(self, w, g, slots, c, tmp):
        m, v, t = slots["momentum"], slots["velocity"], tmp[0]
        self._update_first_moment(g, m, t)
        self._update_second_moment(g, v, t)
        if self.amsgrad:
            v_hat = slots["velocity_hat"]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=t)
        t += self.epsilon
        np.divide(m, t, out=t)
        t *= c["alpha"]
        w -= t

    def get_config(self):
        config = super().get_config()
        config["amsgrad"] = self.amsgrad
        return config


@builtin("optimizers")
class AdamW(Adam):
    """Adam with decoupled weight decay ``w -= w * weight_decay * lr`` (default 0.004)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adamw", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name, **common_arguments(locals()),
                         **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")


@builtin("optimizers")
class Adamax(_AdamBase):
    """``m += (g - m)(1 - b1); u = max(b2 * u, |g|); w -= lr * m / ((1 - b1**t)(u + eps))``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adamax",
                 **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name,
                         **common_arguments(locals()), **kwargs)

    def _slot_specs(self):
        return [("momentum", 0.0), ("norm", 0.0)]

    def _step_constants(self, step, lr):
        return {"lr": lr, "scale": lr / (1 - self.beta_1 ** step)}

    def _update(self, w, g, slots, c, tmp):
        m, u, t = slots["momentum"], slots["norm"], tmp[0]
        self._update_first_moment(g, m, t)
        u *= self.beta_2
        np.abs(g, out=t)
        np.maximum(u, t, out=u)
        np.add(u, self.epsilon, out=t)
        np.divide(m, t, out=t)
        t *= c["scale"]
        w -= t


@builtin("optimizers")
class Nadam(_AdamBase):
    """Adam with Nesterov momentum and Keras' momentum schedule ``u_t = b1 (1 - 0.5 * 0.96**t)``."""

    _scratch_count = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="nadam",
                 **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name,
                         **common_arguments(locals()), **kwargs)
        self._u_product = None

    def _slot_specs(self):
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _extra_variables(self):
        dtype = self._trainable_variables[0].dtype if self._trainable_variables else "float32"
        self._u_product = self._own_variable(np.ones((), dtype), "u_product")
        return [self._u_product]

    def _step_constants(self, step, lr):
        b1 = self.beta_1
        u_t = b1 * (1.0 - 0.5 * 0.96 ** step)
        u_t1 = b1 * (1.0 - 0.5 * 0.96 ** (step + 1))
        u_product = float(self._u_product.data) * u_t
        self._u_product.data[...] = u_product
        return {"lr": lr,
                "m_scale": u_t1 / (1.0 - u_product * u_t1),
                "g_scale": (1.0 - u_t) / (1.0 - u_product),
                "v_scale": 1.0 / (1.0 - self.beta_2 ** step)}

    def _update(self, w, g, slots, c, tmp):
        m, v, (t, t2) = slots["momentum"], slots["velocity"], tmp
        self._update_first_moment(g, m, t)
        self._update_second_moment(g, v, t)
        np.multiply(m, c["m_scale"], out=t)
        np.multiply(g, c["g_scale"], out=t2)
        t += t2  # m_hat
        np.multiply(v, c["v_scale"], out=t2)
        np.sqrt(t2, out=t2)
        t2 += self.epsilon
        t /= t2
        t *= c["lr"]
        w -= t
