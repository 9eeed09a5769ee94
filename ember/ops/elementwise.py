"""Elementwise ops: arithmetic, math functions and activations, each derivative beside its op."""

import numpy as np

from ..autograd.function import Function, unbroadcast
from ._convert import constant, shape_error, to_pair, to_tensor
from ._gelu import Gelu, gelu  # noqa: F401  (GELU has a module of its own)

# ----- binary arithmetic (broadcasting) ------------------------------------------------------


class _Binary(Function):
    """Base of the broadcasting binary ops: shape errors name the op and both shapes."""

    op_name = "binary"

    @classmethod
    def call(cls, a, b):
        a, b = to_pair(a, b)
        try:
            return cls.apply(a, b)
        except ValueError:
            try:
                np.broadcast_shapes(a.data.shape, b.data.shape)
            except ValueError:
                raise shape_error(cls.op_name, a.data.shape, b.data.shape,
                                  detail="cannot broadcast") from None
            raise


class Add(_Binary):
    op_name = "add"

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), unbroadcast(g, sb)


class Subtract(_Binary):
    op_name = "subtract"

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), (unbroadcast(-g, sb) if self.needs_input_grad[1] else None)


class Multiply(_Binary):
    op_name = "multiply"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g * b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Divide(_Binary):
    op_name = "divide"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g / b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(-g * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Power(_Binary):
    op_name = "power"

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, g):
        a, b, out = self.a, self.b, self.out
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g * b * np.power(a, b - 1), a.shape)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0).astype(out.dtype)
            gb = unbroadcast(g * out * log_a, b.shape)
        return ga, gb


class Maximum(_Binary):
    op_name = "maximum"

    def forward(self, a, b):
        self.a_wins = a >= b
        self.shapes = a.shape, b.shape
        return np.maximum(a, b)

    def backward(self, g):
        sa, sb = self.shapes
        return (unbroadcast(np.where(self.a_wins, g, 0).astype(g.dtype), sa),
                unbroadcast(np.where(self.a_wins, 0, g).astype(g.dtype), sb))


class Minimum(_Binary):
    op_name = "minimum"

    def forward(self, a, b):
        self.a_wins = a <= b
        self.shapes = a.shape, b.shape
        return np.minimum(a, b)

    def backward(self, g):
        sa, sb = self.shapes
        return (unbroadcast(np.where(self.a_wins, g, 0).astype(g.dtype), sa),
                unbroadcast(np.where(self.a_wins, 0, g).astype(g.dtype), sb))


def add(a, b):
    """``a + b`` with broadcasting."""
    return Add.call(a, b)


def subtract(a, b):
    """``a - b`` with broadcasting."""
    return Subtract.call(a, b)


def multiply(a, b):
    """``a * b`` with broadcasting."""
    return Multiply.call(a, b)


def divide(a, b):
    """``a / b`` with broadcasting."""
    return Divide.call(a, b)


def power(a, b):
    """``a ** b`` with broadcasting."""
    return Power.call(a, b)


def maximum(a, b):
    """Elementwise maximum; the gradient goes to ``a`` on ties."""
    return Maximum.call(a, b)


def minimum(a, b):
    """Elementwise minimum; the gradient goes to ``a`` on ties."""
    return Minimum.call(a, b)


# ----- unary ops: forward and derivative side by side ---------------------------------------


def _unary(name, forward, derivative, doc):
    """Make a unary op from ``forward(x)`` and ``derivative(x, y, g) -> dx`` (y = forward(x))."""

    class Unary(Function):
        def forward(self, x, **options):
            self.x = x
            self.options = options
            self.y = forward(x, **options)
            return self.y

        def backward(self, g):
            return derivative(self.x, self.y, g, **self.options)

    Unary.__name__ = Unary.__qualname__ = "".join(p.title() for p in name.split("_"))

    def op(x, **options):
        return Unary.apply(to_tensor(x), **options)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.Function = Unary
    return op


def _relu(x, out=None):
    """``np.maximum(x, 0)``, bit for bit. For float32/64, NumPy's clip between two bounds runs a
    vectorized loop about twice as fast as maximum against a scalar; adding 0 turns the -0.0
    clip keeps into maximum's +0.0."""
    if x.dtype != np.float32 and x.dtype != np.float64:
        return np.maximum(x, 0, out=out)
    y = np.clip(x, 0, np.inf, out=out)
    y += 0
    return y


def _relu_grad(x, g):
    """``g * (x > 0)``, the comparison written straight as g's float type: a float-by-float
    multiply in place runs faster than NumPy's mixed float-by-bool loop, with the same values."""
    mask = np.greater(x, 0, out=np.empty(x.shape, g.dtype))
    mask *= g
    return mask


def _sigmoid(x):
    # exp of a negative number only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _softplus(x):
    return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
def _cast_like(value, x):
    return np.asarray(value, dtype=x.dtype)


negative = _unary("negative", lambda x: -x, lambda x, y, g: -g, "``-x``.")
exp = _unary("exp", np.exp, lambda x, y, g: g * y, "Elementwise e**x.")
log = _unary("log", np.log, lambda x, y, g: g / x, "Natural logarithm.")
log1p = _unary("log1p", np.log1p, lambda x, y, g: g / (1 + x), "log(1 + x), exact near 0.")
sqrt = _unary("sqrt", np.sqrt, lambda x, y, g: g / (2 * y), "Square root.")
square = _unary("square", np.square, lambda x, y, g: g * 2 * x, "x**2.")
abs = _unary("abs", np.abs, lambda x, y, g: g * np.sign(x), "Absolute value (gradient 0 at 0).")
sin = _unary("sin", np.sin, lambda x, y, g: g * np.cos(x), "Sine.")
cos = _unary("cos", np.cos, lambda x, y, g: -g * np.sin(x), "Cosine.")
tanh = _unary("tanh", np.tanh, lambda x, y, g: g * (1 - y * y), "Hyperbolic tangent.")
sigmoid = _unary("sigmoid", _sigmoid, lambda x, y, g: g * y * (1 - y), "1 / (1 + e**-x), stable.")
relu = _unary("relu", lambda x: _relu(x), lambda x, y, g: _relu_grad(x, g), "max(x, 0).")
relu6 = _unary("relu6", lambda x: np.clip(x, 0, 6), lambda x, y, g: g * ((x > 0) & (x < 6)),
               "min(max(x, 0), 6).")
leaky_relu = _unary(
    "leaky_relu",
    lambda x, negative_slope=0.2: np.where(x > 0, x, x * _cast_like(negative_slope, x)),
    lambda x, y, g, negative_slope=0.2: np.where(x > 0, g, g * _cast_like(negative_slope, x)),
    "x where x > 0, else negative_slope * x (Keras' default slope 0.2).",
)
elu = _unary(
    "elu",
    lambda x, alpha=1.0: np.where(x > 0, x, _cast_like(alpha, x) * np.expm1(np.minimum(x, 0))),
    lambda x, y, g, alpha=1.0: np.where(x > 0, g, g * (y + _cast_like(alpha, x))),
    "x where x > 0, else alpha * (e**x - 1).",
)
selu = _unary(
    "selu",
    lambda x: (_SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0))))
    .astype(x.dtype, copy=False),
    lambda x, y, g: (g * np.where(x > 0, _SELU_SCALE, y + _SELU_SCALE * _SELU_ALPHA))
    .astype(x.dtype, copy=False),
    "Scaled ELU with the self-normalizing constants.",
)
silu = _unary(
    "silu",
    lambda x: x * _sigmoid(x),
    lambda x, y, g: g * (_sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "x * sigmoid(x) (also called swish).",
)
softplus = _unary("softplus", _softplus, lambda x, y, g: g * _sigmoid(x),
                  "log(1 + e**x), stable for large |x|.")
softsign = _unary("softsign", lambda x: x / (1 + np.abs(x)),
                  lambda x, y, g: g / np.square(1 + np.abs(x)), "x / (1 + |x|).")
hard_sigmoid = _unary(
    "hard_sigmoid",
    lambda x: np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False),
    lambda x, y, g: (g * ((x > -3) & (x < 3)) / 6).astype(x.dtype, copy=False),
    "relu6(x + 3) / 6, as in Keras 3.",
)


def sign(x):
    """Elementwise sign; not differentiable (its gradient is zero almost everywhere)."""
    return constant(np.sign(to_tensor(x).data))


class Clip(Function):
    def forward(self, x, low, high):
        self.inside = (x >= low) & (x <= high)
        return np.clip(x, low, high)

    def backward(self, g):
        return g * self.inside


def clip(x, x_min, x_max):
    """Limit values to [x_min, x_max]; the gradient passes only inside the interval."""
    return Clip.apply(to_tensor(x), low=x_min, high=x_max)


class Where(Function):
    def forward(self, condition, a, b):
        self.condition = condition
        self.shapes = a.shape, b.shape
        return np.where(condition, a, b)

    def backward(self, g):
        sa, sb = self.shapes
        zero = np.zeros((), g.dtype)
        return (None,
                unbroadcast(np.where(self.condition, g, zero), sa),
                unbroadcast(np.where(self.condition, zero, g), sb))


def where(condition, x1, x2):
    """Pick ``x1`` where ``condition`` holds, else ``x2``; broadcasting all three."""
    condition = to_tensor(condition)
    x1, x2 = to_pair(x1, x2)
    try:
        return Where.apply(constant(condition.data.astype(bool, copy=False)), x1, x2)
    except ValueError:
        raise shape_error("where", condition.shape, x1.shape, x2.shape,
                          detail="cannot broadcast") from None


class Cast(Function):
    def forward(self, x, dtype):
        self.source = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return g.astype(self.source) if self.source.kind == "f" else None


def cast(x, dtype):
    """Convert to ``dtype``; gradients flow back between float types."""
    x = to_tensor(x)
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    if dtype.kind != "f":
        return constant(x.data.astype(dtype))
    return Cast.apply(x, dtype=dtype)


# comparisons: not differentiable, return boolean tensors
def _comparison(ufunc):
    def compare(a, b):
        a, b = to_pair(a, b)
        return constant(ufunc(a.data, b.data))

    compare.__name__ = ufunc.__name__
    compare.__doc__ = f"Elementwise ``{ufunc.__name__}`` (a boolean tensor, no gradient)."
    return compare


equal = _comparison(np.equal)
not_equal = _comparison(np.not_equal)
less = _comparison(np.less)
less_equal = _comparison(np.less_equal)
greater = _comparison(np.greater)
greater_equal = _comparison(np.greater_equal)
