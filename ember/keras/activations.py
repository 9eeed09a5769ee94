"""Keras' activation functions on ember tensors: ``keras.activations.relu``, ``get("gelu")``, ...

Every function takes a tensor (or array) and returns a tensor with gradients. The common ones
are ember's fused ops; the rest are single ops with their derivative written beside them.

>>> import ember
>>> from ember.keras import activations
>>> activations.get("relu")(ember.tensor([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
>>> activations.serialize(activations.get("swish"))
'silu'
"""

import numpy as np

from .. import ops
from ..autograd.function import Function
from ..ops._convert import to_tensor
from .identifiers import unknown_identifier_error


def _op(name, forward, derivative):
    """A one-input op from ``forward(x, **kw) -> y`` and ``derivative(x, y, g, **kw) -> dx``."""

    class Op(Function):
        def forward(self, x, **options):
            self.x, self.options = x, options
            self.y = np.asarray(forward(x, **options), dtype=x.dtype)
            return self.y

        def backward(self, g):
            return np.asarray(derivative(self.x, self.y, g, **self.options), dtype=g.dtype)

    Op.__name__ = Op.__qualname__ = name

    def apply(x, **options):
        return Op.apply(to_tensor(x), **options)

    return apply


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


_hard_silu = _op(
    "HardSilu",
    lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    lambda x, y, g: g * (np.clip(x / 6 + 0.5, 0, 1) + np.where(np.abs(x) < 3, x / 6, 0)),
)
_mish = _op(
    "Mish",
    lambda x: x * np.tanh(_softplus(x)),
    lambda x, y, g: g * (np.tanh(_softplus(x))
                         + x * (1 - np.tanh(_softplus(x)) ** 2) * _sigmoid(x)),
)
_celu = _op(
    "Celu",
    lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha)),
    lambda x, y, g, alpha: g * np.where(x > 0, 1, np.exp(np.minimum(x, 0) / alpha)),
)
_hard_shrink = _op(
    "HardShrink",
    lambda x, threshold: np.where(np.abs(x) > threshold, x, 0),
    lambda x, y, g, threshold: g * (np.abs(x) > threshold),
)
_soft_shrink = _op(
    "SoftShrink",
    lambda x, threshold: np.where(x > threshold, x - threshold,
                                  np.where(x < -threshold, x + threshold, 0)),
    lambda x, y, g, threshold: g * (np.abs(x) > threshold),
)
_tanh_shrink = _op("TanhShrink", lambda x: x - np.tanh(x), lambda x, y, g: g * np.tanh(x) ** 2)
_squareplus = _op(
    "Squareplus",
    lambda x, b: (x + np.sqrt(x * x + b)) / 2,
    lambda x, y, g, b: g * (1 + x / np.sqrt(x * x + b)) / 2,
)
_sparse_plus = _op(
    "SparsePlus",
    lambda x: np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1) ** 2, x)),
    lambda x, y, g: g * np.where(x <= -1, 0, np.where(x < 1, 0.5 * (x + 1), 1)),
)
_sparse_sigmoid = _op(
    "SparseSigmoid",
    lambda x: np.where(x <= -1, 0, np.where(x >= 1, 1, 0.5 * (x + 1))),
    lambda x, y, g: g * np.where((x > -1) & (x < 1), 0.5, 0),
)
_threshold = _op(
    "Threshold",
    lambda x, threshold, default_value: np.where(x > threshold, x, default_value),
    lambda x, y, g, threshold, default_value: g * (x > threshold),
)
_log_sigmoid = _op("LogSigmoid", lambda x: -_softplus(-x), lambda x, y, g: g * _sigmoid(-x))


class _Sparsemax(Function):
    """Euclidean projection onto the simplex (Martins & Astudillo, 2016)."""

    def forward(self, x, axis):
        z = np.moveaxis(x, axis, -1)
        z_sorted = -np.sort(-z, axis=-1)
        k = np.arange(1, z.shape[-1] + 1, dtype=x.dtype)
        cumsum = np.cumsum(z_sorted, axis=-1)
        support = 1 + k * z_sorted > cumsum
        k_z = support.sum(axis=-1, keepdims=True)
        tau = (np.take_along_axis(cumsum, k_z - 1, axis=-1) - 1) / k_z
        out = np.maximum(z - tau, 0).astype(x.dtype)
        self.axis, self.out = axis, out
        return np.moveaxis(out, -1, axis)

    def backward(self, g):
        g = np.moveaxis(g, self.axis, -1)
        support = self.out > 0
        mean = (g * support).sum(-1, keepdims=True) / support.sum(-1, keepdims=True)
        return np.moveaxis((support * (g - mean)).astype(g.dtype), -1, self.axis)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``; with ``negative_slope``, ``max_value`` or ``threshold`` as in Keras."""
    x = to_tensor(x)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return ops.relu(x)
    if negative_slope != 0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    if threshold != 0:
        y = ops.where(x.data > threshold, x, 0.0)
    elif max_value == 6:
        y, max_value = ops.relu6(x), None
    else:
        y = ops.relu(x)
    if max_value is not None:
        y = ops.clip(y, 0.0, float(max_value))
    if negative_slope != 0:
        y = y - ops.relu(threshold - x) * negative_slope
    return y


def leaky_relu(x, negative_slope=0.2):
    """``x`` for x > 0, else ``negative_slope * x``."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.relu6(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))``, computed stably."""
    return ops.log_softmax(x, axis=axis)


def elu(x, alpha=1.0):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU (alpha 1.67326324, scale 1.05070098)."""
    return ops.selu(x)


def celu(x, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _celu(x, alpha=float(alpha))


def softplus(x):
    """``log(exp(x) + 1)``."""
    return ops.softplus(x)


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return ops.softsign(x)


def silu(x):
    """``x * sigmoid(x)`` (alias ``swish``)."""
    return ops.silu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit; exact (erf) by default, as ``keras.activations.gelu``."""
    return ops.gelu(x, approximate=approximate)


def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` where ``a, b`` are the halves of ``x``."""
    x = to_tensor(x)
    if x.shape[axis] % 2 != 0:
        raise ValueError(f"glu: the size of axis {axis} must be divisible by 2. "
                         f"Received: x.shape={x.shape}")
    a, b = ops.split(x, 2, axis=axis)
    return a * ops.sigmoid(b)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return _tanh_shrink(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def sparse_sigmoid(x):
    """0 for x <= -1, 1 for x >= 1, ``(x + 1) / 2`` in between."""
    return _sparse_sigmoid(x)


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return _log_sigmoid(x)


def exponential(x):
    """``exp(x)``."""
    return ops.exp(x)


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear in between."""
    return ops.hard_sigmoid(x)


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (alias ``hard_swish``)."""
    return _hard_silu(x)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return ops.clip(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return _hard_shrink(x, threshold=float(threshold))


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    return _soft_shrink(x, threshold=float(threshold))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    return _squareplus(x, b=float(b))


def sparse_plus(x):
    """0 for x <= -1, ``(x + 1)**2 / 4`` for -1 < x < 1, ``x`` for x >= 1."""
    return _sparse_plus(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return _threshold(x, threshold=float(threshold), default_value=float(default_value))


def mish(x):
    """``x * tanh(softplus(x))``."""
    return _mish(x)


def sparsemax(x, axis=-1):
    """Projection of ``x`` onto the probability simplex along ``axis`` (sparse softmax)."""
    return _Sparsemax.apply(to_tensor(x), axis=axis)


def crelu(x, axis=-1):
    """``concatenate([relu(x), relu(-x)], axis)``."""
    x = to_tensor(x)
    return ops.concatenate([ops.relu(x), ops.relu(-x)], axis=axis)


def linear(x):
    """The identity: returns ``x`` unchanged."""
    return x


_FUNCTIONS = [
    relu, leaky_relu, relu6, softmax, log_softmax, elu, selu, celu, softplus, softsign, silu,
    gelu, glu, tanh, tanh_shrink, sigmoid, sparse_sigmoid, log_sigmoid, exponential,
    hard_sigmoid, hard_silu, hard_tanh, hard_shrink, soft_shrink, squareplus, sparse_plus,
    threshold, mish, sparsemax, crelu, linear,
]
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in _FUNCTIONS}
ALL_OBJECTS_DICT["swish"] = silu
ALL_OBJECTS_DICT["hard_swish"] = hard_silu
_BUILTIN_IDS = {id(fn) for fn in _FUNCTIONS}


def get(identifier):
    """The activation function for a name (case-sensitive), a config dict or a callable.

    ``None`` gives ``linear``. Unknown names raise ``ValueError`` listing the valid ones.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in ALL_OBJECTS_DICT:
            return ALL_OBJECTS_DICT[identifier]
        from .registry import _CUSTOM

        if identifier in _CUSTOM:
            return _CUSTOM[identifier]
        raise unknown_identifier_error("activation function", identifier, ALL_OBJECTS_DICT)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. "
                     "Expected a name, a config dict or a callable.")


def serialize(activation):
    """The name an activation is saved under: ``"relu"`` for built-ins (aliases give the
    canonical name), ``"package>name"`` for registered functions, else the function's name."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    if id(activation) in _BUILTIN_IDS:
        return activation.__name__
    registered = getattr(activation, "_registered_name", None)
    if registered:
        return registered
    if hasattr(activation, "get_config") and not isinstance(activation, type):
        from .registry import registered_name

        return {"module": type(activation).__module__, "class_name": type(activation).__name__,
                "config": activation.get_config(), "registered_name": registered_name(activation)}
    if callable(activation):
        return getattr(activation, "__name__", type(activation).__name__)
    raise ValueError(f"Cannot serialize activation {activation!r}: it is not callable.")


def deserialize(config, custom_objects=None):
    """The activation for a saved name or ``{"class_name": "function", "config": name}``."""
    custom_objects = custom_objects or {}
    if isinstance(config, dict):
        name = config.get("config") if config.get("class_name") == "function" else None
        name = name or config.get("registered_name") or config.get("class_name")
        if isinstance(config.get("config"), dict):
            from .registry import lookup

            cls = lookup("activations", config["class_name"], config.get("registered_name"),
                         custom_objects)
            if cls is None:
                raise unknown_identifier_error("activation function", config["class_name"],
                                               ALL_OBJECTS_DICT)
            return cls.from_config(config["config"])
        config = name
    if isinstance(config, str) and config in custom_objects:
        return custom_objects[config]
    return get(config)
