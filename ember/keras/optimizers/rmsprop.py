"""Optimizers that divide by a running root-mean-square: RMSprop, Adagrad, Adadelta.

Keras' epsilon sits inside the square root for all three.

>>> from ember.keras.optimizers import RMSprop
>>> RMSprop().get_config()["rho"]
0.9
"""

import numpy as np

from ..registry import builtin
from .base import Optimizer, common_arguments


@builtin("optimizers")
class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) * g**2; w -= lr * g / sqrt(v + eps)``; ``centered`` subtracts
    the squared mean gradient; ``momentum`` adds a momentum on the increment.
    Defaults: lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False."""

    _scratch_count = 2

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **common_arguments(locals()),
                         **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _slot_specs(self):
        specs = [("velocity", 0.0)]
        if self.momentum > 0:
            specs.append(("momentum", 0.0))
        if self.centered:
            specs.append(("average_gradient", 0.0))
        return specs

    def _update(self, w, g, slots, c, tmp):
        rho, (t, t2) = self.rho, tmp
        v = slots["velocity"]
        v *= rho
        np.square(g, out=t)
        t *= 1.0 - rho
        v += t
        if self.centered:
            a = slots["average_gradient"]
            a *= rho
            np.multiply(g, 1.0 - rho, out=t)
            a += t
            np.square(a, out=t2)
            np.subtract(v, t2, out=t)
            t += self.epsilon
        else:
            np.add(v, self.epsilon, out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= c["lr"]  # the increment lr * g / sqrt(denominator)
        if self.momentum > 0:
            m = slots["momentum"]
            m *= self.momentum
            m += t
            w -= m
        else:
            w -= t

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config


@builtin("optimizers")
class Adagrad(Optimizer):
    """``a += g**2; w -= lr * g / sqrt(a + eps)``.
    Defaults: lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adagrad",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **common_arguments(locals()),
                         **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_specs(self):
        return [("accumulator", self.initial_accumulator_value)]

    def _update(self, w, g, slots, c, tmp):
        a, t = slots["accumulator"], tmp[0]
        np.square(g, out=t)
        a += t
        np.add(a, self.epsilon, out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= c["lr"]
        w -= t

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


@builtin("optimizers")
class Adadelta(Optimizer):
    """``a = rho * a + (1 - rho) * g**2; d = -sqrt(u + eps) / sqrt(a + eps) * g;
    u = rho * u + (1 - rho) * d**2; w += lr * d``. Defaults: lr=0.001, rho=0.95, eps=1e-7."""

    _scratch_count = 2

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **common_arguments(locals()),
                         **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _slot_specs(self):
        return [("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]

    def _update(self, w, g, slots, c, tmp):
        rho, eps, (t, t2) = self.rho, self.epsilon, tmp
        a, u = slots["accumulated_grad"], slots["accumulated_delta_var"]
        a *= rho
        np.square(g, out=t)
        t *= 1.0 - rho
        a += t
        np.add(u, eps, out=t)
        np.sqrt(t, out=t)
        t *= g
        np.add(a, eps, out=t2)
        np.sqrt(t2, out=t2)
        t /= t2  # -delta
        u *= rho
        np.square(t, out=t2)
        t2 *= 1.0 - rho
        u += t2
        t *= c["lr"]
        w -= t

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
