"""Weight initializers with Keras' names, defaults and formulas.

``initializer(shape, dtype=None)`` returns a NumPy array (float32 by default). Random ones draw
from ember's seeded generator (``ember.set_random_seed``) unless given a ``seed``, in which case
every call returns the same values, as in Keras.

>>> from ember.keras import initializers
>>> init = initializers.get("glorot_uniform")
>>> init((4, 3)).shape
(4, 3)
>>> initializers.get("zeros")((2,))
array([0., 0.], dtype=float32)
"""

import math

import numpy as np

from .. import backend
from .families import get_object, saved_class, serialize_object
from .registry import builtin


def _dtype(dtype):
    dtype = np.dtype(dtype) if dtype is not None else backend.default_float()
    return dtype


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape; conv kernels are (..., in_channels, out_channels)."""
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: subclasses define ``__call__(shape, dtype=None)`` and ``get_config``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"Initializer {type(self).__name__} must define __call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class RandomInitializer(Initializer):
    """Base of the random initializers: ``seed=None`` draws from ember's generator; an int
    seed gives the same values on every call."""

    def __init__(self, seed=None):
        if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
            raise ValueError(f"`seed` argument should be an integer. Received: seed={seed!r}")
        self.seed = seed

    def _generator(self):
        return np.random.default_rng(self.seed) if self.seed is not None else backend.rng()

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(gen, mean, stddev, shape):
    """Normal samples redrawn until they lie within two standard deviations of the mean."""
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out * stddev + mean


@builtin("initializers")
class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, _dtype(dtype))


@builtin("initializers")
class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, _dtype(dtype))


@builtin("initializers")
class Constant(Initializer):
    """Every value ``value``."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, _dtype(dtype))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


@builtin("initializers")
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


@builtin("initializers")
class RandomNormal(RandomInitializer):
    """Samples from N(mean, stddev**2); Keras' defaults mean=0, stddev=0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        out = self._generator().normal(self.mean, self.stddev, shape)
        return out.astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@builtin("initializers")
class TruncatedNormal(RandomInitializer):
    """Normal samples more than two standard deviations from the mean are redrawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        out = _truncated_normal(self._generator(), self.mean, self.stddev, shape)
        return out.astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@builtin("initializers")
class RandomUniform(RandomInitializer):
    """Samples from U[minval, maxval); Keras' defaults -0.05 and 0.05."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        out = self._generator().uniform(self.minval, self.maxval, shape)
        return out.astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@builtin("initializers")
class VarianceScaling(RandomInitializer):
    """Samples scaled to the fan: variance ``scale / n`` where n is fan_in, fan_out or their mean.

    ``distribution``: "truncated_normal" (stddev corrected by 0.8796...), "untruncated_normal"
    or "uniform" (limit ``sqrt(3 * scale / n)``).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError("Argument `scale` must be positive float. "
                             f"Received: scale={scale}")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError('Invalid `mode` argument: expected one of {"fan_in", "fan_out", '
                             f'"fan_avg"}}. Received: mode={mode}')
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in {"uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError('Invalid `distribution` argument: expected one of {"uniform", '
                             f'"truncated_normal", "untruncated_normal"}}. '
                             f"Received: distribution={distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        gen = self._generator()
        if self.distribution == "truncated_normal":
            out = _truncated_normal(gen, 0.0, math.sqrt(scale) / 0.87962566103423978, shape)
        elif self.distribution == "untruncated_normal":
            out = gen.normal(0.0, math.sqrt(scale), shape)
        else:
            limit = math.sqrt(3.0 * scale)
            out = gen.uniform(-limit, limit, shape)
        return out.astype(_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _fixed_variance_scaling(name, scale, mode, distribution, doc):
    class Fixed(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

        def get_config(self):
            return {"seed": self.seed}

    Fixed.__name__ = Fixed.__qualname__ = name
    Fixed.__doc__ = doc
    return builtin("initializers")(Fixed)


GlorotUniform = _fixed_variance_scaling(
    "GlorotUniform", 1.0, "fan_avg", "uniform",
    "U[-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)) (Keras' default kernel init).")
GlorotNormal = _fixed_variance_scaling(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal",
    "Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).")
HeUniform = _fixed_variance_scaling(
    "HeUniform", 2.0, "fan_in", "uniform", "U[-limit, limit] with limit = sqrt(6 / fan_in).")
HeNormal = _fixed_variance_scaling(
    "HeNormal", 2.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(2 / fan_in).")
LecunUniform = _fixed_variance_scaling(
    "LecunUniform", 1.0, "fan_in", "uniform", "U[-limit, limit] with limit = sqrt(3 / fan_in).")
LecunNormal = _fixed_variance_scaling(
    "LecunNormal", 1.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(1 / fan_in).")


@builtin("initializers")
class OrthogonalInitializer(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of normal samples;
    shapes of rank > 2 are flattened to (prod(shape[:-1]), shape[-1])."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError("Orthogonal initializer only supports 2D+ shapes. "
                             f"Received shape={tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


Orthogonal = OrthogonalInitializer

_CLASSES = [Zeros, Ones, Constant, Identity, RandomNormal, TruncatedNormal, RandomUniform,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
            LecunNormal, OrthogonalInitializer]


def _table():
    from .naming import to_snake_case

    table = {cls.__name__: cls for cls in _CLASSES}
    table.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
    table.update({"uniform": RandomUniform, "normal": RandomNormal, "orthogonal": Orthogonal,
                  "Orthogonal": Orthogonal, "one": Ones, "zero": Zeros,
                  "IdentityInitializer": Identity})
    return table


ALL_OBJECTS_DICT = _table()


def get(identifier):
    """An initializer from a name (case-sensitive), a config dict, a class or an instance/callable.

    ``None`` gives ``None``; unknown names raise ``ValueError`` listing the valid ones.
    """
    return get_object("initializers", "initializer", ALL_OBJECTS_DICT, identifier, deserialize)


def serialize(initializer):
    """``{"module": "keras.initializers", "class_name": ..., "config": ..., ...}``."""
    return serialize_object("keras.initializers", initializer)


def deserialize(config, custom_objects=None):
    """The initializer saved by ``serialize`` (or a bare ``{"class_name", "config"}``)."""
    if isinstance(config, str):
        return get(config)
    cls = saved_class("initializers", "initializer", ALL_OBJECTS_DICT, config, custom_objects)
    return cls.from_config(config.get("config") or {})
