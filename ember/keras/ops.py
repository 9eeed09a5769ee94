"""``keras.ops``: NumPy-named functions over ember's differentiable ops, for custom layers.

>>> from ember.keras import ops
>>> ops.sum(ops.ones((2, 3))).item()
6.0
"""

import numpy as np

from .. import ops as _ops
from ..autograd.tensor import Tensor
from ..ops import *  # noqa: F401,F403
from ..ops import _convert


def shape(x):
    """The shape of ``x`` as a tuple."""
    return tuple(x.shape)


def convert_to_tensor(x, dtype=None):
    return Tensor(x, dtype=dtype) if not isinstance(x, Tensor) or dtype else x


def convert_to_numpy(x):
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def stop_gradient(x):
    return _convert.constant(_convert.to_tensor(x).data)


def linspace(start, stop, num=50, dtype=None):
    return Tensor(np.linspace(start, stop, num), dtype=dtype or "float32")


def swish(x):
    return _ops.silu(x)


def hard_silu(x):
    return _ops.multiply(x, _ops.hard_sigmoid(x))


hard_swish = hard_silu


def log_sigmoid(x):
    return _ops.negative(_ops.softplus(_ops.negative(x)))


def norm(x, ord=None, axis=None, keepdims=False):
    """The 2-norm (the default) along ``axis``; differentiable."""
    if ord not in (None, 2, "fro"):
        raise ValueError(f"ops.norm: only the 2-norm is supported. Received: ord={ord!r}")
    return _ops.sqrt(_ops.sum(_ops.square(x), axis=axis, keepdims=keepdims))


def erf(x):
    from scipy.special import erf as _erf

    return _convert.constant(_erf(_convert.to_tensor(x).data))


def expm1(x):
    return _ops.subtract(_ops.exp(x), 1.0)


def mish(x):
    return _ops.multiply(x, _ops.tanh(_ops.softplus(x)))


def rsqrt(x):
    return _ops.divide(1.0, _ops.sqrt(x))


def logical_and(a, b):
    a, b = _convert.to_pair(a, b)
    return _convert.constant(np.logical_and(a.data, b.data))


def logical_or(a, b):
    a, b = _convert.to_pair(a, b)
    return _convert.constant(np.logical_or(a.data, b.data))


def logical_not(x):
    return _convert.constant(np.logical_not(_convert.to_tensor(x).data))


def einsum(subscripts, *operands):
    """``np.einsum`` on tensors; differentiable for two operands (``a`` and ``b``)."""
    from ..autograd.function import Function

    class Einsum(Function):
        def forward(self, *arrays):
            self.arrays = arrays
            return np.einsum(subscripts, *arrays)

        def backward(self, g):
            inputs, output = subscripts.replace(" ", "").split("->")
            names = inputs.split(",")
            grads = []
            for i, _ in enumerate(self.arrays):
                others = [a for j, a in enumerate(self.arrays) if j != i]
                other_names = [n for j, n in enumerate(names) if j != i]
                spec = ",".join([output] + other_names) + "->" + names[i]
                grads.append(np.einsum(spec, g, *others).astype(self.arrays[i].dtype))
            return tuple(grads)

    return Einsum.apply(*[_convert.to_tensor(o) for o in operands])
