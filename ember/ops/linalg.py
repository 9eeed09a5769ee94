"""Matrix products: ``matmul`` (batched, NumPy's rules) and the fused ``dense`` layer op."""

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..autograd.grad_mode import is_grad_enabled
from ._convert import shape_error, to_pair, to_tensor
from ._gelu import gelu_grad, gelu_with_derivative
from ._sums import column_sums
from .elementwise import _relu, _relu_grad


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        # 1-D operands are promoted to matrices, as NumPy does, and demoted again at the end
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # first, so that a 0-d g (vector @ vector) becomes (1, 1)
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if self.needs_input_grad[0]:
            ga = g @ b2.swapaxes(-1, -2)
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = a2.swapaxes(-1, -2) @ g
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb


def matmul(a, b):
    """Matrix product with NumPy's rules: batch axes broadcast, 1-D operands are vectors."""
    a, b = to_pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise shape_error("matmul", a.shape, b.shape, detail="operands must be at least 1-D")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise shape_error("matmul", a.shape, b.shape,
                          detail=f"inner dimensions differ ({inner_a} != {inner_b})")
    try:
        return MatMul.apply(a, b)
    except ValueError:
        raise shape_error("matmul", a.shape, b.shape,
                          detail="batch axes cannot broadcast") from None


def dot(a, b):
    return matmul(a, b)


class _Fused:
    """An activation that ``Dense`` runs on its pre-activation ``z``, the GEMM's own buffer.

    ``forward(z, grad_needed) -> (y, saved)`` may overwrite ``z``; ``backward(saved, g)`` turns
    the output's gradient into the pre-activation's and may overwrite ``saved`` and ``g`` (the
    op's backward runs once). ReLU, sigmoid and tanh save their output (their derivative is a
    function of it); GELU's is not, so it saves the derivative computed with the forward.
    """

    def __init__(self, forward, backward):
        self.forward, self.backward = forward, backward


def _output_saved(activation):
    def forward(z, grad_needed):
        y = activation(z)
        return y, y
    return forward


def _gelu(approximate):
    return _Fused(lambda z, grad_needed: gelu_with_derivative(z, approximate, grad_needed),
                  gelu_grad)


# activations that ``dense`` fuses. "gelu" is exact (erf), as Keras' activation of that name;
# "gelu_approximate" is Keras' tanh form (``keras.ops.gelu``'s default)
_FUSED = {
    None: None,
    "linear": None,
    "relu": _Fused(_output_saved(lambda z: _relu(z, out=z)), lambda y, g: _relu_grad(y, g)),
    "sigmoid": _Fused(_output_saved(lambda z: _sigmoid_inplace(z)),
                      lambda y, g: g * y * (1 - y)),
    "tanh": _Fused(_output_saved(lambda z: np.tanh(z, out=z)), lambda y, g: g * (1 - y * y)),
    "gelu": _gelu(approximate=False),
    "gelu_approximate": _gelu(approximate=True),
}


def _sigmoid_inplace(z):
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


class Dense(Function):
    """``activation(x @ w + b)`` in one op: one GEMM forward, two GEMMs backward.

    Inputs of any rank run as one 2-D GEMM over their rows (NumPy's batched matmul on a
    (B, T, in) array is markedly slower than the same product on (B * T, in)).
    """

    def forward(self, x, w, b=None, activation=None):
        self.x_shape, self.w = x.shape, w
        self.x2 = x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])  # (rows, in)
        self.has_bias = b is not None
        self.bias_dtype = None if b is None else b.dtype
        z = x2 @ w  # (rows, units)
        if b is not None:
            z += b
        self.fused = fused = _FUSED[activation]
        if fused is not None:
            z, self.saved = fused.forward(z, is_grad_enabled())
        return z if x.ndim == 2 else z.reshape(x.shape[:-1] + w.shape[1:])

    def backward(self, g):
        if g.ndim != 2:
            g = g.reshape(-1, g.shape[-1])  # (rows, units)
        if self.fused is not None:
            g = self.fused.backward(self.saved, g)
        x2, w = self.x2, self.w
        # mixed dtypes (float32 x, float64 kernel) compute in the wider one: cast each gradient back
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = (g @ w.T).astype(x2.dtype, copy=False)
            gx = gx if len(self.x_shape) == 2 else gx.reshape(self.x_shape)
        if self.needs_input_grad[1]:
            gw = (x2.T @ g).astype(w.dtype, copy=False)
        if self.has_bias and self.needs_input_grad[2]:
            gb = column_sums(g).astype(self.bias_dtype, copy=False)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def dense(x, kernel, bias=None, activation=None):
    """Fused ``activation(x @ kernel + bias)`` for x of shape (..., in) and kernel (in, out).

    ``activation`` is None, "linear", "relu", "sigmoid", "tanh", "gelu" (exact, as Keras'
    activation of that name) or "gelu_approximate" (the tanh form); others: apply them after.
    """
    x, kernel = to_tensor(x), to_tensor(kernel)
    xs, ks = x.data.shape, kernel.data.shape
    if len(ks) != 2 or not xs or xs[-1] != ks[0]:
        raise shape_error("dense", xs, ks,
                          detail="expected x of shape (..., n) and a kernel of shape (n, units)")
    if activation not in _FUSED:
        raise ValueError(f"dense: activation must be one of {sorted(k for k in _FUSED if k)} or "
                         f"None. Received: activation={activation!r}")
    if bias is None:
        return Dense.apply(x, kernel, activation=activation)
    bias = to_tensor(bias)
    if bias.data.shape != (ks[1],):
        raise shape_error("dense", ks, bias.data.shape,
                          detail=f"the bias must have shape ({ks[1]},)")
    return Dense.apply(x, kernel, bias, activation=activation)
