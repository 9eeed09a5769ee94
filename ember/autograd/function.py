"""The op base class: a forward on arrays, a backward on arrays, and the graph bookkeeping."""

from itertools import count

import numpy as np

from .. import backend
from .grad_mode import state as _grad_state
from .tensor import Tensor

_creation = count()  # creation numbers of recorded ops: a topological order for backward


class Function:
    """One differentiable op. Subclasses define ``forward`` and ``backward`` side by side.

    ``forward(*arrays, **options) -> array`` computes the result and saves on ``self`` only what
    ``backward`` needs. ``backward(grad) -> grad or tuple of grads`` returns one gradient per
    tensor input (``None`` where it is not needed: see ``self.needs_input_grad``).
    """

    __slots__ = ("parents", "needs_input_grad", "released", "seq", "__dict__")

    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on tensors and, when any input requires grad, record it in the graph."""
        ctx = cls()
        out = Tensor.__new__(Tensor)
        out.data = ctx.forward(*[t.data for t in inputs], **options)
        out.grad = None
        if _grad_state.enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                ctx.parents = inputs
                ctx.needs_input_grad = needs
                ctx.released = False
                ctx.seq = next(_creation)  # backward runs the newest op first
                out.requires_grad = True
                out._ctx = ctx
                return out
        out.requires_grad = False
        out._ctx = None
        return out

    def release(self):
        """Drop the saved arrays once backward has used them."""
        self.released = True
        self.parents = ()
        self.__dict__.clear()

    def forward(self, *arrays, **options):  # pragma: no cover - every op overrides it
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def backward(self, grad):  # pragma: no cover - every op overrides it
        raise NotImplementedError(f"{type(self).__name__} must define backward")


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving it ``shape``.

    This is the only place in ember where broadcasting is undone.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape) if grad.shape != shape else grad


def as_array_like(value, like):
    """A Python scalar or array-like as an array of ``like``'s float dtype (never upcasting).

    Next to an int tensor, a Python float becomes the default float (as Keras and PyTorch do).
    """
    arr = np.asarray(value)
    if like.dtype.kind == "f":
        if arr.dtype != like.dtype and arr.dtype.kind in "biuf":
            arr = arr.astype(like.dtype)
    elif isinstance(value, float):
        arr = arr.astype(backend.default_float())
    return arr
