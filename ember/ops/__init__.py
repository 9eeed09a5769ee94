"""ember's differentiable ops, named as in NumPy and ``keras.ops``.

One module per family: elementwise, reduce, shape, linalg, nn (softmax, cross-entropy, dropout)
and the layer kernels (conv, pooling, normalization, embedding, attention).
"""

from ..autograd.tensor import Tensor
from .elementwise import *  # noqa: F401,F403
from .elementwise import __dict__ as _elementwise
from .kernels import *  # noqa: F401,F403
from .linalg import dense, dot, matmul  # noqa: F401
from .nn import (  # noqa: F401
    categorical_crossentropy,
    dropout,
    log_softmax,
    softmax,
    sparse_categorical_crossentropy,
)
from .reduce import (  # noqa: F401
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .shape import (  # noqa: F401
    arange,
    broadcast_to,
    concatenate,
    expand_dims,
    eye,
    flatten,
    flip,
    full,
    full_like,
    getitem,
    moveaxis,
    one_hot,
    ones,
    ones_like,
    pad,
    random_normal,
    random_uniform,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    take,
    take_along_axis,
    tile,
    transpose,
    tril,
    triu,
    zeros,
    zeros_like,
)

subtract = _elementwise["subtract"]


def _install_operators():
    """Give ``Tensor`` its Python operators and NumPy-style methods, all routed through ops."""
    e = _elementwise
    T = Tensor
    # the op functions themselves where the tensor comes first: one call less per operator
    T.__add__ = e["add"]
    T.__radd__ = lambda a, b: e["add"](b, a)
    T.__sub__ = e["subtract"]
    T.__rsub__ = lambda a, b: e["subtract"](b, a)
    T.__mul__ = e["multiply"]
    T.__rmul__ = lambda a, b: e["multiply"](b, a)
    T.__truediv__ = e["divide"]
    T.__rtruediv__ = lambda a, b: e["divide"](b, a)
    T.__pow__ = e["power"]
    T.__rpow__ = lambda a, b: e["power"](b, a)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda a, b: matmul(b, a)
    T.__neg__ = lambda a: e["negative"](a)
    T.__pos__ = lambda a: a
    T.__abs__ = lambda a: e["abs"](a)
    T.__getitem__ = getitem
    T.__eq__ = lambda a, b: e["equal"](a, b)
    T.__ne__ = lambda a, b: e["not_equal"](a, b)
    T.__lt__ = lambda a, b: e["less"](a, b)
    T.__le__ = lambda a, b: e["less_equal"](a, b)
    T.__gt__ = lambda a, b: e["greater"](a, b)
    T.__ge__ = lambda a, b: e["greater_equal"](a, b)
    T.__hash__ = object.__hash__
    T.T = property(lambda a: transpose(a))
    T.sum = lambda a, axis=None, keepdims=False: sum(a, axis, keepdims)
    T.mean = lambda a, axis=None, keepdims=False: mean(a, axis, keepdims)
    T.max = lambda a, axis=None, keepdims=False: max(a, axis, keepdims)
    T.min = lambda a, axis=None, keepdims=False: min(a, axis, keepdims)
    T.reshape = lambda a, *shape: reshape(a, shape[0] if len(shape) == 1 else shape)
    T.transpose = lambda a, *axes: transpose(a, (axes[0] if len(axes) == 1 else axes) or None)
    T.exp = lambda a: e["exp"](a)
    T.log = lambda a: e["log"](a)
    T.astype = lambda a, dtype: e["cast"](a, dtype)


_install_operators()
