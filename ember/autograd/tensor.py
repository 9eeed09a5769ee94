"""``Tensor``: an n-d array that remembers the op that made it, so gradients can flow back."""

import numpy as np

from .. import backend
from .backward import run_backward


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    >>> import ember
    >>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.],
           [6., 8.]], dtype=float32)
    """

    # _keras_mask: the padding mask a Keras layer attached (Embedding(mask_zero=True)), or unset
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_keras_mask", "__weakref__")
    # NumPy defers to Tensor's reflected operators (ndarray + Tensor -> Tensor.__radd__).
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"Only float tensors can require gradients. Received: dtype={self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._ctx = None

    # ----- array facts -------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    def __len__(self):
        return len(self.data)

    def numpy(self):
        """The values as a NumPy array (the tensor's own buffer: copy it before mutating)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}, dtype={self.data.dtype}{grad})"

    # ----- autograd ----------------------------------------------------------------------
    def detach(self):
        """A tensor sharing the values but cut from the graph."""
        return Tensor(self.data)

    def backward(self, grad=None):
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf that needs one.

        ``grad`` defaults to 1 for a one-element tensor; any other tensor needs it explicitly.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a grad argument needs a one-element tensor. Received a "
                    f"tensor of shape {self.data.shape}: pass grad= of that shape."
                )
            grad = np.array(1, self.data.dtype).reshape(self.data.shape)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, self.data.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(
                    f"backward(): grad must have the tensor's shape {self.data.shape}. "
                    f"Received: grad.shape={grad.shape}"
                )
        run_backward(self, grad)

    def zero_grad(self):
        self.grad = None


def _to_array(data, dtype=None):
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    arr = np.asarray(data)
    if arr.dtype.kind == "f" and type(data) in (list, tuple, float, int):
        return arr.astype(backend.default_float())  # Python floats become the default float
    if arr.dtype == np.float64 and not isinstance(data, np.ndarray | np.generic):
        return arr.astype(backend.default_float())
    if arr.dtype.kind == "i" and isinstance(data, (list, tuple, int)):
        return arr.astype(np.int64)
    if arr.dtype == object:
        raise TypeError(f"Cannot make a tensor from {type(data).__name__}: {data!r:.80}")
    return arr


def tensor(data, dtype=None, requires_grad=False):
    """Make a tensor from a Python number, list, NumPy array or tensor.

    Python floats become float32 (the default float); NumPy arrays keep their dtype, so float64
    stays float64 for gradient checks. Integer tensors never require grad.
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(value):
    """``value`` itself if it is a tensor, else a constant tensor of it."""
    return value if isinstance(value, Tensor) else Tensor(value)
